/* SPDX-License-Identifier: MIT */
/*
 * expect.h — what the suites wait for and check, written once: the DOWN
 * of a monitor and the EXIT of a link, the exit reason a fault must give,
 * and the reports the logger got. Every function asserts (Check) on the
 * calling thread, so call them from the test thread; waits are scaled by
 * tmul() (fixture.h).
 */
#ifndef OTTER_TESTS_EXPECT_H
#define OTTER_TESTS_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include <otter.h>

/* ---- messages ------------------------------------------------------------ */

/* Matches (ot_receive_match) the DOWN of the monitor *(ot_ref *)ref. */
bool ot_test_is_down_of(const ot_msg *m, void *ref);
/* Matches the EXIT from the process *(ot_pid *)from. */
bool ot_test_is_exit_from(const ot_msg *m, void *from);
/* Matches a message tagged *(const uint64_t *)tag. */
bool ot_test_is_tag(const ot_msg *m, void *tag);

/* Monitors p, asserting that it worked. */
ot_ref ot_test_monitor(ot_pid p);

/* Takes the DOWN of ref, waiting up to timeout_ms; what names the step in
 * the failure message. */
ot_down_info ot_test_expect_down(ot_ref ref, int timeout_ms, const char *what);
/* No DOWN of ref comes within ms (not scaled: a short look). */
void ot_test_expect_no_down(ot_ref ref, int ms, const char *what);
/* Takes the EXIT from from, waiting up to timeout_ms. */
ot_exit_info ot_test_expect_exit(ot_pid from, int timeout_ms, const char *what);
/* No EXIT from from comes within ms (not scaled). */
void ot_test_expect_no_exit(ot_pid from, int ms, const char *what);

/* ---- crashes ------------------------------------------------------------- */

/* Asserts that r is the crash reason that fault (enum fault, faults.h)
 * gives: the signal, its si_code, the address, a stack overflow. */
void ot_test_check_crash(const ot_reason *r, int fault, const char *what);

/* ---- reports ------------------------------------------------------------- */

/* A NULL-terminated list of substrings, for the functions below. */
#define OT_TEST_NEED(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Installs a logger (ot_set_logger) that keeps the texts of the last
 * OT_TEST_LOG_KEEP reports, and forgets those kept before. */
#define OT_TEST_LOG_KEEP 256
void ot_test_log_capture(void);
/* Every report since ot_test_log_capture(), kept or not. */
int ot_test_log_count(void);
/* How many kept reports contain all of need; the first is copied to out
 * (cap bytes; out may be NULL). */
int ot_test_log_matching(const char *const *need, char *out, size_t cap);
/* True when a kept report contains text. */
bool ot_test_log_contains(const char *text);
/* Waits up to timeout_ms for a report that contains all of need (copied
 * to out as above). */
bool ot_test_log_wait(const char *const *need, int timeout_ms, char *out,
		      size_t cap);
/* Copies report number i (from 0, in order of arrival) to out; false when
 * it is not (or no longer) kept. */
bool ot_test_log_copy(int i, char *out, size_t cap);
/* Writes every kept report to stderr, for a failure message. */
void ot_test_log_dump(void);

#endif /* OTTER_TESTS_EXPECT_H */
