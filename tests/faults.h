/* SPDX-License-Identifier: MIT */
/*
 * faults.h — for the suites that crash on purpose (include it in exactly
 * one file of the test program): the faults themselves, and the sanitizer
 * options they need.
 *
 * Under ASan or TSan a fault goes to the sanitizer's own handler before
 * otter's, and a fault outside a process then ends the program with an
 * exit status (1, 66) instead of the signal the tests expect: the options
 * below leave the fault signals to otter and to the default action.
 */
#ifndef OTTER_TESTS_FAULTS_H
#define OTTER_TESTS_FAULTS_H

#undef NDEBUG /* F_ASSERT needs a live assert() */
#include <assert.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OT_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define OT_TEST_TSAN 1
#endif
#endif
#define OT_TEST_SAN_OPTIONS                                                    \
	"handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0"
#if defined(__SANITIZE_ADDRESS__) || defined(OT_TEST_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return OT_TEST_SAN_OPTIONS;
}
#endif
#if defined(__SANITIZE_THREAD__) || defined(OT_TEST_TSAN)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return OT_TEST_SAN_OPTIONS;
}
#endif

/* ---- the faults ---------------------------------------------------------- */

#include "fault_kinds.h"

/* The faults are meant: UBSan (--enable-sanitizers=address) must not stop
 * them before the hardware does. */
#if defined(__clang__)
#define NO_UBSAN __attribute__((no_sanitize("undefined")))
#elif defined(__GNUC__)
#define NO_UBSAN __attribute__((no_sanitize_undefined))
#else
#define NO_UBSAN
#endif

/* volatile, so that the compiler can neither see the NULL nor the zero */
static int *volatile g_null;
static volatile int g_zero = 0, g_one = 1, g_sink;
static volatile int g_never; /* stays 0: ends a recursion that never ends */

NO_UBSAN __attribute__((noinline)) static int recurse(volatile char *up)
{
	volatile char pad[512];
	pad[0] = up ? (char)(up[0] + 1) : 0;
	pad[sizeof(pad) - 1] = pad[0];
	if (g_never)
		return pad[0];
	int r = recurse(pad); /* not a tail call: pad is read after it */
	return r + pad[sizeof(pad) - 1];
}

/* Commits fault f (enum fault) for real. */
NO_UBSAN __attribute__((noinline)) static void do_fault(int f)
{
	switch (f) {
	case F_NULL_WRITE:
		*g_null = 42;
		break;
	case F_DIV_ZERO:
		g_sink = g_one / g_zero;
		break;
	case F_ABORT:
		abort();
	case F_ASSERT:
		assert(g_one == g_zero);
		break;
	case F_OVERFLOW:
		g_sink = recurse(NULL);
		break;
	default:
		break;
	}
}

#endif /* OTTER_TESTS_FAULTS_H */
