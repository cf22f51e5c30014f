# guest.mk - the EFI guest library (guest/lib, guest/arch/<arch>) and the
# test programs (guest/tests) built on it, for each arch in GUEST_ARCHES.
# Included by the top Makefile; `make guest` builds
#
#	$(BUILD)/guest/<arch>/<test>.efi        the test programs
#	$(BUILD)/guest/<arch>/libguest.a        the library (netboot links it too)
#	$(BUILD)/guest/<arch>/tools/launch.efi  scripts/qemu-direct.sh's loader
#
# An arch is a folder guest/arch/<arch>/ with an arch.mk that says how to
# compile and link for it (see guest/arch/x86_64/arch.mk). An arch.mk may
# set GUEST_DEPS_<arch>: what must exist before anything is compiled for
# it (aarch64: the arm64 gnu-efi sysroot it fetches). GUEST_ARCHES=x86_64
# builds x86_64 alone.
#
# A program may link more than the library: GUEST_LIBS_<program> names
# extra libraries (dt: libfdt), each described per arch by its arch.mk:
# GUEST_LIB_<name>_<arch>, the archive, and GUEST_HDRS_<name>_<arch>, its
# headers. The archive goes on that program's link line before
# libguest.a (which gives it its C functions); the headers are copied
# into $(BUILD)/guest/<arch>/include/, which only the programs that link
# the library search, first (so libfdt's <fdt.h> is not aarch64's own).

GUEST_ARCHES ?= x86_64 aarch64

GUEST_LIB_SRCS := string format printf console env argv args utf json \
	percent report exit efi memmap malloc post netprobe devicetree \
	stackguard
GUEST_TESTS := selftest memmap reporter dt
GUEST_LIBS_dt := libfdt
GUEST_TOOLS := launch

GUEST_OPT ?= -O2 -g
# Freestanding: no host headers but the compiler's own (stdint.h, stdarg.h);
# nothing that needs a runtime (stack protector, builtins turned into
# library calls). -fno-tree-loop-distribute-patterns keeps gcc from turning
# memset's own loop into a call to memset.
GUEST_CFLAGS := -std=c11 $(WARN) $(GUEST_OPT) -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-stack-check -fpic -fshort-wchar \
	-fno-strict-aliasing -fno-tree-loop-distribute-patterns \
	-fno-asynchronous-unwind-tables -nostdinc -MMD -MP \
	-Iguest/lib
GUEST_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc --no-undefined \
	-z noexecstack --no-warn-rwx-segments
# The PE sections an EFI program is made of (gnu-efi's list).
GUEST_PE_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .rodata \
	-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc

include $(foreach a,$(GUEST_ARCHES),guest/arch/$(a)/arch.mk)

# guest_arch(arch): the rules for one architecture.
define guest_arch
GUEST_OUT_$(1) := $$(BUILD)/guest/$(1)
GUEST_CC_FLAGS_$(1) := $$(GUEST_CFLAGS) $$(GUEST_ARCH_CFLAGS_$(1)) \
	-isystem $$(shell $$(GUEST_CC_$(1)) -print-file-name=include) \
	-Iguest/arch/$(1)
GUEST_LIB_OBJS_$(1) := $$(GUEST_LIB_SRCS:%=$$(GUEST_OUT_$(1))/obj/lib/%.o) \
	$$(GUEST_ARCH_SRCS_$(1):%=$$(GUEST_OUT_$(1))/obj/arch/%.o)

$$(GUEST_OUT_$(1))/obj/lib/%.o: guest/lib/%.c guest/guest.mk guest/arch/$(1)/arch.mk \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(GUEST_CC_$(1)) $$(GUEST_CC_FLAGS_$(1)) -c -o $$@ $$<

$$(GUEST_OUT_$(1))/obj/arch/%.o: guest/arch/$(1)/%.c guest/guest.mk guest/arch/$(1)/arch.mk \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(GUEST_CC_$(1)) $$(GUEST_CC_FLAGS_$(1)) -c -o $$@ $$<

