/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c — the supervisor as a gen_server that traps exits: its
 * init starts the children, handle_info acts on their EXITs (and on its
 * own retry messages), handle_call serves the API, terminate stops the
 * children. The client half of the API turns each function into a call.
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

#include "sup.h"

/* Requests and replies carry this, so that calling something that is not
 * a supervisor is an error, not a misread reply. */
#define SUP_MAGIC UINT32_C(0x6f747370) /* "otsp" */

enum sup_op {
	OP_START_CHILD = 1,
	OP_START_EXTRA,
	OP_TERMINATE,
	OP_TERMINATE_PID,
	OP_RESTART,
	OP_DELETE,
	OP_WHICH,
	OP_COUNT,
	OP_SPEC,
	OP_SPEC_PID,
};

struct req {
	uint32_t magic;
	enum sup_op op;
	char id[OT_NAME_MAX + 1];
	ot_pid pid;
	size_t cap; /* OP_WHICH: entries wanted */
	ot_child_spec spec;
	size_t extra_size;
	unsigned char extra[]; /* OP_START_EXTRA */
};

struct rep {
	uint32_t magic;
	int rc;
	ot_pid pid;
	ot_reason reason;
	ot_child_spec spec;
	ot_child_counts counts;
	size_t total, n;
	ot_child_info info[]; /* OP_WHICH */
};

#define FLUSH_REPORTS 1 /* handle_continue's argument */

/* What a new supervisor's init reads. The starter copies it off its own
 * stack first: it waits while init runs, and a waiting process's frames
 * may be saved off its stack then (otter/proc.h, "Stacks"). */
struct start_arg {
	ot_sup_spec spec; /* .children points into children[] */
	ot_sup_flags flags;
	char name[OT_NAME_MAX + 1]; /* "" for none */
	ot_child_spec children[];
};

/* ---------------------------------------------------------------------
 * The server: state
 */

static void sup_free(struct sup *s)
{
	struct child *c;
	while ((c = TAILQ_FIRST(&s->children)))
		ot__child_free(s, c);
	ot__sup_drop_reports(s);
	free(s->restarts);
	free(s->reply);
	free(s);
}

static struct sup *sup_new(const struct start_arg *a)
{
	struct sup *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->flags = a->flags;
	s->self = ot_self();
	snprintf(s->name, sizeof s->name, "%s", a->name);
	TAILQ_INIT(&s->children);
	RB_INIT(&s->by_pid);
	STAILQ_INIT(&s->events);
	s->rng =
	    (s->self.id ^ (uint64_t)ot_monotonic_ms() << 20) | 1; /* never 0 */
	if (s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE)
		s->template = ot__sup_child_normalized(&a->spec.children[0]);
	return s;
}

/* Starts the static children in order. On a failure the started ones
 * are stopped (reverse order) and *why is what start_link reports. */
static int start_children(struct sup *s, const ot_sup_spec *spec,
			  ot_reason *why)
{
	for (size_t i = 0; i < spec->nchildren; i++) {
		struct child *c = ot__child_new(s, &spec->children[i], NULL, 0);
		if (!c) {
			*why =
			    ot_reason_error(OT_ENOMEM, "no memory for a child");
			ot__children_stop_all(s);
			return OT_ENOMEM;
		}
		ot_reason cause;
		int rc = ot__child_start(s, c, &cause);
		if (rc == OT_EIGNORED) {
			if (c->spec->restart == OT_TEMPORARY)
				ot__child_free(s, c);
			continue;
		}
		if (rc) {
			ot__sup_report(s, REPORT_START_ERROR, c, OT_PID_NONE,
				       &cause, 1);
			char text[OT_REASON_STRLEN];
			char detail[OT_REASON_STRLEN + OT_NAME_MAX + 32];
			ot_reason_format(&cause, text, sizeof text);
			snprintf(detail, sizeof detail,
				 "failed_to_start_child,%s,%s", c->spec->id,
				 text);
			*why = ot_reason_shutdown_detail(detail);
			ot__children_stop_all(s);
			return rc;
		}
	}
	return 0;
}

