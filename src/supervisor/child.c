/* SPDX-License-Identifier: MIT */
/*
 * child.c — one child's record, starting it, and stopping children the
 * way OTP's supervisor does: monitor the child (a child that unlinked
 * itself is still seen to end), send it exit reason shutdown, give it its
 * shutdown time, then kill it; then take the EXIT it sent, so
 * that an end the supervisor caused is never mistaken for a crash.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup.h"

struct child *ot__child_new(struct sup *s, const ot_child_spec *spec,
			    const void *extra, size_t extra_size)
{
	struct child *c = calloc(1, sizeof *c + extra_size);
	if (!c)
		return NULL;
	if (s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE) {
		c->spec = &s->template;
	} else {
		c->spec = malloc(sizeof *c->spec);
		if (!c->spec) {
			free(c);
			return NULL;
		}
		*c->spec = ot__sup_child_normalized(spec);
	}
	if (extra_size)
		memcpy(c->extra, extra, extra_size);
	c->extra_size = extra_size;
	c->state = CHILD_UNDEFINED;
	TAILQ_INSERT_TAIL(&s->children, c, order);
	if (!sup_is_dynamic(s))
		ot__index_id_add(s, c);
	s->nchildren++;
	if (ot__sup_child_type(c->spec) == OT_SUPERVISOR)
		s->nsupervisors++;
	else
		s->nworkers++;
	return c;
}

void ot__child_free(struct sup *s, struct child *c)
{
	ot__child_cancel_retry(c);
	ot__child_set_pid(s, c, OT_PID_NONE, CHILD_UNDEFINED);
	TAILQ_REMOVE(&s->children, c, order);
	if (!sup_is_dynamic(s))
		ot__index_id_remove(s, c);
	s->nchildren--;
	if (ot__sup_child_type(c->spec) == OT_SUPERVISOR)
		s->nsupervisors--;
	else
		s->nworkers--;
	if (c->spec != &s->template)
		free(c->spec);
	free(c);
}

/* Keeps by_pid and the running and significant counts in step with the
 * child's pid and state. */
void ot__child_set_pid(struct sup *s, struct child *c, ot_pid pid,
		       enum child_state state)
{
	if (c->state == CHILD_RUNNING)
		s->nrunning--;
	if (c->spec->significant &&
	    (c->state != CHILD_UNDEFINED) != (state != CHILD_UNDEFINED))
		s->nsignificant += state != CHILD_UNDEFINED ? 1 : (size_t)-1;
	if (c->in_pid_index && !ot_pid_equal(c->pid, pid)) {
		ot__index_pid_remove(s, c);
		c->in_pid_index = false;
	}
	c->pid = pid;
	c->state = state;
	if (!c->in_pid_index && !ot_pid_is_none(pid)) {
		ot__index_pid_add(s, c);
		c->in_pid_index = true;
	}
	if (state == CHILD_RUNNING)
		s->nrunning++;
}

void ot__child_cancel_retry(struct child *c)
{
	if (c->timer.id) {
		ot_cancel_timer(c->timer, NULL);
		c->timer.id = 0;
	}
	c->retry_gen = 0; /* a retry message already sent is now stale */
}

/* ---------------------------------------------------------------------
 * Starting
 */

/*
 * The start info (OTP's {ok, Pid, Info}): a start function hands it over
 * with ot_child_start_info() from the supervisor's process, while the
 * supervisor waits for it to return. The supervisor's state is not
 * reachable from there, so the starts under way are listed here, by the
 * supervisor's pid: one entry per supervisor running a start function at
 * this moment, a few at most.
 */
struct info_wait {
	LIST_ENTRY(info_wait) link; /* info_lock */
	ot_pid sup;
	ot_start_info *to; /* the supervisor's; written under info_lock */
};

static pthread_mutex_t info_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, info_wait) info_waits = LIST_HEAD_INITIALIZER(info_waits);

static void info_expect(struct info_wait *w)
{
	pthread_mutex_lock(&info_lock);
	LIST_INSERT_HEAD(&info_waits, w, link);
	pthread_mutex_unlock(&info_lock);
}

