/* SPDX-License-Identifier: MIT */
/*
 * restart.c — what a supervisor does when a child ends on its own:
 * OTP's do_restart/restart (restart types, the four strategies,
 * intensity, retrying a failed restart, auto_shutdown), plus otter's
 * backoff. The functions return true when the supervisor must now shut
 * down (intensity exceeded, or a significant child ended).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sup.h"

/* Forgets a child that will not run again: a temporary or dynamic child
 * goes, a static one stays as a spec without a pid. */
void ot__sup_forget(struct sup *s, struct child *c)
{
	if (sup_is_dynamic(s) || c->spec->restart == OT_TEMPORARY)
		ot__child_free(s, c);
	else
		ot__child_stop(s, c);
}

/* ---------------------------------------------------------------------
 * Intensity
 */

/* Makes the ring hold up to cap times, oldest first from index 0. */
static bool ring_grow(struct sup *s, size_t cap)
{
	int64_t *r = malloc(cap * sizeof *r);
	if (!r)
		return false;
	for (size_t i = 0; i < s->ring_len; i++)
		r[i] = s->restarts[(s->ring_head + i) % s->ring_cap];
	free(s->restarts);
	s->restarts = r;
	s->ring_cap = cap;
	s->ring_head = 0;
	return true;
}

/*
 * Counts a restart now; true when it is one too many: more than intensity
 * restarts within period_ms. The ring holds the times of the last
 * restarts, up to intensity+1 of them: when it holds that many, the
 * oldest decides. It starts small and grows only while the restarts it
 * holds all fall within the period (a storm dense enough to need them), so
 * a large intensity costs memory only when it is used. O(1) amortized.
 */
static bool add_restart(struct sup *s)
{
	size_t full = (size_t)s->flags.intensity + 1;
	int64_t now = ot_monotonic_ms();
	int64_t since = now - s->flags.period_ms;
	if (s->ring_len == s->ring_cap && s->ring_cap < full &&
	    (s->ring_len == 0 || s->restarts[s->ring_head] >= since)) {
		size_t cap = s->ring_cap ? s->ring_cap * 2 : 8;
		if (!ring_grow(s, cap < full ? cap : full))
			return true; /* cannot count: be safe, give up */
	}
	size_t at = (s->ring_head + s->ring_len) % s->ring_cap;
	s->restarts[at] = now;
	if (s->ring_len < s->ring_cap)
		s->ring_len++;
	else
		s->ring_head = (s->ring_head + 1) % s->ring_cap;
	return s->ring_len == full && s->restarts[s->ring_head] >= since;
}

/* ---------------------------------------------------------------------
 * Backoff
 */

static uint64_t next_random(struct sup *s)
{
	/* xorshift64*: plenty for jitter. */
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * UINT64_C(2685821657736338717);
}

/* How long c waits before its restart: 0 without backoff. */
static int backoff_delay(struct sup *s, struct child *c)
{
	const ot_sup_backoff *b = &s->flags.backoff;
	if (b->min_ms == 0)
		return 0;
	int64_t delay = b->min_ms;
	for (unsigned i = 0; i < c->streak && delay < b->max_ms; i++)
		delay *= 2;
	if (delay > b->max_ms)
		delay = b->max_ms;
	if (c->streak < 64)
		c->streak++;
	if (b->jitter_pct) {
		/* Uniform in [-jitter, +jitter] percent of the delay. */
		int64_t span = delay * b->jitter_pct / 100;
		if (span > 0)
			delay += (int64_t)(next_random(s) %
					   (uint64_t)(2 * span + 1)) -
				 span;
	}
	return delay < 1 ? 1 : delay > INT32_MAX ? INT32_MAX : (int)delay;
}

/* ---------------------------------------------------------------------
 * Restarting
 */

/* Marks c as waiting for a restart, and asks for it: at once (after the
 * messages already waiting, as OTP's try_again), or after delay_ms. */
static void schedule_retry(struct sup *s, struct child *c, int delay_ms)
{
	ot__child_cancel_retry(c);
	ot__child_set_pid(s, c, c->pid, CHILD_RESTARTING);
	c->retry_gen = ++s->next_gen;
	struct sup_retry r = {.pid = c->pid, .gen = c->retry_gen};
	if (ot_pid_is_none(c->pid)) /* a static child: its id finds it */
		memcpy(r.id, c->spec->id, sizeof r.id);
	if (delay_ms > 0 && ot_send_after(delay_ms, s->self, SUP_TAG_RETRY, &r,
					  sizeof r, &c->timer) == 0)
		return;
	/* No delay, or no memory for a timer: retry now. A send to
	 * ourselves fails only for want of memory; then the next message
	 * we get, whatever it is, finds a child still waiting. */
	ot_send(s->self, SUP_TAG_RETRY, &r, sizeof r);
}

