/* SPDX-License-Identifier: MIT */
/*
 * assert.h — otter's two assertion layers.
 *
 * OT_ASSERT is always on and guards cheap invariants of otter's own code;
 * OT_DEBUG_ASSERT is compiled only with --enable-debug, for expensive
 * checks. Neither is ever used on user input: bad input is an error code.
 */
#ifndef OTTER_COMMON_ASSERT_H
#define OTTER_COMMON_ASSERT_H

/* Reports an internal invariant that broke, then aborts. */
void ot__panic(const char *file, int line, const char *what)
    __attribute__((noreturn, cold));

#define OT_ASSERT(cond)                                                        \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			ot__panic(__FILE__, __LINE__, #cond);                  \
	} while (0)

#ifdef OT_DEBUG
#define OT_DEBUG_ASSERT(cond) OT_ASSERT(cond)
#else
#define OT_DEBUG_ASSERT(cond) ((void)0)
#endif

#define OT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define OT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* OTTER_COMMON_ASSERT_H */
