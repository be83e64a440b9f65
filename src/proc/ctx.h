/* SPDX-License-Identifier: MIT */
/*
 * ctx.h — the user-space context switch.
 *
 * A context is a saved stack pointer: ot__ctx_swap() pushes the callee-saved
 * registers on the current stack, stores the stack pointer, loads the other
 * one and pops its registers (x86-64 and aarch64 assembly; ucontext behind
 * --with-context=ucontext). No system call, no signal mask: fault trapping
 * does not need one per switch.
 *
 * The sanitizers and valgrind are told about every switch here, so that
 * ASan, TSan and memcheck follow a process from stack to stack and from
 * thread to thread.
 */
#ifndef OTTER_PROC_CTX_H
#define OTTER_PROC_CTX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef OT_CTX_UCONTEXT
#include <ucontext.h>
#endif
#ifdef OT__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef OT__TSAN
#include <sanitizer/tsan_interface.h>
#endif

typedef struct ot__ctx {
	void *sp; /* saved stack pointer while switched out */
#ifdef OT_CTX_UCONTEXT
	ucontext_t uc;
#endif
	void *stack_lo;	   /* lowest address of the stack (for sanitizers) */
	size_t stack_size; /* its size */
#ifdef OT__ASAN
	void *fake_stack; /* ASan's fake stack of this context while out */
#endif
#ifdef OT__TSAN
	void *tsan_fiber; /* TSan's fiber for this context */
	bool tsan_owned;  /* created by us (destroy it), or a thread's own */
#endif
} ot__ctx;

/* The assembly (or ucontext) switch: saves into *from, resumes to. */
void ot__ctx_swap(ot__ctx *from, ot__ctx *to);

/*
 * Prepares ctx to start running entry(arg) on the stack [lo, lo+size) the
 * first time it is switched to. entry must never return.
 */
void ot__ctx_make(ot__ctx *ctx, void *lo, size_t size, void (*entry)(void *),
		  void *arg);

/* Describes the calling thread's own stack as a context to switch back to. */
void ot__ctx_of_thread(ot__ctx *ctx);

/* Releases what ot__ctx_make() created for the sanitizers. */
void ot__ctx_destroy(ot__ctx *ctx);

/*
 * Switches from the running context to `to`. `from_ends` says the running
 * context will never be resumed (a process that ended), so ASan can drop
 * its fake stack.
 */
static inline void ot__ctx_switch(ot__ctx *from, ot__ctx *to, bool from_ends)
{
#ifdef OT__ASAN
	__sanitizer_start_switch_fiber(from_ends ? NULL : &from->fake_stack,
				       to->stack_lo, to->stack_size);
#endif
#ifdef OT__TSAN
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
	(void)from_ends;
	ot__ctx_swap(from, to);
#ifdef OT__ASAN
	__sanitizer_finish_switch_fiber(from->fake_stack, NULL, NULL);
#endif
}

/* The first thing a new context does: tell ASan the switch completed. */
static inline void ot__ctx_started(void)
{
#ifdef OT__ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

#endif /* OTTER_PROC_CTX_H */
