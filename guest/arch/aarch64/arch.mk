# arch.mk - aarch64: how the guest library and programs are built with
# the cross compiler (gcc-aarch64-linux-gnu) and Debian's arm64 gnu-efi
# and libfdt, which the build unpacks into $(BUILD)/sysroot-arm64 through
# scripts/arm64-sysroot.sh. Read by guest/guest.mk.
#
# The programs use gnu-efi's headers, libefi.a and libgnuefi.a
# (_relocate), but their own entry point and linker script (crt0.S,
# efi.lds): gnu-efi 3.0.15's arm64 crt0 is made for `objcopy -O binary`
# with a hand-written PE header, which AAVMF refuses. Here binutils writes
# the PE header (`--target efi-app-aarch64`), as for x86_64.
#
# GNUEFI_aarch64=<prefix> uses an arm64 gnu-efi found elsewhere (an arm64
# host's /usr); the sysroot is then not fetched, and libfdt is looked for
# under the same prefix (LIBFDT_aarch64=<prefix> to change).

GUEST_CC_aarch64      ?= aarch64-linux-gnu-gcc
GUEST_LD_aarch64      ?= aarch64-linux-gnu-ld
GUEST_OBJCOPY_aarch64 ?= aarch64-linux-gnu-objcopy
GUEST_AR_aarch64      ?= aarch64-linux-gnu-ar

GUEST_SYSROOT_aarch64 := $(BUILD)/sysroot-arm64
GUEST_SYSROOT_PKGS_aarch64 := gnu-efi libfdt-dev
GNUEFI_aarch64        ?= $(GUEST_SYSROOT_aarch64)/usr
LIBFDT_aarch64        ?= $(GNUEFI_aarch64)

# The sysroot, fetched before anything is compiled for aarch64; its .done
# names the packages in it. A failure to fetch it fails the build with the
# script's message.
ifeq ($(GNUEFI_aarch64),$(GUEST_SYSROOT_aarch64)/usr)
GUEST_DEPS_aarch64 := $(GUEST_SYSROOT_aarch64)/.done

$(GUEST_SYSROOT_aarch64)/.done: scripts/arm64-sysroot.sh guest/arch/aarch64/arch.mk
	@scripts/arm64-sysroot.sh $(GUEST_SYSROOT_aarch64) $(GUEST_SYSROOT_PKGS_aarch64)
endif

# No floating point or SIMD registers in the library (the same state
# before and after ExitBootServices), no calls into libgcc for atomics.
GUEST_ARCH_CFLAGS_aarch64 := -mgeneral-regs-only -mno-outline-atomics \
	-isystem $(GNUEFI_aarch64)/include/efi \
	-isystem $(GNUEFI_aarch64)/include/efi/aarch64
GUEST_CRT0_aarch64    := $(BUILD)/guest/aarch64/obj/arch/crt0.o
GUEST_LDS_aarch64     := guest/arch/aarch64/efi.lds
GUEST_LIBDIR_aarch64  := $(GNUEFI_aarch64)/lib
GUEST_PE_aarch64      := efi-app-aarch64

$(GUEST_CRT0_aarch64): guest/arch/aarch64/crt0.S guest/arch/aarch64/arch.mk \
	| $(GUEST_DEPS_aarch64)
	@mkdir -p $(@D)
	$(GUEST_CC_aarch64) -c -o $@ $<

# libfdt for the programs that link it (GUEST_LIBS_<program> in guest.mk):
# Debian's arm64 libfdt-dev, position-independent, built with the stack
# protector (its canary is __stack_chk_guard, guest/lib/stackguard.c).
GUEST_LIB_libfdt_aarch64  := $(LIBFDT_aarch64)/lib/aarch64-linux-gnu/libfdt.a
GUEST_HDRS_libfdt_aarch64 := $(LIBFDT_aarch64)/include/libfdt.h \
	$(LIBFDT_aarch64)/include/fdt.h
GUEST_PKG_libfdt_aarch64  := libfdt-dev:arm64

# guest/arch/aarch64/*.c that go into the library.
GUEST_ARCH_SRCS_aarch64 := fdt dt acpi uart psci setjmp

# The device-tree walker as a hosted program under the sanitizers
# (guest/arch/aarch64/unit/test_fdt.c); `make guest-check` runs it.
GUEST_FDT_UNIT := $(BUILD)/guest/unit/test_fdt
GUEST_CHECK_EXTRA += $(GUEST_FDT_UNIT)

$(GUEST_FDT_UNIT): guest/arch/aarch64/unit/test_fdt.c guest/arch/aarch64/fdt.c \
	guest/arch/aarch64/fdt.h guest/lib/guest.h guest/lib/libcflat.h
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O1 -g $(SAN) -fno-builtin -Iguest/lib \
		-Iguest/arch/aarch64 -o $@ $(filter %.c,$^)