static ot_gs_ret sup_init(void *arg, void **state)
{
	const struct start_arg *a = arg;
	ot_trap_exit(true, NULL);
	struct sup *s = sup_new(a);
	if (!s)
		return ot_gs_stop(
		    ot_reason_error(OT_ENOMEM, "no memory for a supervisor"));
	ot_reason why;
	if (!sup_is_dynamic(s) && start_children(s, &a->spec, &why) != 0) {
		ot__sup_flush_reports(s);
		sup_free(s);
		return ot_gs_stop(why);
	}
	*state = s;
	ot__sup_flush_reports(s);
	return ot_gs_ok();
}

static void sup_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	struct sup *s = state;
	if (!s)
		return;
	ot__children_stop_all(s);
	ot__sup_flush_reports(s);
	sup_free(s);
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
	rp->rc = ot__child_start(s, c, &rp->reason);
	if (rp->rc == 0) {
		rp->pid = c->pid;
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
	rp->rc = ot__child_start(s, c, &rp->reason);
	if (rp->rc == 0)
		rp->pid = c->pid;
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
	    size != sizeof *rq + rq->extra_size) {
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
		if ((c = ot__child_by_pid(s, rq->pid)))
			op_terminate(s, c);
		else
			rp->rc = OT_ENOTFOUND;
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
			child_info(s, c, &rp->info[rp->n++]);
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
	default:
		rp->rc = OT_EINVAL;
		break;
	}
	return then_report(
	    s, ot_gs_reply(rp, sizeof *rp + rp->n * sizeof(ot_child_info)));
}

static const ot_gen_server_callbacks sup_callbacks = {
    .init = sup_init,
    .handle_call = sup_call,
    .handle_info = sup_info,
    .handle_continue = sup_continue,
    .terminate = sup_terminate,
    .format_status = sup_format,
};

/* ---------------------------------------------------------------------
 * The client side
 */

int ot_supervisor_start_link(const ot_sup_spec *spec, const char *name,
			     ot_pid *out, ot_reason *reason)
{
	if (!spec)
		return OT_EINVAL;
	ot_sup_flags flags;
	ot_reason why;
	int rc = ot__sup_check_spec(spec, &flags, &why);
	if (rc) {
		if (reason)
			*reason = why;
		return rc;
	}
	if (name && strlen(name) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	size_t n = spec->nchildren;
	if (n > (SIZE_MAX - sizeof(struct start_arg)) / sizeof(ot_child_spec))
		return OT_EINVAL;
	struct start_arg *a =
		malloc(sizeof *a + n * sizeof(ot_child_spec));
	if (!a)
		return OT_ENOMEM;
	a->flags = flags;
	snprintf(a->name, sizeof a->name, "%s", name ? name : "");
	if (n)
		memcpy(a->children, spec->children, n * sizeof(ot_child_spec));
	a->spec = (ot_sup_spec){
		.flags = spec->flags, .children = a->children, .nchildren = n};
	/* As OTP: a supervisor takes the time its children take. */
	ot_gen_server_opts opts = {.name = name,
				   .start_timeout_ms = OT_INFINITY};
	rc = ot_gen_server_start_link(&sup_callbacks, a, &opts, out, reason);
	free(a);
	return rc;
}

int ot_supervisor_stop(ot_pid sup, int timeout_ms)
{
	return ot_gen_server_stop(sup, NULL, timeout_ms);
}

/* One call: the reply's rc, or the call's own error. */
static int call(ot_pid sup, struct req *rq, size_t rq_size, struct rep *rp,
		size_t rp_size)
{
	rq->magic = SUP_MAGIC;
	size_t got = 0;
	ot_reason why;
	int rc = ot_gen_server_call(sup, rq, rq_size, rp, rp_size, &got,
				    OT_INFINITY, &why);
	if (rc)
		return rc;
	if (got < sizeof *rp || rp->magic != SUP_MAGIC)
		return OT_EINVAL; /* not a supervisor */
	return rp->rc;
}

static int call_simple(ot_pid sup, struct req *rq, struct rep *rp)
{
	return call(sup, rq, sizeof *rq, rp, sizeof *rp);
}

static int set_id(struct req *rq, const char *id)
{
	if (!id)
		return OT_EINVAL;
	if (strlen(id) > OT_NAME_MAX)
		return OT_ENOTFOUND; /* no child can have it */
	strcpy(rq->id, id);
	return 0;
}

/* What a start returns: the pid, or the reason it failed. */
static int started(int rc, const struct rep *rp, ot_pid *out, ot_reason *reason)
{
	if ((rc == 0 || rc == OT_EALREADY) && out)
		*out = rp->pid;
	if ((rc == OT_ECHILDSTART || rc == OT_EBADSPEC) && reason)
		*reason = rp->reason;
	return rc;
}

int ot_supervisor_start_child(ot_pid sup, const ot_child_spec *spec,
			      ot_pid *out, ot_reason *reason)
{
	if (!spec)
		return OT_EINVAL;
	struct req rq = {.op = OP_START_CHILD, .spec = *spec};
	struct rep rp;
	return started(call_simple(sup, &rq, &rp), &rp, out, reason);
}

int ot_supervisor_start_child_extra(ot_pid sup, const void *extra, size_t size,
				    ot_pid *out, ot_reason *reason)
{
	/* A size no buffer can have: the request's length would wrap. */
	if ((size && !extra) || size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	struct req *rq = calloc(1, sizeof *rq + size);
	if (!rq)
		return OT_ENOMEM;
	rq->op = OP_START_EXTRA;
	rq->extra_size = size;
	if (size)
		memcpy(rq->extra, extra, size);
	struct rep rp;
	int rc = call(sup, rq, sizeof *rq + size, &rp, sizeof rp);
	free(rq);
	return started(rc, &rp, out, reason);
}

static int by_id(ot_pid sup, enum sup_op op, const char *id, struct rep *rp)
{
	struct req rq = {.op = op};
	int rc = set_id(&rq, id);
	return rc ? rc : call_simple(sup, &rq, rp);
}

int ot_supervisor_terminate_child(ot_pid sup, const char *id)
{
	struct rep rp;
	return by_id(sup, OP_TERMINATE, id, &rp);
}

int ot_supervisor_terminate_child_pid(ot_pid sup, ot_pid child)
{
	struct req rq = {.op = OP_TERMINATE_PID, .pid = child};
	struct rep rp;
	return call_simple(sup, &rq, &rp);
}

int ot_supervisor_restart_child(ot_pid sup, const char *id, ot_pid *out,
				ot_reason *reason)
{
	struct rep rp;
	return started(by_id(sup, OP_RESTART, id, &rp), &rp, out, reason);
}

int ot_supervisor_delete_child(ot_pid sup, const char *id)
{
	struct rep rp;
	return by_id(sup, OP_DELETE, id, &rp);
}

int ot_supervisor_which_children(ot_pid sup, ot_child_info *out, size_t cap,
				 size_t *total)
{
	if (cap && !out)
		return OT_EINVAL;
	/* Ask for a modest number first; more only if there are more and
	 * the caller has room, so a large cap costs nothing up front. */
	size_t want = cap < 256 ? cap : 256;
	for (;;) {
		size_t size = sizeof(struct rep) + want * sizeof(ot_child_info);
		struct rep *rp = malloc(size);
		if (!rp)
			return OT_ENOMEM;
		struct req rq = {.op = OP_WHICH, .cap = want};
		int rc = call(sup, &rq, sizeof rq, rp, size);
		if (rc == 0 && rp->n == want && rp->total > want &&
		    want < cap) {
			want = rp->total < cap ? rp->total : cap;
			free(rp);
			continue;
		}
		if (rc == 0) {
			if (rp->n) /* (out may be NULL with cap 0) */
				memcpy(out, rp->info, rp->n * sizeof *out);
			if (total)
				*total = rp->total;
			rc = (int)rp->n;
		}
		free(rp);
		return rc;
	}
}

int ot_supervisor_count_children(ot_pid sup, ot_child_counts *out)
{
	if (!out)
		return OT_EINVAL;
	struct req rq = {.op = OP_COUNT};
	struct rep rp;
	int rc = call_simple(sup, &rq, &rp);
	if (rc == 0)
		*out = rp.counts;
	return rc;
}

int ot_supervisor_get_childspec(ot_pid sup, const char *id, ot_child_spec *out)
{
	if (!out)
		return OT_EINVAL;
	struct rep rp;
	int rc = by_id(sup, OP_SPEC, id, &rp);
	if (rc == 0)
		*out = rp.spec;
	return rc;
}

int ot_supervisor_get_childspec_pid(ot_pid sup, ot_pid child,
				    ot_child_spec *out)
{
	if (!out)
		return OT_EINVAL;
	struct req rq = {.op = OP_SPEC_PID, .pid = child};
	struct rep rp;
	int rc = call_simple(sup, &rq, &rp);
	if (rc == 0)
		*out = rp.spec;
	return rc;
}
