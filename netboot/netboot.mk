# netboot.mk - what machines fetch before the test, for each arch in
# GUEST_ARCHES (guest/guest.mk, included first, says how to build for it):
#
#	$(BUILD)/netboot/<arch>/setvar.efi   NAME=VALUE arguments -> EFI variables
#	$(BUILD)/netboot/<arch>/farmboot.efi farm's UEFI HTTP loader (jobs from
#	                                     GET /farmboot/<mac>, no iPXE)
#	$(BUILD)/netboot/boot.ipxe           copied, when netboot/boot.ipxe exists
#	$(BUILD)/tests/unit/test_farmboot_script  the job parser, hosted (unit-tests)
#
# setvar.efi links the guest library's pure parts (strings, formatting,
# UTF-16), not its entry point. For aarch64 (guest/arch/aarch64/arch.mk)
# that is build/netboot/aarch64/setvar.efi, with the arch's own crt0 and
# linker script; GUEST_DEPS_<arch> (the arm64 sysroot) comes first.

NETBOOT_OUT := $(BUILD)/netboot
NETBOOT_PROGS := setvar farmboot
# The files each program is made of: farmboot.efi is the job loop, the job
# format, the network and the DTB's volume; both delete the farm's
# variables (efivars.c) and write console lines (conout.c) the same way.
NETBOOT_OBJS_setvar := setvar efivars conout
NETBOOT_OBJS_farmboot := farmboot farmboot_script farmboot_net farmboot_fs efivars conout

# netboot_link(arch, program): its objects, the guest library and gnu-efi,
# linked as an ELF shared object (made a PE image below).
define netboot_link
$$(NETBOOT_OUT)/$(1)/obj/$(2).so: $$(NETBOOT_OBJS_$(2):%=$$(NETBOOT_OUT)/$(1)/obj/%.o) \
	$$(GUEST_OUT_$(1))/libguest.a $$(GUEST_LINK_EXTRA_$(1))
	$$(GUEST_LD_$(1)) $$(GUEST_LDFLAGS) -T $$(GUEST_LDS_$(1)) -L$$(GUEST_LIBDIR_$(1)) \
		-o $$@ $$(GUEST_CRT0_$(1)) $$(filter-out $$(GUEST_LINK_EXTRA_$(1)),$$^) \
		-lefi -lgnuefi
endef

# netboot_arch(arch): the rules for one architecture.
define netboot_arch
$$(NETBOOT_OUT)/$(1)/obj/%.o: netboot/%.c guest/guest.mk netboot/netboot.mk \
	| $$(GUEST_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(GUEST_CC_$(1)) $$(GUEST_CC_FLAGS_$(1)) -c -o $$@ $$<

$$(NETBOOT_OUT)/$(1)/%.efi: $$(NETBOOT_OUT)/$(1)/obj/%.so
	$$(GUEST_OBJCOPY_$(1)) $$(GUEST_PE_SECTIONS) --target $$(GUEST_PE_$(1)) \
		--subsystem=10 $$< $$@

$$(foreach p,$$(NETBOOT_PROGS),$$(eval $$(call netboot_link,$(1),$$(p))))

.SECONDARY: $$(foreach p,$$(NETBOOT_PROGS),$$(NETBOOT_OBJS_$$(p):%=$$(NETBOOT_OUT)/$(1)/obj/%.o)) \
	$$(NETBOOT_PROGS:%=$$(NETBOOT_OUT)/$(1)/obj/%.so)

netboot: $$(NETBOOT_PROGS:%=$$(NETBOOT_OUT)/$(1)/%.efi)

-include $$(wildcard $$(NETBOOT_OUT)/$(1)/obj/*.d)
endef

$(foreach a,$(GUEST_ARCHES),$(eval $(call netboot_arch,$(a))))

# boot.ipxe is static; it is copied only when someone has written it.
netboot: $(if $(wildcard netboot/boot.ipxe),$(NETBOOT_OUT)/boot.ipxe)

$(NETBOOT_OUT)/boot.ipxe: netboot/boot.ipxe
	@mkdir -p $(@D)
	cp $< $@

# The job format's parser as a hosted program under the sanitizers, in the
# guest library's world (guest.mk's GUEST_UNIT_RENAME): tests/run unit
# runs $(BUILD)/tests/unit/test_*.
FARMBOOT_UNIT := $(BUILD)/tests/unit/test_farmboot_script

$(FARMBOOT_UNIT): netboot/unit/test_farmboot_script.c netboot/farmboot_script.c \
	netboot/farmboot_script.h $(BUILD)/guest/unit/format.o \
	$(BUILD)/guest/unit/args.o $(BUILD)/guest/unit/percent.o
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O1 -g $(SAN) -fno-builtin $(GUEST_UNIT_RENAME) \
		-Iguest/lib -Inetboot -o $@ $(filter %.c %.o,$^)

unit-tests: $(FARMBOOT_UNIT)