static void info_done(struct info_wait *w)
{
	pthread_mutex_lock(&info_lock);
	LIST_REMOVE(w, link);
	pthread_mutex_unlock(&info_lock);
}

int ot_child_start_info(const void *info, size_t size)
{
	if ((size && !info) || (!size && info))
		return OT_EINVAL;
	if (size > OT_CHILD_INFO_MAX)
		return OT_ETOOBIG;
	ot_pid self = ot_self();
	int rc = OT_ENOTFOUND;
	pthread_mutex_lock(&info_lock);
	struct info_wait *w;
	LIST_FOREACH(w, &info_waits, link) {
		if (ot_pid_equal(w->sup, self)) {
			if (size)
				memcpy(w->to->data, info, size);
			w->to->size = size;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&info_lock);
	return rc;
}

/* The start, by the spec's chosen way. */
static int call_start(struct sup *s, const struct child *c, ot_pid *pid,
		      ot_reason *why)
{
	const ot_child_spec *sp = c->spec;
	const void *extra = c->extra_size ? c->extra : NULL;
	s->info.size = 0;
	if (sp->start) {
		struct info_wait w = {.sup = s->self, .to = &s->info};
		info_expect(&w);
		int rc = sp->start(sp->arg, extra, c->extra_size, pid, why);
		info_done(&w);
		return rc;
	}
	const char *name = sp->name[0] ? sp->name : NULL;
	if (sp->sup)
		return ot_supervisor_start_link(sp->sup, name, pid, why);
	ot_gen_server_opts opts = {.name = name};
	return ot_gen_server_start_link(
	    sp->server, extra ? (void *)c->extra : sp->arg, &opts, pid, why);
}

/*
 * Starts c. 0: it runs (c->pid); s->info is what its start gave.
 * OT_EIGNORED: its start returned ignore. OT_EALREADY: its name is taken
 * (OTP's {already_started, Pid}): *holder (may be NULL) gets the pid
 * holding it, *why says so. OT_ECHILDSTART: it failed, *why says why.
 * c's state is left to the caller on failure.
 */
int ot__child_start(struct sup *s, struct child *c, ot_pid *holder,
		    ot_reason *why)
{
	ot_pid pid = OT_PID_NONE;
	/* A start function that fails without saying why gets a reason
	 * made from its error code. */
	ot_reason unset = ot_reason_error(0, NULL);
	*why = unset;
	int rc = call_start(s, c, &pid, why);
	if (rc == OT_EIGNORED)
		return OT_EIGNORED;
	if (rc == 0 && ot_pid_is_none(pid)) {
		*why = ot_reason_error(OT_EINVAL, "start returned no pid");
		return OT_ECHILDSTART;
	}
	if (rc == OT_EALREADY && !ot_pid_is_none(pid)) {
		if (holder)
			*holder = pid;
		if (ot_reason_equal(why, &unset))
			*why = ot_reason_error(rc, ot_strerror(rc));
		return OT_EALREADY;
	}
	if (rc != 0) {
		if (ot_reason_equal(why, &unset) || rc > 0)
			*why = ot_reason_error(rc, ot_strerror(rc));
		return OT_ECHILDSTART;
	}
	if (s->flags.backoff.min_ms) /* (only backoff asks) */
		c->started_ms = ot_monotonic_ms();
	ot__child_set_pid(s, c, pid, CHILD_RUNNING);
	return 0;
}

/* ---------------------------------------------------------------------
 * Stopping
 */

static bool is_down_ref(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

static bool is_exit_from(const ot_msg *m, void *arg)
{
	const ot_exit_info *e = ot_msg_exit(m);
	return e && ot_pid_equal(e->from, *(const ot_pid *)arg);
}

/*
 * After the DOWN: take the EXIT the child sent us if it is there, whose
 * reason is the one that counts. OTP unlinks first, to be sure the EXIT
 * has arrived; here it has: a process that ends sends its EXITs before
 * its DOWNs, and we act on signals in the order they came, so the EXIT is
 * a message in our mailbox by the time we hold the DOWN, and our link to
 * the dead child is gone with it. (An unlink would only cost a scan of
 * every signal not yet acted on: with a hundred thousand children ending
 * at once, that scan per child is what made stopping them quadratic.)
 */
static ot_reason take_exit(ot_pid pid, const ot_reason *down)
{
	ot_reason r = *down;
	ot_msg *m = NULL;
	if (ot_receive_match(is_exit_from, &pid, &m, 0) == 0) {
		r = ot_msg_exit(m)->reason;
		ot_msg_free(m);
	}
	/* Kept past its message: without the payload that lived there. */
	return ot_reason_without_data(&r);
}

/* Waits for the DOWN of ref (timeout_ms); 0 and *reason, or
 * OT_ETIMEDOUT. */
static int wait_down(ot_ref ref, int timeout_ms, ot_reason *reason)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_down_ref, &ref, &m, timeout_ms);
	if (rc)
		return rc;
	*reason = ot_reason_without_data(&ot_msg_down(m)->reason);
	ot_msg_free(m);
	return 0;
}

