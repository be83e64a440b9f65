/* SPDX-License-Identifier: MIT */
/*
 * ctx_ucontext.c — the portable context switch (--with-context=ucontext):
 * makecontext/swapcontext. swapcontext saves the signal mask with a system
 * call on every switch, so this is for ports, not for speed.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "../common/assert.h"

void ot__ctx_swap(ot__ctx *from, ot__ctx *to)
{
	/* What lies on the stack at and above sp is what must be kept while
	 * the context is switched out (stack.c copies it off and back):
	 * this frame and its callers'. swapcontext() saves its registers in
	 * from->uc, not on the stack, and resumes by returning here; the
	 * margin covers this frame's own spills below the frame address. */
	from->sp = (char *)__builtin_frame_address(0) - 256;
	OT__ASSERT(swapcontext(&from->uc, &to->uc) == 0);
}

/* makecontext passes ints only: split the pointers in two halves. */
static void ucontext_entry(unsigned fhi, unsigned flo, unsigned ahi,
			   unsigned alo)
{
	void (*entry)(void *) =
	    (void (*)(void *))(((uintptr_t)fhi << 32) | (uintptr_t)flo);
	void *arg = (void *)(((uintptr_t)ahi << 32) | (uintptr_t)alo);
	entry(arg);
	OT__ASSERT(!"a context entry returned");
}

void ot__ctx_make_arch(ot__ctx *ctx, void *lo, size_t size,
		       void (*entry)(void *), void *arg);
void ot__ctx_make_arch(ot__ctx *ctx, void *lo, size_t size,
		       void (*entry)(void *), void *arg)
{
	OT__ASSERT(getcontext(&ctx->uc) == 0);
	ctx->uc.uc_stack.ss_sp = lo;
	ctx->uc.uc_stack.ss_size = size;
	ctx->uc.uc_link = NULL;
	uintptr_t f = (uintptr_t)entry, a = (uintptr_t)arg;
	makecontext(&ctx->uc, (void (*)(void))ucontext_entry, 4,
		    (unsigned)(f >> 32), (unsigned)f, (unsigned)(a >> 32),
		    (unsigned)a);
}
