# arch.mk - x86_64: how the guest library and programs are built with the
# host's gnu-efi (Debian package gnu-efi). Read by guest/guest.mk.

GUEST_CC_x86_64      ?= $(CC)
GUEST_LD_x86_64      ?= ld
GUEST_OBJCOPY_x86_64 ?= objcopy
GUEST_AR_x86_64      ?= ar
GNUEFI_x86_64        ?= /usr
LIBFDT_x86_64        ?= /usr

# -mno-red-zone: firmware interrupts run on our stack. ms_abi lets the
# program call firmware function pointers directly. No SSE in the library:
# nothing needs it, and the state is then the same before and after
# ExitBootServices.
GUEST_ARCH_CFLAGS_x86_64 := -m64 -mno-red-zone -maccumulate-outgoing-args \
	-mgeneral-regs-only -DGNU_EFI_USE_MS_ABI \
	-isystem $(GNUEFI_x86_64)/include/efi \
	-isystem $(GNUEFI_x86_64)/include/efi/x86_64
GUEST_CRT0_x86_64    := $(GNUEFI_x86_64)/lib/crt0-efi-x86_64.o
GUEST_LDS_x86_64     := $(GNUEFI_x86_64)/lib/elf_x86_64_efi.lds
GUEST_LIBDIR_x86_64  := $(GNUEFI_x86_64)/lib
GUEST_PE_x86_64      := efi-app-x86_64

# guest/arch/x86_64/*.c that go into the library.
GUEST_ARCH_SRCS_x86_64 := uart debug_exit

# libfdt for the programs that link it (GUEST_LIBS_<program> in guest.mk):
# Debian's libfdt-dev, position-independent, built with the stack
# protector (guest/lib/stackguard.c gives it its canary).
GUEST_LIB_libfdt_x86_64  := $(LIBFDT_x86_64)/lib/x86_64-linux-gnu/libfdt.a
GUEST_HDRS_libfdt_x86_64 := $(LIBFDT_x86_64)/include/libfdt.h \
	$(LIBFDT_x86_64)/include/fdt.h
GUEST_PKG_libfdt_x86_64  := libfdt-dev
