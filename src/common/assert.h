/* SPDX-License-Identifier: MIT */
/*
 * assert.h — otter's two assertion layers.
 *
 * OT__ASSERT is always on and guards cheap invariants of otter's own code;
 * OT__DEBUG_ASSERT is compiled only with --enable-debug, for expensive
 * checks. Neither is ever used on user input: bad input is an error code.
 */
#ifndef OTTER_COMMON_ASSERT_H
#define OTTER_COMMON_ASSERT_H

/* Reports an internal invariant that broke, then aborts. */
void ot__panic(const char *file, int line, const char *what)
    __attribute__((noreturn, cold));

#define OT__ASSERT(cond)                                                       \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			ot__panic(__FILE__, __LINE__, #cond);                  \
	} while (0)

#ifdef OT_DEBUG
#define OT__DEBUG_ASSERT(cond) OT__ASSERT(cond)
#else
#define OT__DEBUG_ASSERT(cond) ((void)0)
#endif

#define OT__LIKELY(x)	__builtin_expect(!!(x), 1)
#define OT__UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* OTTER_COMMON_ASSERT_H */
