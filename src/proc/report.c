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
	add(&t, "=CRASH REPORT==== otter ===\n");
	add(&t, "  crasher:\n");
	add(&t, "    pid: %s\n", pid);
	add(&t, "    registered_name: %s\n", name[0] ? name : "[]");
	add(&t, "    exit reason: %s", reason);
	if (p->crash && p->crash->nframes > 0) {
		add(&t, "\n    backtrace:");
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