/* Whether a child stopped by its supervisor ended as it should have (as
 * OTP: shutdown, or killed when killing was the plan, or, for a child
 * that is not permanent, any clean reason). */
static bool expected_end(const ot_child_spec *sp, const ot_reason *r,
			 bool killed)
{
	if (r->kind == OT_REASON_SHUTDOWN ||
	    (killed && r->kind == OT_REASON_KILLED))
		return true;
	return sp->restart != OT_PERMANENT && ot_reason_is_clean(r);
}

/* Stops one running child and waits until it has ended. */
static void stop_one(struct sup *s, struct child *c)
{
	ot_pid pid = c->pid;
	int shutdown = ot__sup_child_shutdown_ms(c->spec);
	bool brutal = shutdown == OT_SHUTDOWN_BRUTAL_KILL;
	ot_ref ref;
	ot_reason r, kill = ot_reason_kill(), shut = ot_reason_shutdown();
	if (ot_monitor(pid, &ref) != 0) {
		/* Out of memory for the monitor: the link still tells. */
		ot_exit_pid(pid, &kill);
		ot_msg *m = NULL;
		ot_receive_match(is_exit_from, &pid, &m, OT_INFINITY);
		r = ot_reason_without_data(&ot_msg_exit(m)->reason);
		ot_msg_free(m);
	} else {
		ot_exit_pid(pid, brutal ? &kill : &shut);
		if (brutal || wait_down(ref, shutdown, &r) == OT_ETIMEDOUT) {
			/* Killed for outliving its shutdown time: that is
			 * reported (a shutdown_error), as OTP does. */
			if (!brutal)
				ot_exit_pid(pid, &kill);
			wait_down(ref, OT_INFINITY, &r);
		}
		r = take_exit(pid, &r);
	}
	if (!expected_end(c->spec, &r, brutal))
		ot__sup_report(s, REPORT_SHUTDOWN_ERROR, c, pid, &r, 1);
}

/* Stops c if it runs (a restart it waits for is cancelled); c becomes
 * undefined. */
void ot__child_stop(struct sup *s, struct child *c)
{
	ot__child_cancel_retry(c);
	if (c->state == CHILD_RUNNING)
		stop_one(s, c);
	ot__child_set_pid(s, c, OT_PID_NONE, CHILD_UNDEFINED);
}

/* ---------------------------------------------------------------------
 * Stopping many dynamic children at once
 */

/* The DOWN of one of the children being stopped. */
static bool is_child_down(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	if (!d)
		return false;
	struct child *c = ot__child_by_pid(arg, d->pid);
	return c && c->state == CHILD_RUNNING && c->mon.id == d->ref.id;
}

/* shutdown_error reports for many children, one per distinct reason. */
struct failures {
	struct {
		struct child *c;
		ot_pid pid;
		ot_reason reason;
		size_t count;
	} list[8];
	size_t n, dropped;
};

static void note_failure(struct failures *f, struct child *c, ot_pid pid,
			 const ot_reason *r)
{
	for (size_t i = 0; i < f->n; i++) {
		if (ot_reason_equal(&f->list[i].reason, r)) {
			f->list[i].count++;
			return;
		}
	}
	if (f->n == sizeof f->list / sizeof f->list[0]) {
		f->dropped++;
		return;
	}
	f->list[f->n].c = c;
	f->list[f->n].pid = pid;
	f->list[f->n].reason = *r;
	f->list[f->n].count = 1;
	f->n++;
}

