/* SPDX-License-Identifier: MIT */
/*
 * ctx_x86_64.S — the context switch for x86-64 (System V ABI).
 *
 * ot__ctx_swap(from, to): push the callee-saved registers, save %rsp in
 * from->sp (offset 0), load to->sp, pop, return into the other context.
 * A new context's stack is prepared by ot__ctx_make() so that this `ret`
 * lands in ot__ctx_trampoline with %r12 = entry and %r13 = arg.
 */
	.text
	.globl	ot__ctx_swap
	.hidden	ot__ctx_swap
	.type	ot__ctx_swap, @function
	.p2align 4
ot__ctx_swap:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	ot__ctx_swap, .-ot__ctx_swap

	.globl	ot__ctx_trampoline
	.hidden	ot__ctx_trampoline
	.type	ot__ctx_trampoline, @function
	.p2align 4
ot__ctx_trampoline:
	.cfi_startproc
	/* The outermost frame of a process: unwinders stop here. */
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r13, %rdi
	callq	*%r12
	ud2
	.cfi_endproc
	.size	ot__ctx_trampoline, .-ot__ctx_trampoline

	.section .note.GNU-stack,"",@progbits
