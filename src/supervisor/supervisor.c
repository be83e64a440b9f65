/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c — the supervisor as a gen_server that traps exits: its
 * init (init.c) starts the children, handle_info acts on their EXITs (and
 * on its own retry messages), handle_call serves the API (client.c),
 * terminate stops the children.
 *
 * Reports are written in handle_continue, after the callback that noted
 * them has replied or restarted what it had to.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "sup.h"

#define FLUSH_REPORTS 1 /* handle_continue's argument */

/* ---------------------------------------------------------------------
 * The server: the children's ends, and its own
 */

static void sup_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	struct sup *s = state;
	if (!s)
		return;
	ot__children_stop_all(s);
	ot__sup_flush_reports(s);
	ot__sup_free(s);
}

/* Killed (no terminate ran): its children hear of it through their links,
 * as in OTP; what is left to do is to free its record, off its stack. */
static void sup_release(const ot_reason *reason, void *state)
{
	(void)reason;
	if (state)
		ot__sup_free(state);
}

/* Reports noted while handling a message are written after it. */
static ot_gs_ret then_report(struct sup *s, ot_gs_ret r)
{
	if (!STAILQ_EMPTY(&s->events)) {
		r.has_continue = true;
		r.continue_arg = FLUSH_REPORTS;
	}
	return r;
}

static ot_gs_ret sup_continue(uint64_t arg, void **state)
{
	if (arg == FLUSH_REPORTS) {
		/* Let whoever waits for the restarted child (it is runnable
		 * now) go first: the reports are for later. */
		ot_yield();
		ot__sup_flush_reports(*state);
	}
	return ot_gs_noreply();
}

static ot_gs_ret sup_info(const ot_msg *msg, void **state)
{
	struct sup *s = *state;
	bool shut = false;
	const ot_exit_info *e = ot_msg_exit(msg);
	if (e) {
		/* An EXIT from anything but a running child (one we stopped
		 * and already accounted for, a stranger) changes nothing. */
		struct child *c = ot__child_by_pid(s, e->from);
		if (c && c->state == CHILD_RUNNING)
			shut = ot__sup_child_exited(s, c, &e->reason);
	} else if (ot_msg_tag(msg) == SUP_TAG_RETRY &&
		   ot_msg_size(msg) == sizeof(struct sup_retry) &&
		   ot_pid_equal(ot_msg_from(msg), s->self)) {
		struct sup_retry r;
		memcpy(&r, ot_msg_data(msg), sizeof r);
		shut = ot__sup_retry(s, &r);
	} else {
		ot__sup_report_unexpected(s, msg);
	}
	if (shut) {
		ot__sup_flush_reports(s);
		return ot_gs_stop(ot_reason_shutdown());
	}
	return then_report(s, ot_gs_noreply());
}

static int sup_format(void *state, char *buf, size_t size)
{
	static const char *const names[] = {"one_for_one", "one_for_all",
					    "rest_for_one",
					    "simple_one_for_one", "dynamic"};
	const struct sup *s = state;
	return snprintf(buf, size, "supervisor %s: %zu children, %zu running",
			names[s->flags.strategy], s->nchildren, s->nrunning);
}

/* ---------------------------------------------------------------------
 * The server: calls
 */

/* The reply buffer, with room for n child infos. */
static struct rep *reply_buf(struct sup *s, size_t n)
{
	size_t size = sizeof(struct rep) + n * sizeof(ot_child_info);
	if (size > s->reply_cap) {
		void *p = realloc(s->reply, size);
		if (!p)
			return NULL;
		s->reply = p;
		s->reply_cap = size;
	}
	struct rep *rp = s->reply;
	memset(rp, 0, sizeof *rp);
	rp->magic = SUP_MAGIC;
	return rp;
}

static bool full(const struct sup *s)
{
	return s->flags.max_children && s->nchildren >= s->flags.max_children;
}

/* Starts a new child from spec (and extra bytes); it stays only if it
 * runs, or, for a static child that is not temporary, if it ignored. */
