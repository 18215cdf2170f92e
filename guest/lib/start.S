// SPDX-License-Identifier: MIT
/*
 * Entry points and the EL1 exception vectors.
 *
 * _start:          boot CPU, x0 = DTB address (0 on QEMU for an ELF image).
 * secondary_entry: PSCI CPU_ON target, x0 = context id = logical CPU number.
 * Both run at EL1h with the MMU off; each CPU uses its own stack in .bss and
 * keeps its logical number in TPIDR_EL1.
 */

#define STACK_SHIFT 14			/* 16 KiB per CPU */
#define FRAME_SIZE  (34 * 8)		/* x0-x30, ELR, SPSR, padding */

	.section .text.boot, "ax"
	.global	_start
_start:
	mov	x19, x0
	adr	x1, vectors
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)			// CPACR_EL1.FPEN: no traps if FP is ever used
	msr	cpacr_el1, x1
	isb
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	ldr	x1, =stacks
	add	x1, x1, #(1 << STACK_SHIFT)
	mov	sp, x1
	msr	tpidr_el1, xzr
	mov	x0, x19
	bl	boot_main
3:	wfi
	b	3b

	.global	secondary_entry
secondary_entry:
	adr	x1, vectors
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
	ldr	x1, =stacks
	add	x2, x0, #1
	add	x1, x1, x2, lsl #STACK_SHIFT
	mov	sp, x1
	msr	tpidr_el1, x0
	bl	secondary_main
4:	wfi
	b	4b

/* Save x0-x30, ELR_EL1 and SPSR_EL1 so that a handler may unmask IRQs and nest. */
.macro save_frame
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x21, elr_el1
	mrs	x22, spsr_el1
	stp	x30, x21, [sp, #16 * 15]
	str	x22, [sp, #16 * 16]
.endm

.macro restore_frame_eret
	msr	daifset, #2			// ELR/SPSR must not be overwritten by a nested IRQ now
	ldr	x22, [sp, #16 * 16]
	ldp	x30, x21, [sp, #16 * 15]
	msr	elr_el1, x21
	msr	spsr_el1, x22
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	add	sp, sp, #FRAME_SIZE
	eret
.endm

.macro vector target
	.balign	0x80
	b	\target
.endm

.macro bad_vector slot
	.balign	0x80
	save_frame
	mov	x0, sp
	mov	x1, #\slot
	bl	bad_entry
.endm

	.text
	.balign	0x800
vectors:
	vector	el1_sync			// current EL, SP_EL0
	vector	el1_irq
	bad_vector 2
	bad_vector 3
	vector	el1_sync			// current EL, SP_ELx
	vector	el1_irq
	bad_vector 6
	bad_vector 7
	bad_vector 8				// lower EL, AArch64
	bad_vector 9
	bad_vector 10
	bad_vector 11
	bad_vector 12				// lower EL, AArch32
	bad_vector 13
	bad_vector 14
	bad_vector 15

el1_sync:
	save_frame
	mov	x0, sp
	bl	sync_entry
	restore_frame_eret

el1_irq:
	save_frame
	bl	irq_entry
	restore_frame_eret

	.bss
	.balign	16
	.global	stacks
stacks:
	.space	(64 << STACK_SHIFT)		// MAX_CPUS stacks
