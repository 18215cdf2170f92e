// SPDX-License-Identifier: MIT
// Tiny programs for splitgic-vm's exit paths and the UART, one per -DMODE_*
// define (tests/vm/meson.build builds each as a flat image); without a
// mode the program waits in WFI forever.
	.text
	.global	_start
_start:
#if defined(MODE_SYSTEM_OFF)
	movz	x0, #0x0008
	movk	x0, #0x8400, lsl #16
	hvc	#0
#elif defined(MODE_EXIT42)
	movz	x1, #0x0a00, lsl #16
	mov	w2, #42
	str	w2, [x1, #8]
#elif defined(MODE_CPU_OFF)
	movz	x0, #0x0002
	movk	x0, #0x8400, lsl #16
	hvc	#0
#elif defined(MODE_ECHO)
	// Echo UART input, each byte plus one, until 'q'; then EXIT 0.
	movz	x21, #0x0900, lsl #16
	movz	x20, #0x0a00, lsl #16
1:	ldr	w1, [x21, #0x18]
	tbnz	w1, #4, 1b			// FR.RXFE
	ldr	w2, [x21]
	cmp	w2, #'q'
	b.eq	2f
	add	w2, w2, #1
	str	w2, [x21]
	b	1b
2:	str	wzr, [x20, #8]
#elif defined(MODE_FETCH_UNBACKED)
	movz	x1, #0x2000, lsl #16
	br	x1
#endif
3:	wfi
	b	3b
