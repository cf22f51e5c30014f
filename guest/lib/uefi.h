/*
 * uefi.h - the firmware underneath a test: system table, loaded image,
 * memory map, ExitBootServices.
 *
 * For tests that look at or leave the firmware. Types are gnu-efi's. After
 * efi_exit_boot_services() only runtime services are left: the library then
 * writes to the UART alone, malloc() fails, exit() cannot return to the
 * loader (it shuts down instead) and no results POST is made.
 */
#ifndef FARM_UEFI_H
#define FARM_UEFI_H

#include <stdbool.h>
#include <efi.h>

extern EFI_HANDLE efi_image_handle;
extern EFI_SYSTEM_TABLE *efi_system_table;
extern EFI_BOOT_SERVICES *efi_bs;		/* NULL after ExitBootServices */
extern EFI_RUNTIME_SERVICES *efi_rs;
extern EFI_LOADED_IMAGE *efi_loaded_image;	/* the running program */

/* A copy of the firmware's memory map, in the firmware's order. */
struct efi_memmap {
	void *buf;			/* descriptors, desc_size apart */
	UINTN buf_size;			/* bytes allocated */
	UINTN size;			/* bytes used in buf */
	UINTN desc_size;		/* may be larger than the C struct */
	UINT32 desc_version;
	UINTN key;			/* for ExitBootServices */
	UINTN count;			/* size / desc_size */
};

/* Fills *map (free with efi_memmap_free). Boot services only. */
EFI_STATUS efi_memmap_get(struct efi_memmap *map);
/* The i-th descriptor, i < map->count. */
EFI_MEMORY_DESCRIPTOR *efi_memmap_desc(const struct efi_memmap *map, UINTN i);
void efi_memmap_free(struct efi_memmap *map);
/* "ConventionalMemory" etc., or "Unknown". */
const char *efi_memtype_name(UINT32 type);

/*
 * Leaves boot services. *map (may be NULL) receives the final memory map,
 * which stays valid: it lives in loader data. The UART keeps working.
 */
EFI_STATUS efi_exit_boot_services(struct efi_memmap *map);
bool efi_boot_services_active(void);

#endif
