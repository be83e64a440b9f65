/* SPDX-License-Identifier: MIT */
/*
 * history.c — crashes and restarts over the last minutes, for the
 * dashboard's plot and otterctl's top.
 *
 * Fed by a log tap (ot_log_tap(), otter/log.h) while an endpoint is open:
 * a crash report (OT_REPORT_CRASH: a process's own code ended it
 * abnormally) counts a crash, a supervisor's progress report of a
 * restart ("restarted:") counts a restart, and each of them, and a
 * supervisor giving up (reached_max_restart_intensity), is kept as an
 * event. Counts are per second of the monotonic clock, in a ring of
 * OT__HISTORY_SECONDS buckets: a bucket whose second has passed is
 * reused for the new one. One mutex, held for a few stores: the tap runs
 * on whatever thread writes the report and must not wait long.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <otter/timer.h>

#include "observer.h"

struct bucket {
	int64_t second; /* which second it counts; 0: none yet */
	uint32_t crashes, restarts;
};

struct event {
	int64_t ms;	  /* monotonic */
	int64_t wall_ms;  /* CLOCK_REALTIME */
	const char *kind; /* "crash", "restart", "gave_up" */
	ot_pid pid;	  /* what the report is about */
	char name[OT_NAME_MAX + 1];
	char what[160]; /* the reason, or the restarted child */
};

static struct {
	pthread_mutex_t lock;
	struct bucket b[OT__HISTORY_SECONDS];
	struct event ev[OT__HISTORY_EVENTS];
	size_t next_ev; /* ev[next_ev % EVENTS] is the oldest once full */
	uint64_t crashes, restarts;
	bool tapped;
} h = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct bucket *bucket_of(int64_t second)
{
	struct bucket *b = &h.b[second % OT__HISTORY_SECONDS];
	if (b->second != second)
		*b = (struct bucket){.second = second};
	return b;
}

/* The child a restart report names: its {id,...} from the offender. */
static void offender_id(const char *text, char *out, size_t size)
{
	const char *p = strstr(text, "{id,");
	out[0] = '\0';
	if (!p)
		return;
	p += 4;
	if (*p == '"') /* {id,"db"}: the id without its quotes */
		p++;
	size_t n = strcspn(p, "\"}");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void tap(const ot_report *r, void *arg)
{
	(void)arg;
	const char *kind = NULL;
	if (r->kind == OT_REPORT_CRASH)
		kind = "crash";
	else if (r->kind == OT_REPORT_PROGRESS && strstr(r->text, "restarted:"))
		kind = "restart";
	else if (r->kind == OT_REPORT_SUPERVISOR &&
		 strstr(r->text, "reached_max_restart_intensity"))
		kind = "gave_up";
	if (!kind)
		return;
	struct event e = {.ms = r->monotonic_ns / 1000000,
			  .wall_ms = (int64_t)r->wall.tv_sec * 1000 +
				     r->wall.tv_nsec / 1000000,
			  .kind = kind,
			  .pid = r->pid};
	snprintf(e.name, sizeof e.name, "%s", r->name ? r->name : "");
	if (r->kind == OT_REPORT_PROGRESS)
		offender_id(r->text, e.what, sizeof e.what);
	else if (r->reason)
		ot_reason_format(r->reason, e.what, sizeof e.what);
	pthread_mutex_lock(&h.lock);
	struct bucket *b = bucket_of(e.ms / 1000 + 1);
	if (kind[0] == 'c') {
		b->crashes++;
		h.crashes++;
	} else if (kind[0] == 'r') {
		b->restarts++;
		h.restarts++;
	}
	h.ev[h.next_ev++ % OT__HISTORY_EVENTS] = e;
	pthread_mutex_unlock(&h.lock);
}

int ot__history_start(void)
{
	pthread_mutex_lock(&h.lock);
	bool was = h.tapped;
	h.tapped = true;
	pthread_mutex_unlock(&h.lock);
	if (was)
		return 0;
	int rc = ot_log_tap(tap, NULL);
	if (rc == OT_EALREADY)
		rc = 0;
	if (rc) {
		pthread_mutex_lock(&h.lock);
		h.tapped = false;
		pthread_mutex_unlock(&h.lock);
	}
	return rc;
}

void ot__history_stop(void)
{
	pthread_mutex_lock(&h.lock);
	bool was = h.tapped;
	h.tapped = false;
	pthread_mutex_unlock(&h.lock);
	if (was)
		ot_log_untap(tap, NULL);
}

static void series(struct ot__json *j, const char *key, const uint32_t *v)
{
	ot__json_key(j, key);
	ot__json_open(j, '[');
	for (size_t i = 0; i < OT__HISTORY_SECONDS; i++)
		ot__json_uint(j, v[i]);
	ot__json_close(j, ']');
}

void ot__history_json(struct ot__json *j)
{
	static uint32_t crashes[OT__HISTORY_SECONDS],
	    restarts[OT__HISTORY_SECONDS];
	static struct event ev[OT__HISTORY_EVENTS];
	static pthread_mutex_t copy_lock = PTHREAD_MUTEX_INITIALIZER;
	/* The copies are static (too large for a process's stack): one
	 * reply is made at a time. */
	pthread_mutex_lock(&copy_lock);
	int64_t now_ms = ot_monotonic_ms(), now = now_ms / 1000 + 1;
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	pthread_mutex_lock(&h.lock);
	/* Oldest first: second now - SECONDS + 1 .. now. */
	for (size_t i = 0; i < OT__HISTORY_SECONDS; i++) {
		int64_t sec = now - OT__HISTORY_SECONDS + 1 + (int64_t)i;
		const struct bucket *b =
		    sec > 0 ? &h.b[sec % OT__HISTORY_SECONDS] : NULL;
		bool ok = b && b->second == sec;
		crashes[i] = ok ? b->crashes : 0;
		restarts[i] = ok ? b->restarts : 0;
	}
	size_t nev =
	    h.next_ev < OT__HISTORY_EVENTS ? h.next_ev : OT__HISTORY_EVENTS;
	for (size_t i = 0; i < nev; i++) /* newest first */
		ev[i] = h.ev[(h.next_ev - 1 - i) % OT__HISTORY_EVENTS];
	uint64_t total_c = h.crashes, total_r = h.restarts;
	pthread_mutex_unlock(&h.lock);

	ot__json_open(j, '{');
	ot__json_kuint(j, "seconds", OT__HISTORY_SECONDS);
	ot__json_kint(j, "now_ms", now_ms);
	ot__json_kint(j, "wall_ms",
		      (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000);
	ot__json_kuint(j, "crashes_total", total_c);
	ot__json_kuint(j, "restarts_total", total_r);
	series(j, "crashes", crashes);
	series(j, "restarts", restarts);
	ot__json_key(j, "events");
	ot__json_open(j, '[');
	for (size_t i = 0; i < nev; i++) {
		ot__json_open(j, '{');
		ot__json_kstr(j, "kind", ev[i].kind);
		ot__json_kint(j, "ago_ms", now_ms - ev[i].ms);
		ot__json_kint(j, "wall_ms", ev[i].wall_ms);
		ot__json_kpid(j, "pid", ev[i].pid);
		ot__json_kstr(j, "name", ev[i].name);
		ot__json_kstr(j, "what", ev[i].what);
		ot__json_close(j, '}');
	}
	ot__json_close(j, ']');
	ot__json_close(j, '}');
	pthread_mutex_unlock(&copy_lock);
}
