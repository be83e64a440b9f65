/* SPDX-License-Identifier: MIT */
/*
 * fixture.h — what every Check suite shares: a checked fixture that starts
 * the runtime in the forked test process and, after the test, checks that
 * nothing leaked (processes, stacks, timers, names) before shutting down.
 */
#ifndef OTTER_TESTS_FIXTURE_H
#define OTTER_TESTS_FIXTURE_H

#include <check.h>
#include <otter.h>

/* Asserts that an otter call returned 0, naming the error otherwise. */
#define ck_assert_ot_ok(expr)                                                  \
	do {                                                                   \
		int ck_ot_rc_ = (expr);                                        \
		ck_assert_msg(ck_ot_rc_ == 0, "%s returned %s (%s)", #expr,    \
			      ot_err_name(ck_ot_rc_), ot_strerror(ck_ot_rc_)); \
	} while (0)

/* Asserts that an otter call returned the error code want. */
#define ck_assert_ot_err(expr, want)                                           \
	do {                                                                   \
		int ck_ot_rc_ = (expr);                                        \
		ck_assert_msg(ck_ot_rc_ == (want), "%s returned %s, want %s",  \
			      #expr, ot_err_name(ck_ot_rc_),                   \
			      ot_err_name(want));                              \
	} while (0)

/* Asserts that an otter call returned the system error that carries errno
 * want_errno: OT_ESYS_ERRNO(want_errno), which ot_err_is_sys() knows. */
#define ck_assert_ot_sys(expr, want_errno)                                     \
	do {                                                                   \
		int ck_ot_rc_ = (expr);                                        \
		ck_assert_msg(ot_err_is_sys(ck_ot_rc_) &&                      \
				  ot_err_errno(ck_ot_rc_) == (want_errno),     \
			      "%s returned %s, want %s", #expr,                \
			      ot_err_name(ck_ot_rc_),                          \
			      ot_err_name(OT_ESYS_ERRNO(want_errno)));         \
	} while (0)

/* Checked fixtures: start with 2 schedulers / with 1 scheduler, and stop
 * after checking for leaks. Add with tcase_add_checked_fixture(). */
void ot_test_setup(void);
void ot_test_setup_one(void);
void ot_test_teardown(void);

/* Starts the runtime with cfg (for tests that need their own config). */
void ot_test_setup_with(const ot_config *cfg);

/* Waits (polling, up to timeout_ms) until no scheduled process is alive.
 * Returns true when none is. */
bool ot_test_wait_quiet(int timeout_ms);

/*
 * n, or less where the build cannot afford it: under ThreadSanitizer every
 * process is a TSan fiber, which counts against its limit of ~8k threads
 * and is slow to create; valgrind tracks only so many mappings. Tests
 * that spawn many processes scale with this.
 */
size_t ot_test_scaled(size_t n);

/* True when the test runs under valgrind, which runs one thread at a time
 * (no parallelism to observe) and slowly. */
bool ot_test_under_valgrind(void);

/* A TCase with the standard fixture and the given timeout in seconds
 * (scaled by CK_TIMEOUT_MULTIPLIER as Check does). */
TCase *ot_test_tcase(const char *name, double timeout_s);

/* ---- Helpers the suites share ---------------------------------------- */

/* Aborts the test with a message unless cond holds. */
#define require(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

/* CK_TIMEOUT_MULTIPLIER (at least 1): scales waits under sanitizers. */
double tmul(void);
/* The monotonic clock in milliseconds, whole and fractional. */
int64_t now_ms(void);
double now_msf(void);
/* ms scaled by tmul(), for timeouts. */
int scaled_ms(int ms);
/* Asserts that two exit reasons are equal, printing both when not. */
#define assert_reason(got, want, what)                                         \
	do {                                                                   \
		char ck_g_[OT_REASON_STRLEN], ck_w_[OT_REASON_STRLEN];         \
		ot_reason_format((got), ck_g_, sizeof(ck_g_));                 \
		ot_reason_format((want), ck_w_, sizeof(ck_w_));                \
		ck_assert_msg(ot_reason_equal((got), (want)),                  \
			      "%s: reason %s, want %s", (what), ck_g_, ck_w_); \
	} while (0)
/* Receives the next message (waiting up to timeout_ms * tmul()) and
 * asserts that it is tagged want. The caller frees it. */
ot_msg *expect_msg(uint64_t want, int timeout_ms);
/* The int64 payload of m (asserting its size), and sending one. */
int64_t msg_i64(const ot_msg *m);
void send_i64(ot_pid to, uint64_t tag, int64_t v);

/* Spawns fn(arg) with the default options, asserting that it worked. */
ot_pid ot_test_spawn(ot_proc_fn fn, void *arg);

/* A process body that takes and drops every message until it is ended
 * (an exit signal's target). */
void ot_test_idle(void *arg);

/* How many descriptors this process has open (from /proc/self/fd), to
 * check that a test leaked none. */
int ot_test_count_fds(void);

/* Runs suite in fork mode, prints TAP when CK_TAP_LOG_FILE_NAME is set;
 * returns main()'s exit status. */
int ot_test_run(Suite *suite);

/* Expectations of DOWNs, EXITs, crash reasons and reports. */
#include "expect.h"

#endif /* OTTER_TESTS_FIXTURE_H */
