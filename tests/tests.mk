# tests.mk - unit tests: one cmocka program per module, built with
# AddressSanitizer and UndefinedBehaviorSanitizer. A test lists the
# controller modules it links with: test_NAME_MODS.

UNIT_TESTS :=

# Each test file adds itself here, e.g.:
#   UNIT_TESTS += results
#   test_results_MODS := results util log
include $(wildcard tests/unit/*.mk)

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%)

$(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(wildcard controller/*.c controller/*.h)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SAN) -O1 -DUNIT_TEST -o $@ $< \
		$(foreach m,$(test_$*_MODS),controller/$(m).c) \
		$(HOST_LIBS) -lcmocka

unit-tests: $(UNIT_BINS)

# The "foreign" EFI program of the end-to-end tests: plain gnu-efi, none of
# farm's guest library (tests/e2e/foreign/foreign.c).
FOREIGN_CFLAGS := -I/usr/include/efi -I/usr/include/efi/x86_64 -fpic \
	-fshort-wchar -mno-red-zone -ffreestanding -fno-stack-protector \
	-fno-strict-aliasing -maccumulate-outgoing-args -Wall -Werror -O2
$(BUILD)/tests/foreign/foreign.efi: tests/e2e/foreign/foreign.c
	@mkdir -p $(@D)
	$(CC) $(FOREIGN_CFLAGS) -c -o $(@D)/foreign.o $<
	ld -nostdlib -shared -Bsymbolic -znocombreloc -T /usr/lib/elf_x86_64_efi.lds \
		-o $(@D)/foreign.so /usr/lib/crt0-efi-x86_64.o $(@D)/foreign.o \
		-L/usr/lib -lefi -lgnuefi
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 \
		--subsystem=10 $(@D)/foreign.so $@

unit-tests: $(BUILD)/tests/foreign/foreign.efi
unit-tests: $(BUILD)/guest/unit/test_lib
unit-tests: $(BUILD)/guest/unit/test_fdt

# Its aarch64 sibling (tests/e2e/foreign/foreign_dt.c, for foreign-arm.t):
# the arm64 gnu-efi of the guest build's sysroot and its cross tools
# (guest/arch/aarch64/arch.mk), with farm's own crt0 and linker script
# (gnu-efi's arm64 crt0 makes images AAVMF refuses), still none of the
# guest library.
ifneq ($(filter aarch64,$(GUEST_ARCHES)),)
FOREIGN_AA64 := $(BUILD)/tests/foreign/foreign-aa64.efi
FOREIGN_AA64_CFLAGS := -isystem $(GNUEFI_aarch64)/include/efi \
	-isystem $(GNUEFI_aarch64)/include/efi/aarch64 -fpic -fshort-wchar \
	-ffreestanding -fno-stack-protector -fno-strict-aliasing \
	-Wall -Wextra -Werror -O2
$(FOREIGN_AA64): tests/e2e/foreign/foreign_dt.c $(GUEST_CRT0_aarch64) \
	$(GUEST_LDS_aarch64) | $(GUEST_DEPS_aarch64)
	@mkdir -p $(@D)
	$(GUEST_CC_aarch64) $(FOREIGN_AA64_CFLAGS) -c -o $(@D)/foreign-aa64.o $<
	$(GUEST_LD_aarch64) $(GUEST_LDFLAGS) -T $(GUEST_LDS_aarch64) \
		-L$(GUEST_LIBDIR_aarch64) -o $(@D)/foreign-aa64.so \
		$(GUEST_CRT0_aarch64) $(@D)/foreign-aa64.o -lefi -lgnuefi
	$(GUEST_OBJCOPY_aarch64) $(GUEST_PE_SECTIONS) --target $(GUEST_PE_aarch64) \
		--subsystem=10 $(@D)/foreign-aa64.so $@

unit-tests: $(FOREIGN_AA64)
endif