/* Starts c. False when it failed (it is then scheduled for a retry). */
static bool start_or_retry(struct sup *s, struct child *c)
{
	ot_reason why;
	ot_pid old = c->pid;
	int rc = ot__child_start(s, c, NULL, &why);
	if (rc == 0) {
		c->retry_gen = 0;
		c->restarts++;
		ot__sup_report(s, REPORT_RESTARTED, c, c->pid, NULL, 1);
		return true;
	}
	if (rc == OT_EIGNORED) {
		/* A restart that is ignored leaves nothing to run: OTP keeps
		 * a static child's spec, a dynamic or temporary one goes. */
		ot__sup_forget(s, c);
		return true;
	}
	ot__sup_report(s, REPORT_START_ERROR, c, old, &why, 1);
	schedule_retry(s, c, backoff_delay(s, c));
	return false;
}

/* The children a restart of c touches: c alone, all of them, or c and
 * those started after it. */
static struct child *group_first(struct sup *s, struct child *c)
{
	return s->flags.strategy == OT_ONE_FOR_ALL ? TAILQ_FIRST(&s->children)
						   : c;
}

static bool restarts_group(const struct sup *s)
{
	return s->flags.strategy == OT_ONE_FOR_ALL ||
	       s->flags.strategy == OT_REST_FOR_ONE;
}

/* Stops the group of c (but c) in reverse start order; temporary
 * children stopped this way are not restarted: they go. */
static void stop_group(struct sup *s, struct child *c)
{
	struct child *first = group_first(s, c), *x, *prev;
	for (x = TAILQ_LAST(&s->children, child_list); x; x = prev) {
		prev = x == first ? NULL : TAILQ_PREV(x, child_list, order);
		if (x == c)
			continue;
		ot__child_stop(s, x);
		ot__sup_forget(s, x);
	}
}

/* One restart attempt for c (counted toward intensity). */
static bool attempt(struct sup *s, struct child *c)
{
	if (add_restart(s)) {
		ot__sup_report(s, REPORT_SHUTDOWN, c, c->pid, NULL, 1);
		ot__sup_forget(s, c);
		return true;
	}
	if (!restarts_group(s)) {
		start_or_retry(s, c);
		return false;
	}
	stop_group(s, c);
	/* Start the group in order, c included, up to the first failure:
	 * the one that failed waits for its retry, those after it stay
	 * undefined until then (the retry restarts the group again). */
	struct child *x = group_first(s, c), *next;
	for (; x; x = next) {
		next = TAILQ_NEXT(x, order);
		if (x->state == CHILD_RUNNING)
			continue;
		ot__child_cancel_retry(x);
		if (!start_or_retry(s, x))
			break;
	}
	return false;
}

/* Restarts c, now or after its backoff delay. */
static bool restart(struct sup *s, struct child *c)
{
	int delay = backoff_delay(s, c);
	if (delay == 0)
		return attempt(s, c);
	/* The group goes down now, so that it never runs without c; it
	 * comes back with c. */
	if (restarts_group(s))
		stop_group(s, c);
	schedule_retry(s, c, delay);
	return false;
}

/* OTP's do_auto_shutdown: after a significant child ended on its own and
 * will not be restarted. */
static bool auto_shutdown(struct sup *s, bool significant)
{
	if (!significant || s->flags.auto_shutdown == OT_AUTO_SHUTDOWN_NEVER)
		return false;
	if (s->flags.auto_shutdown == OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT)
		return true;
	return s->nsignificant == 0; /* none running or restarting */
}

bool ot__sup_child_exited(struct sup *s, struct child *c,
			  const ot_reason *reason)
{
	ot_pid pid = c->pid;
	/* The process is gone; the record keeps its pid until we know
	 * whether it waits for a restart (its key then). */
	ot__child_set_pid(s, c, pid, CHILD_UNDEFINED);
	bool clean = ot_reason_is_clean(reason);
	ot_restart type = c->spec->restart;
	if (type == OT_PERMANENT || (type == OT_TRANSIENT && !clean)) {
		ot__sup_report(s, REPORT_CHILD_TERMINATED, c, pid, reason, 1);
		/* A child that ran for the quiet period starts its backoff
		 * over (one that keeps failing to start never ran). */
		if (s->flags.backoff.min_ms &&
		    ot_monotonic_ms() - c->started_ms >=
			s->flags.backoff.reset_ms)
			c->streak = 0;
		return restart(s, c);
	}
	if (!clean)
		ot__sup_report(s, REPORT_CHILD_TERMINATED, c, pid, reason, 1);
	bool significant = c->spec->significant;
	ot__sup_forget(s, c);
	return auto_shutdown(s, significant);
}

bool ot__sup_retry(struct sup *s, const struct sup_retry *r)
{
	struct child *c = NULL;
	if (!ot_pid_is_none(r->pid))
		c = ot__child_by_pid(s, r->pid);
	else if (!sup_is_dynamic(s) && memchr(r->id, '\0', sizeof r->id))
		c = ot__child_by_id(s, r->id);
	if (!c || c->state != CHILD_RESTARTING || c->retry_gen != r->gen)
		return false; /* stale: terminated, deleted or restarted */
	c->timer.id = 0;      /* it fired */
	return attempt(s, c);
}
