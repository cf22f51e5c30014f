/*
 * dt.c - the machine as the device tree describes it: the tree is the
 * configuration table the firmware installs under the devicetree GUID
 * (AAVMF does so when it describes the machine by DT rather than ACPI:
 * QEMU's `-machine virt,acpi=off`; the table is QEMU's own tree).
 *
 * The console is the UART /chosen's stdout-path names: a node path or an
 * alias, optionally followed by ":<options>" (baud rate...), which are
 * ignored. It must be a PL011 (or an SBSA UART, its subset); its address
 * is the first "reg" entry, through the buses' "ranges". PSCI's conduit
 * is /psci's "method".
 */
#include "aarch64.h"
#include "fdt.h"
#include "uefi.h"

/* EFI_DTB_TABLE_GUID, from the UEFI specification's "Devicetree Tables". */
static EFI_GUID dtb_guid = { 0xb1b621d5, 0xf19c, 0x41a5,
	{ 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } };

static const char *const uart_compatible[] = { "arm,pl011", "arm,sbsa-uart" };

/* The firmware's tree, checked, into *fdt. 0, or -1 when there is none. */
static int dt_find(struct fdt *fdt)
{
	EFI_CONFIGURATION_TABLE *t;
	UINTN i;

	if (!efi_system_table)
		return -1;
	t = efi_system_table->ConfigurationTable;
	for (i = 0; t && i < efi_system_table->NumberOfTableEntries; i++) {
		if (memcmp(&t[i].VendorGuid, &dtb_guid, sizeof(dtb_guid)) == 0)
			return fdt_init(fdt, t[i].VendorTable);
	}
	return -1;
}

/* The stdout-path node's address when it is a UART the library drives. */
static int dt_uart(const struct fdt *fdt, uint64_t *base)
{
	struct fdt_node chosen, node;
	const char *path;
	size_t len;
	bool known = false;

	if (fdt_find(fdt, "/chosen", 7, &chosen) != 0)
		return -1;
	path = fdt_prop_string(fdt, chosen.off, "stdout-path");
	if (!path)
		path = fdt_prop_string(fdt, chosen.off, "linux,stdout-path");
	if (!path)
		return -1;
	for (len = 0; path[len] != '\0' && path[len] != ':'; len++)
		;
	if (fdt_find(fdt, path, len, &node) != 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(uart_compatible); i++)
		known = known || fdt_prop_has_string(fdt, node.off, "compatible",
		    uart_compatible[i]);
	if (!known)
		return -1;
	return fdt_reg_address(fdt, &node, base);
}

/* The conduit /psci's "method" names. */
static enum psci_conduit dt_psci(const struct fdt *fdt)
{
	struct fdt_node psci;
	const char *method;

	if (fdt_find(fdt, "/psci", 5, &psci) != 0)
		return PSCI_NONE;
	method = fdt_prop_string(fdt, psci.off, "method");
	if (method && strcmp(method, "hvc") == 0)
		return PSCI_HVC;
	if (method && strcmp(method, "smc") == 0)
		return PSCI_SMC;
	return PSCI_NONE;
}

int dt_describe(struct machine_desc *desc)
{
	struct fdt fdt;
	uint64_t base;

	if (dt_find(&fdt) != 0)
		return -1;
	desc->psci = dt_psci(&fdt);
	if (dt_uart(&fdt, &base) != 0 || base == 0)
		return -1;
	desc->uart_base = base;
	return 0;
}
