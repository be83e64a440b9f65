/* SPDX-License-Identifier: MIT */
/*
 * report.c — crash reports, like Erlang's proc_lib crash report: who
 * ended (pid and name), why (the reason as text), and for a crash the
 * backtrace the fault handler took. Written by the scheduler once the
 * process is off its stack (never in the signal handler), through
 * ot_log_emit() (log.c).
 */
#include "config.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "fault.h"
#include "process.h"

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

/* Appends strings as they are: most of a report is fixed text and
 * strings already made, and going through vsnprintf() for them was a
 * tenth of a crash (bench_crash, perf). */
static void add_strs(struct text *t, const char *const *strs, size_t n)
{
	for (size_t i = 0; i < n && t->len + 1 < t->size; i++) {
		size_t len =
		    strlcpy(t->buf + t->len, strs[i], t->size - t->len);
		t->len += len < t->size - t->len ? len : t->size - t->len - 1;
	}
}

#define ADD(t, ...)                                                            \
	add_strs((t), (const char *const[]){__VA_ARGS__},                      \
		 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static void add_frame(void *ctx, int i, const char *text)
{
	add(ctx, "\n      #%d %s", i, text);
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
	if (!ot_log_would(OT_LOG_ERROR)) {
		drop_crash(p);
		return;
	}
	char buf[8192], pid[OT_PID_STRLEN];
	char reason[OT_REASON_STRLEN];
	struct text t = {buf, sizeof buf, 0};
	buf[0] = '\0';
	ot_pid_format(ot__pid_of(p), pid, sizeof pid);
	ot_reason_format(&p->exit_reason, reason, sizeof reason);
	ADD(&t, "=CRASH REPORT==== otter ===\n", "  crasher:\n",
	    "    pid: ", pid, "\n",
	    "    registered_name: ", name[0] ? name : "[]", "\n",
	    "    exit reason: ", reason);
	if (p->crash && p->crash->nframes > 0) {
		ADD(&t, "\n    backtrace:");
		ot__backtrace_write(p->crash->frames + p->crash->first,
				    p->crash->nframes - p->crash->first,
				    p->crash->first > 0, add_frame, &t);
	}
	drop_crash(p);
	ot_report r = {.severity = OT_LOG_ERROR,
		       .kind = OT_REPORT_CRASH,
		       .pid = ot__pid_of(p),
		       .name = name,
		       .reason = &p->exit_reason,
		       .text = buf};
	ot_log_emit(&r);
}
