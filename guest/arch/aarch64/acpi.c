/*
 * acpi.c - the machine as ACPI describes it, for firmware that installs
 * ACPI tables and no device tree (AAVMF on QEMU's virt by default, arm64
 * servers): the console UART from the SPCR table (Serial Port Console
 * Redirection), PSCI's conduit from the FADT's ARM boot flags.
 *
 * Tables are found from the ACPI 2.0 configuration table (RSDP) through
 * the XSDT. Each table's length is checked before a field is read; a
 * table that does not fit is ignored. Fields are read byte by byte (ACPI
 * does not align them).
 */
#include "aarch64.h"
#include "uefi.h"

/* EFI_ACPI_20_TABLE_GUID, from the UEFI specification. */
static EFI_GUID acpi20_guid = { 0x8868e871, 0xe4f1, 0x11d3,
	{ 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } };

#define SDT_HEADER_SIZE		36
#define RSDP_XSDT		24	/* XsdtAddress, in ACPI 2.0's RSDP */
#define RSDP_SIZE		36
#define SPCR_TYPE		36	/* interface type */
#define SPCR_BASE_SPACE		40	/* generic address: address space */
#define SPCR_BASE		44	/* generic address: the address */
#define FADT_ARM_BOOT		129	/* ARM_BOOT_ARCH flags, 2 bytes */
#define ARM_BOOT_PSCI		0x1
#define ARM_BOOT_PSCI_HVC	0x2
#define ADDRESS_SPACE_MEMORY	0

/* SPCR interface types that are PL011s (the DBG2 table's subtypes). */
static const uint8_t spcr_pl011[] = {
	0x03,	/* ARM PL011 */
	0x0d,	/* ARM SBSA generic UART, 32-bit access only (2.x) */
	0x0e,	/* ARM SBSA generic UART */
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* The RSDP from the configuration tables, or NULL. */
static const uint8_t *acpi_rsdp(void)
{
	EFI_CONFIGURATION_TABLE *t;
	UINTN i;

	if (!efi_system_table)
		return NULL;
	t = efi_system_table->ConfigurationTable;
	for (i = 0; t && i < efi_system_table->NumberOfTableEntries; i++) {
		if (memcmp(&t[i].VendorGuid, &acpi20_guid, sizeof(acpi20_guid)) == 0)
			return t[i].VendorTable;
	}
	return NULL;
}

/* The table with signature sig (4 bytes) and at least min bytes, or NULL. */
static const uint8_t *acpi_table(const char *sig, uint32_t min)
{
	const uint8_t *rsdp = acpi_rsdp(), *xsdt, *t;
	uint32_t len, i;

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0 || rsdp[15] < 2)
		return NULL;
	xsdt = (const uint8_t *)(uintptr_t)le(rsdp + RSDP_XSDT, 8);
	if (!xsdt || memcmp(xsdt, "XSDT", 4) != 0)
		return NULL;
	len = (uint32_t)le(xsdt + 4, 4);
	for (i = SDT_HEADER_SIZE; i + 8 <= len; i += 8) {
		t = (const uint8_t *)(uintptr_t)le(xsdt + i, 8);
		if (t && memcmp(t, sig, 4) == 0 && le(t + 4, 4) >= min)
			return t;
	}
	return NULL;
}

int acpi_describe(struct machine_desc *desc)
{
	const uint8_t *fadt = acpi_table("FACP", FADT_ARM_BOOT + 2);
	const uint8_t *spcr = acpi_table("SPCR", SPCR_BASE + 8);
	bool pl011 = false;

	if (fadt && (le(fadt + FADT_ARM_BOOT, 2) & ARM_BOOT_PSCI))
		desc->psci = le(fadt + FADT_ARM_BOOT, 2) & ARM_BOOT_PSCI_HVC ?
		    PSCI_HVC : PSCI_SMC;
	if (!spcr || spcr[SPCR_BASE_SPACE] != ADDRESS_SPACE_MEMORY)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(spcr_pl011); i++)
		pl011 = pl011 || spcr[SPCR_TYPE] == spcr_pl011[i];
	if (!pl011 || le(spcr + SPCR_BASE, 8) == 0)
		return -1;
	desc->uart_base = le(spcr + SPCR_BASE, 8);
	return 0;
}
