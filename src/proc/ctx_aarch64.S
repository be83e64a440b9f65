/* SPDX-License-Identifier: MIT */
/*
 * ctx_aarch64.S — the context switch for AArch64 (AAPCS64).
 *
 * ot__ctx_swap(from, to): store x19–x30 and d8–d15 below sp, save sp in
 * from->sp (offset 0), load to->sp, reload, return through x30. A new
 * context is prepared by ot__ctx_make() so that x30 is ot__ctx_trampoline,
 * x19 = entry and x20 = arg.
 */
	.text
	.globl	ot__ctx_swap
	.hidden	ot__ctx_swap
	.type	ot__ctx_swap, %function
	.p2align 4
ot__ctx_swap:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x2, sp
	str	x2, [x0]
	ldr	x2, [x1]
	mov	sp, x2
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	ret
	.size	ot__ctx_swap, .-ot__ctx_swap

	.globl	ot__ctx_trampoline
	.hidden	ot__ctx_trampoline
	.type	ot__ctx_trampoline, %function
	.p2align 4
ot__ctx_trampoline:
	.cfi_startproc
	.cfi_undefined x30
	mov	x29, #0
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	ot__ctx_trampoline, .-ot__ctx_trampoline

	.section .note.GNU-stack,"",%progbits
