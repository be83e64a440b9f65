/* SPDX-License-Identifier: MIT */
/*
 * log.c — the logger (otter/log.h): which function gets the reports, the
 * level below which none is built, and handing a report over.
 *
 * A logger that the scheduler calls outside any process (for the crash
 * report of a process that is gone) runs under a fault guard: if it
 * crashes, the scheduler is not the one that dies (fault.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fault.h"
#include "runtime.h"
#include "scheduler.h"
#include "timer.h"

struct tap {
	ot_report_fn fn;
	void *arg;
};

static struct {
	pthread_mutex_t lock;
	ot_report_fn record_fn; /* lock; at most one of the two is set */
	ot_log_fn text_fn;	/* lock */
	void *arg;		/* lock */
	struct tap taps[OT_LOG_TAPS_MAX]; /* lock; taps[0..ntaps) are set */
	size_t ntaps;			  /* lock */
} logger = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Atomic int log_level = OT_LOG_INFO;
/* logger.text_fn == ot_log_discard, readable without the lock. */
static atomic_bool discarding;

/* Read without the lock where a report would start (a signal handler
 * included): a stale value costs one report built or skipped. True when
 * no error would be written, so no crash report: fault.c takes no
 * backtrace then. */
atomic_bool ot__log_off;

/* Under logger.lock: what ot__log_off and discarding say. A tap keeps
 * reports built while the logger discards them. */
static void update_off(void)
{
	bool discard = logger.text_fn == ot_log_discard && logger.ntaps == 0;
	bool off =
	    discard || atomic_load_explicit(&log_level, memory_order_relaxed) <
			   OT_LOG_ERROR;
	atomic_store_explicit(&discarding, discard, memory_order_relaxed);
	atomic_store_explicit(&ot__log_off, off, memory_order_relaxed);
}

static void set(ot_report_fn record_fn, ot_log_fn text_fn, void *arg)
{
	pthread_mutex_lock(&logger.lock);
	logger.record_fn = record_fn;
	logger.text_fn = text_fn;
	logger.arg = record_fn || text_fn ? arg : NULL;
	update_off();
	pthread_mutex_unlock(&logger.lock);
}

int ot_set_report_logger(ot_report_fn fn, void *arg)
{
	set(fn, NULL, arg);
	return 0;
}

int ot_set_logger(ot_log_fn fn, void *arg)
{
	set(NULL, fn, arg);
	return 0;
}

int ot_log_tap(ot_report_fn fn, void *arg)
{
	if (!fn)
		return OT_EINVAL;
	int rc = 0;
	pthread_mutex_lock(&logger.lock);
	for (size_t i = 0; i < logger.ntaps; i++)
		if (logger.taps[i].fn == fn && logger.taps[i].arg == arg)
			rc = OT_EALREADY;
	if (rc == 0 && logger.ntaps == OT_LOG_TAPS_MAX)
		rc = OT_ELIMIT;
	if (rc == 0) {
		logger.taps[logger.ntaps++] = (struct tap){fn, arg};
		update_off();
	}
	pthread_mutex_unlock(&logger.lock);
	return rc;
}

int ot_log_untap(ot_report_fn fn, void *arg)
{
	int rc = OT_ENOTFOUND;
	pthread_mutex_lock(&logger.lock);
	for (size_t i = 0; i < logger.ntaps; i++) {
		if (logger.taps[i].fn != fn || logger.taps[i].arg != arg)
			continue;
		logger.taps[i] = logger.taps[--logger.ntaps];
		update_off();
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&logger.lock);
	return rc;
}

void ot_log_discard(const char *report, void *arg)
{
	(void)report;
	(void)arg;
}

static bool severity_ok(int s)
{
	return s >= OT_LOG_EMERGENCY && s <= OT_LOG_DEBUG;
}

int ot_log_set_level(ot_severity level)
{
	if (!severity_ok((int)level))
		return OT_EINVAL;
	pthread_mutex_lock(&logger.lock);
	int old = atomic_exchange(&log_level, (int)level);
	update_off();
	pthread_mutex_unlock(&logger.lock);
	return old;
}

bool ot_log_enabled(void)
{
	/* the logger only: a level hides some reports, not all */
	return !atomic_load_explicit(&discarding, memory_order_relaxed);
}

bool ot_log_would(ot_severity severity)
{
	if ((int)severity >
	    atomic_load_explicit(&log_level, memory_order_relaxed))
		return false;
	return ot_log_enabled();
}