static void add_child(struct sup *s, const ot_child_spec *spec,
		      const void *extra, size_t extra_size, struct rep *rp)
{
	struct child *c = ot__child_new(s, spec, extra, extra_size);
	if (!c) {
		rp->rc = OT_ENOMEM;
		return;
	}
	rp->rc = ot__child_start(s, c, &rp->pid, &rp->reason);
	if (rp->rc == 0) {
		rp->pid = c->pid;
		rp->info = s->info;
		return;
	}
	if (rp->rc == OT_EIGNORED && !sup_is_dynamic(s) &&
	    spec->restart != OT_TEMPORARY)
		return;
	ot__child_free(s, c);
}

static void op_start_child(struct sup *s, const struct req *rq, struct rep *rp)
{
	if (s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE) {
		rp->rc = OT_ESIMPLE;
		return;
	}
	bool dynamic = sup_is_dynamic(s);
	rp->rc =
	    ot__sup_check_child(&rq->spec, &s->flags, !dynamic, &rp->reason);
	if (rp->rc)
		return;
	if (!dynamic) {
		struct child *old = ot__child_by_id(s, rq->spec.id);
		if (old && old->state == CHILD_RUNNING) {
			rp->rc = OT_EALREADY;
			rp->pid = old->pid;
			return;
		}
		if (old) {
			rp->rc = OT_EPRESENT;
			return;
		}
	} else if (full(s)) {
		rp->rc = OT_EMAXCHILDREN;
		return;
	}
	add_child(s, &rq->spec, NULL, 0, rp);
}

static void op_start_extra(struct sup *s, const struct req *rq, struct rep *rp)
{
	if (s->flags.strategy != OT_SIMPLE_ONE_FOR_ONE)
		rp->rc = OT_ESIMPLE;
	else if (full(s))
		rp->rc = OT_EMAXCHILDREN;
	else
		add_child(s, &s->template, rq->extra, rq->extra_size, rp);
}

/* A static child by id: OT_ESIMPLE for a dynamic supervisor,
 * OT_ENOTFOUND when there is none. */
static struct child *static_child(struct sup *s, const char *id, struct rep *rp)
{
	if (sup_is_dynamic(s)) {
		rp->rc = OT_ESIMPLE;
		return NULL;
	}
	struct child *c = ot__child_by_id(s, id);
	if (!c)
		rp->rc = OT_ENOTFOUND;
	return c;
}

/* Stopped by request: a static child keeps its spec, unless temporary. */
static void op_terminate(struct sup *s, struct child *c)
{
	ot__child_stop(s, c);
	ot__sup_forget(s, c);
}

/*
 * terminate_child by pid, as OTP: only a dynamic supervisor's children
 * are named by pid (a static supervisor finds no child id equal to a
 * pid: OT_ENOTFOUND, its child left running). A pid that is no child:
 * OT_ENOTFOUND while it lives, and 0 once it has ended — it may be a
 * child that ended and was forgotten just before the call (OTP's
 * find_child answers ok for a dead pid).
 */
static void op_terminate_pid(struct sup *s, ot_pid pid, struct rep *rp)
{
	struct child *c;
	if (!sup_is_dynamic(s))
		rp->rc = OT_ENOTFOUND;
	else if ((c = ot__child_by_pid(s, pid)))
		op_terminate(s, c);
	else if (ot_is_alive(pid))
		rp->rc = OT_ENOTFOUND;
}

static void op_restart(struct sup *s, struct child *c, struct rep *rp)
{
	if (c->state == CHILD_RUNNING) {
		rp->rc = OT_ERUNNING;
		return;
	}
	if (c->state == CHILD_RESTARTING) {
		rp->rc = OT_ERESTARTING;
		return;
	}
	rp->rc = ot__child_start(s, c, &rp->pid, &rp->reason);
	if (rp->rc == 0) {
		rp->pid = c->pid;
		rp->info = s->info;
	}
}

static void op_delete(struct sup *s, struct child *c, struct rep *rp)
{
	if (c->state == CHILD_RUNNING)
		rp->rc = OT_ERUNNING;
	else if (c->state == CHILD_RESTARTING)
		rp->rc = OT_ERESTARTING;
	else
		ot__child_free(s, c);
}

