/* SPDX-License-Identifier: MIT */
/*
 * ctx_check.c — the context switch alone, for a CPU this machine is not:
 * test_ctx_cross.sh builds it for AArch64 and runs it under qemu. A
 * coroutine and main switch back and forth a million times; the entry
 * argument, stack alignment and callee-saved registers (integer and
 * floating point) must survive. Exit status 0 when they do.
 */
#include <stdint.h>
#include <stdio.h>

#include "ctx.h"

static ot__ctx main_ctx, co_ctx;
static long counter;
static void *got_arg;
static uintptr_t sp_mod;
static double fsum;

static void co(void *arg)
{
	got_arg = arg;
	volatile char probe[16];
	sp_mod = (uintptr_t)probe % 16;
	double d = 1.5;
	for (;;) {
		counter++;
		d += 1.0;
		fsum = d;
		ot__ctx_switch(&co_ctx, &main_ctx, false);
	}
}

int main(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	ot__ctx_of_thread(&main_ctx);
	ot__ctx_make(&co_ctx, stack, sizeof stack, co, (void *)0x1234);
	double keep = 3.25; /* lives in a callee-saved register across calls */
	long n = 77;
	for (int i = 0; i < 1000000; i++) {
		ot__ctx_switch(&main_ctx, &co_ctx, false);
		keep = keep * 1.0;
		n += 1;
	}
	printf("counter=%ld arg=%p sp%%16=%lu fsum=%.1f keep=%.2f n=%ld\n",
	       counter, got_arg, (unsigned long)sp_mod, fsum, keep, n);
	return !(counter == 1000000 && got_arg == (void *)0x1234 &&
		 sp_mod == 0 && keep == 3.25 && n == 1000077 &&
		 fsum == 1000001.5);
}
