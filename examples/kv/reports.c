/* SPDX-License-Identifier: MIT */
/*
 * reports.c — a logger for otter's reports (crash reports, supervisor
 * and progress reports), printing each one indented under a rule, so that
 * a reader can tell them from the program's own output.
 *
 * The logger runs on a scheduler thread, while the rest of the program
 * prints too: each report is written under the stream's lock, whole.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"

static FILE *out;
static atomic_size_t seen;	/* reports written */
static _Atomic int64_t last_ms; /* when the last one was */

static void print_report(const char *report, void *arg)
{
	flockfile(out);
	const char *p = report;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(out, "      | %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
	fflush(out);
	funlockfile(out);
	atomic_store(&last_ms, ot_monotonic_ms());
	atomic_fetch_add(&seen, 1);
}

void kv_reports_install(FILE *to)
{
	out = to;
	ot_set_logger(print_report, NULL);
}

size_t kv_reports_seen(void)
{
	return atomic_load(&seen);
}

bool kv_reports_wait(size_t at_least, int quiet_ms, int max_ms)
{
	int64_t deadline = ot_monotonic_ms() + max_ms;
	for (;;) {
		int64_t now = ot_monotonic_ms();
		if (atomic_load(&seen) >= at_least &&
		    now - atomic_load(&last_ms) >= quiet_ms)
			return true;
		if (now > deadline)
			return false;
		ot_sleep(10);
	}
}
