/* SPDX-License-Identifier: MIT */
/*
 * report.c — crash reports, like Erlang's proc_lib crash report: who
 * ended (pid and name), why (the reason as text), and for a crash the
 * backtrace the fault handler took. Written by the scheduler once the
 * process is off its stack (never in the signal handler), to stderr or to
 * the logger the program installed.
 */
#include "config.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

static struct {
	pthread_mutex_t lock;
	ot_log_fn fn; /* lock */
	void *arg;    /* lock */
} logger = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Read without the lock where a report would start (a signal handler
 * included): a stale value costs one report built or skipped. */
atomic_bool ot__log_off;

int ot_set_logger(ot_log_fn fn, void *arg)
{
	pthread_mutex_lock(&logger.lock);
	logger.fn = fn;
	logger.arg = fn ? arg : NULL;
	atomic_store_explicit(&ot__log_off, fn == ot_log_discard,
			      memory_order_relaxed);
	pthread_mutex_unlock(&logger.lock);
	return 0;
}

void ot_log_discard(const char *report, void *arg)
{
	(void)report;
	(void)arg;
}

bool ot_log_enabled(void)
{
	return !atomic_load_explicit(&ot__log_off, memory_order_relaxed);
}

/* Appends to a fixed buffer, keeping what fits. */
struct text {
	char *buf;
	size_t size, len;
};

static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	if (t->len + 1 >= t->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < t->size - t->len ? (size_t)n
						       : t->size - t->len - 1;
}

static void drop_crash(struct ot__proc *p)
{
	if (p->crash_owned)
		free(p->crash);
	p->crash = NULL;
	p->crash_owned = false;
}

void ot__report_crash(struct ot__proc *p, const char *name)
{
	if (!ot_log_enabled()) {
		drop_crash(p);
		return;
	}
	char buf[8192], pid[OT_PID_STRLEN];
	char reason[OT_REASON_STRLEN];
	struct text t = {buf, sizeof buf, 0};
	buf[0] = '\0';
	ot_pid_format(ot__pid_of(p), pid, sizeof pid);
	ot_reason_format(&p->exit_reason, reason, sizeof reason);
	add(&t, "=CRASH REPORT==== otter ===\n");
	add(&t, "  crasher:\n");
	add(&t, "    pid: %s\n", pid);
	add(&t, "    registered_name: %s\n", name[0] ? name : "[]");
	add(&t, "    exit reason: %s", reason);
	if (p->crash && p->crash->nframes > 0) {
		add(&t, "\n    backtrace:");
		void **frames = p->crash->frames + p->crash->first;
		int n = p->crash->nframes - p->crash->first;
		char **sym = backtrace_symbols(frames, n);
		for (int i = 0; i < n; i++) {
			if (sym)
				add(&t, "\n      #%d %s", i, sym[i]);
			else
				add(&t, "\n      #%d %p", i, frames[i]);
		}
		free(sym);
	}
	drop_crash(p);
	ot_log_report(buf);
}

int ot_log_report(const char *report)
{
	if (!report)
		return OT_EINVAL;
	pthread_mutex_lock(&logger.lock);
	ot_log_fn fn = logger.fn;
	void *arg = logger.arg;
	pthread_mutex_unlock(&logger.lock);
	if (fn) {
		fn(report, arg);
		return 0;
	}
	/* One write, so that reports from two schedulers do not interleave. */
	size_t len = strlen(report);
	char *line = malloc(len + 1);
	ssize_t rc;
	if (line) {
		memcpy(line, report, len);
		line[len] = '\n';
		rc = write(STDERR_FILENO, line, len + 1);
		free(line);
	} else {
		rc = write(STDERR_FILENO, report, len);
		rc = write(STDERR_FILENO, "\n", 1);
	}
	(void)rc;
	return 0;
}