$$(GUEST_OUT_$(1))/obj/tests/%.o: guest/tests/%.c guest/guest.mk guest/arch/$(1)/arch.mk \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(GUEST_CC_$(1)) $$(GUEST_PROG_CFLAGS) $$(GUEST_CC_FLAGS_$(1)) -c -o $$@ $$<

$$(GUEST_OUT_$(1))/obj/tools/%.o: guest/tools/%.c guest/guest.mk guest/arch/$(1)/arch.mk \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(GUEST_CC_$(1)) $$(GUEST_CC_FLAGS_$(1)) -c -o $$@ $$<

$$(GUEST_OUT_$(1))/libguest.a: $$(GUEST_LIB_OBJS_$(1))
	@rm -f $$@
	$$(GUEST_AR_$(1)) rcs $$@ $$^

# A program: its object, its extra archives (GUEST_PROG_LIBS, from
# guest_prog below), the library and gnu-efi, linked as an ELF shared
# object, then made a PE image. crt0 and the linker script are
# prerequisites too (aarch64 builds its own); a program's link line names
# its inputs itself, in the order the archives need, a tool's filters
# them out of $$^.
GUEST_LINK_EXTRA_$(1) := $$(GUEST_CRT0_$(1)) $$(GUEST_LDS_$(1))
$$(GUEST_OUT_$(1))/obj/%.so: $$(GUEST_OUT_$(1))/obj/tests/%.o $$(GUEST_OUT_$(1))/libguest.a \
	$$(GUEST_LINK_EXTRA_$(1))
	$$(GUEST_LD_$(1)) $$(GUEST_LDFLAGS) -T $$(GUEST_LDS_$(1)) -L$$(GUEST_LIBDIR_$(1)) \
		-o $$@ $$(GUEST_CRT0_$(1)) $$< $$(GUEST_PROG_LIBS) \
		$$(GUEST_OUT_$(1))/libguest.a -lefi -lgnuefi

$$(GUEST_OUT_$(1))/obj/tools/%.so: $$(GUEST_OUT_$(1))/obj/tools/%.o $$(GUEST_OUT_$(1))/libguest.a \
	$$(GUEST_LINK_EXTRA_$(1))
	$$(GUEST_LD_$(1)) $$(GUEST_LDFLAGS) -T $$(GUEST_LDS_$(1)) -L$$(GUEST_LIBDIR_$(1)) \
		-o $$@ $$(GUEST_CRT0_$(1)) $$(filter-out $$(GUEST_LINK_EXTRA_$(1)),$$^) \
		-lefi -lgnuefi

$$(GUEST_OUT_$(1))/%.efi: $$(GUEST_OUT_$(1))/obj/%.so
	$$(GUEST_OBJCOPY_$(1)) $$(GUEST_PE_SECTIONS) --target $$(GUEST_PE_$(1)) \
		--subsystem=10 $$< $$@

$$(GUEST_OUT_$(1))/tools/%.efi: $$(GUEST_OUT_$(1))/obj/tools/%.so
	@mkdir -p $$(@D)
	$$(GUEST_OBJCOPY_$(1)) $$(GUEST_PE_SECTIONS) --target $$(GUEST_PE_$(1)) \
		--subsystem=10 $$< $$@

guest: $$(GUEST_TESTS:%=$$(GUEST_OUT_$(1))/%.efi) \
	$$(GUEST_TOOLS:%=$$(GUEST_OUT_$(1))/tools/%.efi)

.SECONDARY: $$(GUEST_TESTS:%=$$(GUEST_OUT_$(1))/obj/tests/%.o) \
	$$(GUEST_TESTS:%=$$(GUEST_OUT_$(1))/obj/%.so) \
	$$(GUEST_TOOLS:%=$$(GUEST_OUT_$(1))/obj/tools/%.o) \
	$$(GUEST_TOOLS:%=$$(GUEST_OUT_$(1))/obj/tools/%.so)

