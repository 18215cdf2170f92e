// SPDX-License-Identifier: MIT
// Entry points and EL1 vectors of vmm-checks: the boot CPU runs main() and
// writes its return value to the test device's EXIT; a CPU_ON target runs
// secondary_main(x0).  Synchronous exceptions and IRQs from EL1h call C
// handlers with the caller-saved registers preserved.

	.section .text.boot, "ax"
	.global	_start
_start:
	ldr	x1, =stack0_top
	mov	sp, x1
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	bl	main
	movz	x1, #0x0a00, lsl #16		// test device EXIT
	str	w0, [x1, #8]
1:	wfi
	b	1b

	.global	secondary_entry
secondary_entry:
	ldr	x1, =stack1_top
	mov	sp, x1
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	bl	secondary_main
2:	wfi
	b	2b

.macro save_call fn
	sub	sp, sp, #(20 * 8)
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	bl	\fn
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	add	sp, sp, #(20 * 8)
	eret
.endm

	.balign	2048
vectors:
	.org	vectors + 0x200		// current EL with SP_ELx: synchronous
	save_call sync_handler
	.org	vectors + 0x280		// current EL with SP_ELx: IRQ
	save_call irq_handler
	.org	vectors + 0x800

	.bss
	.balign	16
	.space	16384
stack0_top:
	.space	16384
stack1_top:
