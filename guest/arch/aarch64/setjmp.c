/*
 * setjmp.c - setjmp() and longjmp() for aarch64, in place of gnu-efi's.
 *
 * gnu-efi 3.0.15's arm64 setjmp stores d8-d15 from offset 112, one word
 * past where its own jmp_buf (efisetjmp_arch.h: x19-x30, sp, d8-d15, 168
 * bytes) puts them, so d15 lands 8 bytes beyond the buffer: in the
 * library that is the variable after exit.c's jmp_buf (efi_loaded_image
 * was found zeroed). These keep to the header's layout. Being in
 * libguest.a, which is linked before -lefi, they are the ones used.
 */
#include "guest.h"
#include "uefi.h"
#include <efisetjmp.h>

_Static_assert(sizeof(jmp_buf) == 21 * 8, "gnu-efi's aarch64 jmp_buf layout");

/*
 * setjmp(env): saves the callee-saved registers, the frame pointer, the
 * return address and sp; returns 0. longjmp(env, value): restores them
 * and returns value (1 when value is 0) from that setjmp().
 */
__asm__(
	"	.text\n"
	"	.globl	setjmp\n"
	"	.type	setjmp, %function\n"
	"setjmp:\n"
	"	mov	x16, sp\n"
	"	stp	x19, x20, [x0, #0]\n"
	"	stp	x21, x22, [x0, #16]\n"
	"	stp	x23, x24, [x0, #32]\n"
	"	stp	x25, x26, [x0, #48]\n"
	"	stp	x27, x28, [x0, #64]\n"
	"	stp	x29, x30, [x0, #80]\n"
	"	str	x16, [x0, #96]\n"
	"	stp	d8, d9, [x0, #104]\n"
	"	stp	d10, d11, [x0, #120]\n"
	"	stp	d12, d13, [x0, #136]\n"
	"	stp	d14, d15, [x0, #152]\n"
	"	mov	w0, #0\n"
	"	ret\n"
	"	.size	setjmp, . - setjmp\n"
	"\n"
	"	.globl	longjmp\n"
	"	.type	longjmp, %function\n"
	"longjmp:\n"
	"	ldp	x19, x20, [x0, #0]\n"
	"	ldp	x21, x22, [x0, #16]\n"
	"	ldp	x23, x24, [x0, #32]\n"
	"	ldp	x25, x26, [x0, #48]\n"
	"	ldp	x27, x28, [x0, #64]\n"
	"	ldp	x29, x30, [x0, #80]\n"
	"	ldr	x16, [x0, #96]\n"
	"	ldp	d8, d9, [x0, #104]\n"
	"	ldp	d10, d11, [x0, #120]\n"
	"	ldp	d12, d13, [x0, #136]\n"
	"	ldp	d14, d15, [x0, #152]\n"
	"	mov	sp, x16\n"
	"	cmp	w1, #0\n"
	"	mov	w0, #1\n"
	"	csel	w0, w1, w0, ne\n"
	"	br	x30\n"
	"	.size	longjmp, . - longjmp\n");