-include $$(wildcard $$(GUEST_OUT_$(1))/obj/*/*.d)
endef

$(foreach a,$(GUEST_ARCHES),$(eval $(call guest_arch,$(a))))

# guest_lib_hdrs(arch, lib): the rules that copy a library's headers into
# $(BUILD)/guest/<arch>/include/ (from a sysroot: after GUEST_DEPS_<arch>).
define guest_lib_hdrs
$(foreach h,$(GUEST_HDRS_$(2)_$(1)),$$(BUILD)/guest/$(1)/include/$(notdir $(h))): \
	$$(BUILD)/guest/$(1)/include/%: $(dir $(firstword $(GUEST_HDRS_$(2)_$(1))))% \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	cp $$< $$@

# The archive and headers may come out of a sysroot; missing, they are
# named (Debian's package is the arch.mk's business).
$(GUEST_LIB_$(2)_$(1)) $(GUEST_HDRS_$(2)_$(1)): | $$(GUEST_DEPS_$(1))
	@test -f $$@ || { echo "guest: $$@ is missing: $(2) for $(1)$(if \
		$(GUEST_PKG_$(2)_$(1)), (Debian package $(GUEST_PKG_$(2)_$(1))))" >&2; exit 1; }
endef

# guest_prog(arch, program): what a program's GUEST_LIBS_<program> adds to
# its compile (the include folder, the headers as prerequisites) and link.
define guest_prog
$$(BUILD)/guest/$(1)/obj/tests/$(2).o: private GUEST_PROG_CFLAGS := \
	-I$$(BUILD)/guest/$(1)/include
$$(BUILD)/guest/$(1)/obj/tests/$(2).o: $(foreach l,$(GUEST_LIBS_$(2)),\
	$(foreach h,$(GUEST_HDRS_$(l)_$(1)),$$(BUILD)/guest/$(1)/include/$(notdir $(h))))
$$(BUILD)/guest/$(1)/obj/$(2).so: private GUEST_PROG_LIBS := \
	$(foreach l,$(GUEST_LIBS_$(2)),$(GUEST_LIB_$(l)_$(1)))
$$(BUILD)/guest/$(1)/obj/$(2).so: $(foreach l,$(GUEST_LIBS_$(2)),$(GUEST_LIB_$(l)_$(1)))
endef

GUEST_EXTRA_LIBS := $(sort $(foreach t,$(GUEST_TESTS),$(GUEST_LIBS_$(t))))
$(foreach a,$(GUEST_ARCHES),$(foreach l,$(GUEST_EXTRA_LIBS),\
	$(eval $(call guest_lib_hdrs,$(a),$(l)))))
$(foreach a,$(GUEST_ARCHES),$(foreach t,$(GUEST_TESTS),$(if $(GUEST_LIBS_$(t)),\
	$(eval $(call guest_prog,$(a),$(t))))))

# The library's pure parts as a hosted program, under the sanitizers:
# `make guest-check` builds and runs it. Their printf-family names are
# renamed (g_snprintf...) so that they do not take the C library's place.
GUEST_UNIT_SRCS := format utf json args percent
GUEST_UNIT := $(BUILD)/guest/unit/test_lib
GUEST_UNIT_OBJS := $(GUEST_UNIT_SRCS:%=$(BUILD)/guest/unit/%.o)
GUEST_UNIT_RENAME := -Dsnprintf=g_snprintf -Dvsnprintf=g_vsnprintf \
	-Dprintf=g_printf -Dvprintf=g_vprintf -Dputs=g_puts -Dputchar=g_putchar

$(BUILD)/guest/unit/%.o: guest/lib/%.c guest/lib/guest.h guest/lib/libcflat.h
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O1 -g $(SAN) -fno-builtin $(GUEST_UNIT_RENAME) \
		-Iguest/lib -c -o $@ $<

$(GUEST_UNIT): guest/unit/test_lib.c $(GUEST_UNIT_OBJS)
	$(CC) -std=c11 $(WARN) -O1 -g $(SAN) -o $@ $^

# GUEST_CHECK_EXTRA: an arch's own hosted checks (aarch64: test_fdt).
guest-check: $(GUEST_UNIT) $(GUEST_CHECK_EXTRA)
	$(GUEST_UNIT)
	$(foreach t,$(GUEST_CHECK_EXTRA),$(t) &&) true

# Every program, setvar.efi and the results POST under QEMU (about 2 min).
guest-check-qemu: guest netboot
	guest/check-qemu.sh

.PHONY: guest-check guest-check-qemu
