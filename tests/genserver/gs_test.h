/* SPDX-License-Identifier: MIT */
/*
 * gs_test.h — what the gen_server suites share, so that each test file
 * keeps to its scenarios: a fixture that keeps the reports a test makes,
 * events that servers send to the test thread, and short forms of the
 * start steps every test takes (monitors, DOWNs and reports: expect.h).
 *
 * The test thread (gs_test_pid) makes every assertion; servers only send
 * it events.
 */
#ifndef OTTER_TESTS_GS_TEST_H
#define OTTER_TESTS_GS_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"

#include <otter/gen_server.h>

/* The test thread, set by the fixture. */
extern ot_pid gs_test_pid;

/* An event from a server (or a helper process) to the test thread. */
struct gs_ev {
	ot_pid from;
	int64_t n;
	ot_reason reason;
};

/* Tags from GS_EV_BASE are events. */
#define GS_EV_BASE 5000

/* Sends the event tag (n, reason may be NULL) to the test thread. */
void gs_event(uint64_t tag, int64_t n, const ot_reason *reason);
/* Takes the event tag (from anyone), waiting up to 3 s (scaled). */
struct gs_ev gs_expect_event(uint64_t tag, const char *what);
/* No event tag comes within ms. */
void gs_expect_no_event(uint64_t tag, int ms, const char *what);

/* Starts cb with arg (no options), asserting that it starts. */
ot_pid gs_start(const ot_gen_server_callbacks *cb, void *arg);
ot_pid gs_start_opts(const ot_gen_server_callbacks *cb, void *arg,
		     const ot_gen_server_opts *opts);

/* Bytes of [lo, hi) that are resident (mincore), whole pages only: what
 * a hibernating server's stack gives back. */
long gs_resident(uintptr_t lo, uintptr_t hi);

/* A TCase with the standard fixture plus the report keeper
 * (ot_test_log_capture(): the ot_test_log_* functions of expect.h read
 * what the test's servers reported); crash_ ones
 * are tagged "crash" (left out under valgrind). */
TCase *gs_tcase(const char *name, double timeout_s);
TCase *gs_crash_tcase(const char *name, double timeout_s);
/* The same on one scheduler: a process woken by a message runs only when
 * the one that sent it waits. */
TCase *gs_tcase_one(const char *name, double timeout_s);

/* Asserts a reason's kind, printing the reason when it differs. */
#define gs_assert_kind(got, want_kind, what)                                   \
	do {                                                                   \
		char gs_k_[OT_REASON_STRLEN];                                  \
		ot_reason_format((got), gs_k_, sizeof gs_k_);                  \
		ck_assert_msg((got)->kind == (want_kind),                      \
			      "%s: reason %s, want kind %s", (what), gs_k_,    \
			      ot_reason_kind_name(want_kind));                 \
	} while (0)

#endif /* OTTER_TESTS_GS_TEST_H */
