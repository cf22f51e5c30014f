/*
 * crt0.S - the entry point of every aarch64 EFI program, in place of
 * gnu-efi's crt0-efi-aarch64.o.
 *
 * gnu-efi 3.0.15's arm64 crt0 carries a hand-made PE header for
 * `objcopy -O binary`, an image AAVMF refused. Here the program is linked
 * as a plain ELF shared object (efi.lds) and binutils writes the PE
 * header (`objcopy --target efi-app-aarch64`), as on x86_64.
 *
 * _start(ImageHandle, SystemTable) applies the image's own ELF RELATIVE
 * relocations with gnu-efi's _relocate() (the firmware cannot: the PE
 * image has no real base relocations) and calls efi_main() with the same
 * arguments. A relocation failure is returned to the firmware as is.
 */
	.section .text.head, "ax"
	.globl	_start
	.type	_start, %function
	.hidden	ImageBase
_start:
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	stp	x0, x1, [sp, #16]
	mov	x2, x0
	mov	x3, x1
	adrp	x0, ImageBase
	add	x0, x0, :lo12:ImageBase
	adrp	x1, _DYNAMIC
	add	x1, x1, :lo12:_DYNAMIC
	bl	_relocate
	cbnz	x0, 1f
	ldp	x0, x1, [sp, #16]
	bl	efi_main
1:	ldp	x29, x30, [sp], #32
	ret
	.size	_start, . - _start

/*
 * One base relocation block that relocates nothing: with a .reloc section
 * the image is relocatable (objcopy does not mark it "relocations
 * stripped"), so the firmware may load it anywhere; _relocate() does the
 * real work.
 */
	.data
reloc_dummy:
	.long	0

	.section .reloc, "a"
reloc_block:
	.long	reloc_dummy - reloc_block	/* page RVA */
	.long	12				/* block size, with the entries */
	.short	0				/* IMAGE_REL_BASED_ABSOLUTE: padding */
	.short	0

	.section .note.GNU-stack, "", %progbits