static void child_info(const struct sup *s, const struct child *c,
		       ot_child_info *out)
{
	memcpy(out->id, c->spec->id, sizeof out->id);
	if (sup_is_dynamic(s))
		out->id[0] = '\0'; /* ids are not used: OTP's undefined */
	out->pid = c->state == CHILD_RUNNING ? c->pid : OT_PID_NONE;
	out->status = c->state == CHILD_RUNNING	     ? OT_CHILD_RUNNING
		      : c->state == CHILD_RESTARTING ? OT_CHILD_RESTARTING
						     : OT_CHILD_UNDEFINED;
	out->type = ot__sup_child_type(c->spec);
	out->restarts = c->restarts;
}

static ot_gs_ret sup_call(const void *request, size_t size, ot_gs_from from,
			  void **state)
{
	(void)from;
	struct sup *s = *state;
	const struct req *rq = request;
	size_t n = 0;
	if (size >= sizeof *rq && rq->magic == SUP_MAGIC && rq->op == OP_WHICH)
		n = rq->cap < s->nchildren ? rq->cap : s->nchildren;
	struct rep *rp = reply_buf(s, n);
	if (!rp)
		rp = reply_buf(s, n = 0);
	if (!rp) /* not even a bare reply: the caller sees the server die */
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "no memory"));
	if (size < sizeof *rq || rq->magic != SUP_MAGIC ||
	    size != sizeof *rq + rq->extra_size ||
	    !memchr(rq->id, '\0', sizeof rq->id)) {
		rp->rc = OT_EINVAL;
		return ot_gs_reply(rp, sizeof *rp);
	}
	struct child *c;
	switch (rq->op) {
	case OP_START_CHILD:
		op_start_child(s, rq, rp);
		break;
	case OP_START_EXTRA:
		op_start_extra(s, rq, rp);
		break;
	case OP_TERMINATE:
		if ((c = static_child(s, rq->id, rp)))
			op_terminate(s, c);
		break;
	case OP_TERMINATE_PID:
		op_terminate_pid(s, rq->pid, rp);
		break;
	case OP_RESTART:
		if ((c = static_child(s, rq->id, rp)))
			op_restart(s, c, rp);
		break;
	case OP_DELETE:
		if ((c = static_child(s, rq->id, rp)))
			op_delete(s, c, rp);
		break;
	case OP_WHICH:
		rp->total = s->nchildren;
		TAILQ_FOREACH(c, &s->children, order) {
			if (rp->n == n)
				break;
			child_info(s, c, &rp->list[rp->n++]);
		}
		break;
	case OP_COUNT:
		/* simple_one_for_one has one spec, its template (OTP). */
		rp->counts = (ot_child_counts){
		    .specs = s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE
				 ? 1
				 : s->nchildren,
		    .active = s->nrunning,
		    .supervisors = s->nsupervisors,
		    .workers = s->nworkers};
		break;
	case OP_SPEC:
		if ((c = static_child(s, rq->id, rp)))
			rp->spec = *c->spec;
		break;
	case OP_SPEC_PID:
		if ((c = ot__child_by_pid(s, rq->pid)))
			rp->spec = *c->spec;
		else
			rp->rc = OT_ENOTFOUND;
		break;
	case OP_WHICH_CHILD:
		if ((c = static_child(s, rq->id, rp)))
			child_info(s, c, &rp->child);
		break;
	case OP_WHICH_CHILD_PID:
		if ((c = ot__child_by_pid(s, rq->pid)))
			child_info(s, c, &rp->child);
		else
			rp->rc = OT_ENOTFOUND;
		break;
	default:
		rp->rc = OT_EINVAL;
		break;
	}
	return then_report(
	    s, ot_gs_reply(rp, sizeof *rp + rp->n * sizeof(ot_child_info)));
}

const ot_gen_server_callbacks ot__sup_callbacks = {
    .init = ot__sup_init,
    .handle_call = sup_call,
    .handle_info = sup_info,
    .handle_continue = sup_continue,
    .terminate = sup_terminate,
    .format_status = sup_format,
    .release = sup_release,
};
