/* SPDX-License-Identifier: MIT */
/*
 * sup_fixture.h — what the supervisor suites share, on top of fixture.h:
 * starting a supervisor from flags and children, counting and finding its
 * children, monitoring it and waiting (or not) for its DOWN.
 *
 * Every helper asserts with Check, so call them from the test process.
 */
#ifndef OTTER_TESTS_SUP_FIXTURE_H
#define OTTER_TESTS_SUP_FIXTURE_H

#include <otter/supervisor.h>

#include "../fixture.h"

/* Starts (and links) a supervisor with flags f and the n children ch,
 * asserting success (and printing why not). */
ot_pid sup_start(const ot_sup_flags *f, const ot_child_spec *ch, size_t n);

/* which_children of sup into out (cap entries); asserts success and
 * returns how many were written. */
int kids(ot_pid sup, ot_child_info *out, size_t cap);

/* The child id of sup (among its first 16), or one with status 0. */
ot_child_info find_kid(ot_pid sup, const char *id);

/* count_children of sup; asserts success. */
ot_child_counts counts(ot_pid sup);

/* ot_test_expect_down() (expect.h) that also tells when: *at (may be
 * NULL) gets now_msf() when the DOWN was taken. */
ot_down_info expect_down_at(ot_ref ref, int ms, const char *what, double *at);

#define assert_pid(got, want, what)                                            \
	do {                                                                   \
		ot_pid ck_g_ = (got), ck_w_ = (want);                          \
		ck_assert_msg(ot_pid_equal(ck_g_, ck_w_),                      \
			      "%s: pid %llx, want %llx", (what),               \
			      (unsigned long long)ck_g_.id,                    \
			      (unsigned long long)ck_w_.id);                   \
	} while (0)

#endif /* OTTER_TESTS_SUP_FIXTURE_H */