/* Kills the children being stopped whose shutdown time has passed;
 * returns the next such deadline (INT64_MAX: none). */
static int64_t kill_due(struct sup *s, int64_t now)
{
	ot_reason kill = ot_reason_kill();
	int64_t next = INT64_MAX;
	struct child *c;
	TAILQ_FOREACH(c, &s->children, order) {
		if (c->state != CHILD_RUNNING || c->kill_at <= 0 ||
		    c->kill_at == INT64_MAX)
			continue;
		if (c->kill_at <= now) {
			ot_exit_pid(c->pid, &kill);
			c->kill_at = -1; /* killed late: wait for ever */
		} else if (c->kill_at < next) {
			next = c->kill_at;
		}
	}
	return next;
}

/* Sends every running dynamic child its exit signal at once, then waits
 * for them all, killing those that outlive their shutdown time. Children
 * end in any order, as OTP's simple_one_for_one and Elixir's
 * DynamicSupervisor stop theirs. */
static void stop_dynamic(struct sup *s)
{
	ot_reason kill = ot_reason_kill(), shut = ot_reason_shutdown();
	int64_t now = ot_monotonic_ms();
	size_t waiting = 0;
	struct child *c;
	TAILQ_FOREACH(c, &s->children, order) {
		ot__child_cancel_retry(c);
		if (c->state != CHILD_RUNNING)
			continue;
		int shutdown = ot__sup_child_shutdown_ms(c->spec);
		bool brutal = shutdown == OT_SHUTDOWN_BRUTAL_KILL;
		if (ot_monitor(c->pid, &c->mon) != 0) {
			/* No memory for a monitor: stop it alone. */
			stop_one(s, c);
			ot__child_set_pid(s, c, OT_PID_NONE, CHILD_UNDEFINED);
			continue;
		}
		ot_exit_pid(c->pid, brutal ? &kill : &shut);
		c->kill_at = brutal || shutdown == OT_INFINITY
				 ? (brutal ? 0 : INT64_MAX)
				 : now + shutdown;
		waiting++;
	}
	struct failures failed = {.n = 0};
	/* The earliest kill still to do bounds each wait; the children are
	 * scanned again only when it has passed (not per DOWN: a supervisor
	 * may have a million children). */
	int64_t next = now;
	while (waiting > 0) {
		now = ot_monotonic_ms();
		if (next != INT64_MAX && next <= now)
			next = kill_due(s, now);
		int timeout = next == INT64_MAX	       ? OT_INFINITY
			      : next - now > INT32_MAX ? INT32_MAX
						       : (int)(next - now);
		ot_msg *m = NULL;
		if (ot_receive_match(is_child_down, s, &m, timeout) != 0)
			continue; /* a deadline passed: kill, wait again */
		const ot_down_info *d = ot_msg_down(m);
		c = ot__child_by_pid(s, d->pid);
		bool killed = c->kill_at == 0; /* brutal_kill: the plan */
		ot_reason r = take_exit(c->pid, &d->reason);
		ot_msg_free(m);
		if (!expected_end(c->spec, &r, killed))
			note_failure(&failed, c, c->pid, &r);
		ot__child_set_pid(s, c, OT_PID_NONE, CHILD_UNDEFINED);
		waiting--;
	}
	for (size_t i = 0; i < failed.n; i++)
		ot__sup_report(s, REPORT_SHUTDOWN_ERROR, failed.list[i].c,
			       failed.list[i].pid, &failed.list[i].reason,
			       failed.list[i].count);
}

/* Stops every child: dynamic ones all at once, static ones one at a time
 * in reverse start order. Records stay (the caller frees them). */
void ot__children_stop_all(struct sup *s)
{
	if (sup_is_dynamic(s)) {
		stop_dynamic(s);
		return;
	}
	struct child *c;
	TAILQ_FOREACH_REVERSE(c, &s->children, child_list, order)
		ot__child_stop(s, c);
}
