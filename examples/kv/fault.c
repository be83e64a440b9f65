/* SPDX-License-Identifier: MIT */
/*
 * fault.c — the faults that CRASH commits, for real: the hardware (or
 * libc) raises the signal, and otter turns it into the exit reason of the
 * process that faulted. Nothing here fakes a crash with ot_exit().
 *
 * The compiler must not see what is coming: the NULL pointer and the zero
 * are volatile, and the recursion reads its frame after the call, so it is
 * no tail call. UBSan is told to let the faults happen.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kv.h"

#if defined(__clang__)
#define KV_NO_UBSAN __attribute__((no_sanitize("undefined")))
#elif defined(__GNUC__)
#define KV_NO_UBSAN __attribute__((no_sanitize_undefined))
#else
#define KV_NO_UBSAN
#endif

static const char *const words[] = {
#define KV_FAULT_WORD_(name, word, text) word,
    KV_FAULT_MAP(KV_FAULT_WORD_)
#undef KV_FAULT_WORD_
};

static const char *const texts[] = {
#define KV_FAULT_TEXT_(name, word, text) text,
    KV_FAULT_MAP(KV_FAULT_TEXT_)
#undef KV_FAULT_TEXT_
};

int kv_fault_parse(struct kv_str word)
{
	for (int f = 0; f < KV_FAULT_COUNT; f++)
		if (word.n == strlen(words[f]) &&
		    memcmp(word.p, words[f], word.n) == 0)
			return f;
	return -1;
}

const char *kv_fault_word(int fault)
{
	return fault >= 0 && fault < KV_FAULT_COUNT ? words[fault] : "?";
}

const char *kv_fault_text(int fault)
{
	return fault >= 0 && fault < KV_FAULT_COUNT ? texts[fault] : "?";
}

static int *volatile null_pointer;
static volatile int zero, one = 1, sink;
static volatile int never; /* stays 0: the recursion has no way out */

KV_NO_UBSAN __attribute__((noinline)) static int recurse(volatile char *up)
{
	volatile char frame[512];
	frame[0] = up ? (char)(up[0] + 1) : 0;
	frame[sizeof(frame) - 1] = frame[0];
	if (never)
		return frame[0];
	int r = recurse(frame);
	return r + frame[sizeof(frame) - 1];
}

KV_NO_UBSAN __attribute__((noinline)) void kv_fault_commit(int fault)
{
	switch (fault) {
	case KV_FAULT_SEGV:
		*null_pointer = 42;
		break;
	case KV_FAULT_FPE:
		sink = one / zero;
		break;
	case KV_FAULT_ABORT:
		abort();
	case KV_FAULT_OVERFLOW:
		sink = recurse(NULL);
		break;
	default:
		break;
	}
}