/* What a guarded call runs: the logger, with what it needs. */
struct delivery {
	ot_report_fn record_fn;
	ot_log_fn text_fn;
	void *arg;
	const ot_report *report;
};

static void deliver(void *arg)
{
	const struct delivery *d = arg;
	if (d->text_fn)
		d->text_fn(d->report->text, d->arg);
	else
		d->record_fn(d->report, d->arg);
}

int ot_log_emit(const ot_report *r)
{
	if (!r || !r->text || !severity_ok((int)r->severity) ||
	    (int)r->kind < OT_REPORT_USER || r->kind > OT_REPORT_PROGRESS)
		return OT_EINVAL;
	if ((int)r->severity >
	    atomic_load_explicit(&log_level, memory_order_relaxed))
		return 0;
	ot_report rep = *r;
	if (!rep.name)
		rep.name = "";
	if (rep.monotonic_ns == 0 && rep.wall.tv_sec == 0 &&
	    rep.wall.tv_nsec == 0) {
		rep.monotonic_ns = ot__now_ns();
		clock_gettime(CLOCK_REALTIME, &rep.wall);
	}
	struct delivery d = {.report = &rep};
	struct tap taps[OT_LOG_TAPS_MAX];
	pthread_mutex_lock(&logger.lock);
	d.record_fn = logger.record_fn;
	d.text_fn = logger.text_fn;
	d.arg = logger.arg;
	size_t ntaps = logger.ntaps;
	memcpy(taps, logger.taps, ntaps * sizeof taps[0]);
	pthread_mutex_unlock(&logger.lock);
	for (size_t i = 0; i < ntaps; i++)
		taps[i].fn(&rep, taps[i].arg);
	if (d.text_fn == ot_log_discard)
		return 0;
	if (!d.text_fn && !d.record_fn)
		d.record_fn = ot_log_stderr;

	struct ot__sched *s = ot__sched_self();
	if (!s || s->current || d.record_fn == ot_log_stderr) {
		deliver(&d); /* a process's or a thread's own crash */
		return 0;
	}
	int sig = ot__fault_guarded(deliver, &d);
	if (sig) {
		ot_log_stderr(&rep, NULL);
		char note[160];
		snprintf(note, sizeof note,
			 "otter: the logger crashed (%s) on the report "
			 "above; it stays installed",
			 sigabbrev_np(sig) ? sigabbrev_np(sig) : "a signal");
		ot_report n = rep;
		n.severity = OT_LOG_CRITICAL;
		n.kind = OT_REPORT_USER;
		n.reason = NULL;
		n.text = note;
		ot_log_stderr(&n, NULL);
	}
	return 0;
}

/* The caller's pid and name, for a user report. */
static void about_caller(ot_report *r, char *name)
{
	name[0] = '\0';
	r->pid = OT_PID_NONE;
	r->name = name;
	if (!ot_in_process())
		return;
	r->pid = ot_self();
	ot_process_info info;
	if (ot_process_info_get(r->pid, &info) == 0)
		memcpy(name, info.name, sizeof info.name);
}

int ot_log(ot_severity severity, const char *fmt, ...)
{
	if (!fmt || !severity_ok((int)severity))
		return OT_EINVAL;
	if (!ot_log_would(severity))
		return 0;
	char text[4096], name[OT_NAME_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return OT_EINVAL;
	ot_report r = {
	    .severity = severity, .kind = OT_REPORT_USER, .text = text};
	about_caller(&r, name);
	return ot_log_emit(&r);
}

int ot_log_report(const char *report)
{
	if (!report)
		return OT_EINVAL;
	if (!ot_log_would(OT_LOG_ERROR))
		return 0;
	char name[OT_NAME_MAX + 1];
	ot_report r = {
	    .severity = OT_LOG_ERROR, .kind = OT_REPORT_USER, .text = report};
	about_caller(&r, name);
	return ot_log_emit(&r);
}

const char *ot_severity_name(ot_severity severity)
{
	static const char *const names[] = {"emergency", "alert",   "critical",
					    "error",	 "warning", "notice",
					    "info",	 "debug"};
	return severity_ok((int)severity) ? names[severity] : "unknown";
}

const char *ot_report_kind_name(ot_report_kind kind)
{
	static const char *const names[] = {"user", "crash", "server",
					    "supervisor", "progress"};
	return (int)kind >= OT_REPORT_USER && kind <= OT_REPORT_PROGRESS
		   ? names[kind]
		   : "unknown";
}
