/* SPDX-License-Identifier: MIT */
/*
 * ctx.c — building contexts: the first frame of a new process's stack, and
 * the bookkeeping the sanitizers need for each stack.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "../common/assert.h"

#ifdef OT_CTX_UCONTEXT
void ot__ctx_make_arch(ot__ctx *ctx, void *lo, size_t size,
		       void (*entry)(void *), void *arg);
#else
/* In the assembly file: where a new context's first `ret` lands. */
void ot__ctx_trampoline(void);
#endif

void ot__ctx_make(ot__ctx *ctx, void *lo, size_t size, void (*entry)(void *),
		  void *arg)
{
	ctx->stack_lo = lo;
	ctx->stack_size = size;
#if defined(OT_CTX_UCONTEXT)
	ot__ctx_make_arch(ctx, lo, size, entry, arg);
#elif defined(__x86_64__)
	/* What ot__ctx_swap pops: r15 r14 r13 r12 rbx rbp, then `ret`. After
	 * the ret %rsp is 16-byte aligned, as the trampoline's call needs. */
	void **sp = (void **)(((uintptr_t)lo + size) & ~(uintptr_t)15);
	*--sp = (void *)ot__ctx_trampoline;
	*--sp = NULL;	       /* rbp */
	*--sp = NULL;	       /* rbx */
	*--sp = (void *)entry; /* r12 */
	*--sp = arg;	       /* r13 */
	*--sp = NULL;	       /* r14 */
	*--sp = NULL;	       /* r15 */
	ctx->sp = sp;
#elif defined(__aarch64__)
	/* The 160-byte frame ot__ctx_swap reloads: x19..x30, d8..d15. */
	uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
	void **frame = (void **)(top - 160);
	memset(frame, 0, 160);
	frame[0] = (void *)entry;		/* x19 */
	frame[1] = arg;				/* x20 */
	frame[11] = (void *)ot__ctx_trampoline; /* x30 */
	ctx->sp = frame;
#else
#error "no context switch for this CPU: configure --with-context=ucontext"
#endif
#ifdef OT__ASAN
	ctx->fake_stack = NULL;
#endif
#ifdef OT__TSAN
	ctx->tsan_fiber = __tsan_create_fiber(0);
	ctx->tsan_owned = true;
#endif
}

void ot__ctx_of_thread(ot__ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		void *lo;
		size_t size;
		if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
			ctx->stack_lo = lo;
			ctx->stack_size = size;
		}
		pthread_attr_destroy(&attr);
	}
#ifdef OT__TSAN
	ctx->tsan_fiber = __tsan_get_current_fiber();
	ctx->tsan_owned = false;
#endif
}

void ot__ctx_destroy(ot__ctx *ctx)
{
#ifdef OT__TSAN
	if (ctx->tsan_owned && ctx->tsan_fiber)
		__tsan_destroy_fiber(ctx->tsan_fiber);
	ctx->tsan_fiber = NULL;
#endif
	(void)ctx;
}
