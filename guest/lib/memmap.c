/*
 * memmap.c - the firmware's memory map, and leaving boot services.
 *
 * The map is read into pool memory with room for a few more descriptors
 * than asked for, since allocating the buffer can itself split a region.
 * efi_exit_boot_services() reads the map and exits with its key at once;
 * when the firmware says the map changed in between, it reads it again
 * (the UEFI specification allows that second try), and after success
 * tells the console that ConOut is gone.
 */
#include "guest.h"
#include "uefi.h"

#define MEMMAP_SLACK 8		/* spare descriptors in the buffer */

EFI_STATUS efi_memmap_get(struct efi_memmap *map)
{
	UINTN size = 0, cap = 0, key, desc_size;
	UINT32 version;
	EFI_STATUS st;
	void *buf = NULL;

	memset(map, 0, sizeof(*map));
	if (!efi_bs)
		return EFI_UNSUPPORTED;
	for (int tries = 0; tries < 4; tries++) {
		st = efi_bs->GetMemoryMap(&size, buf, &key, &desc_size, &version);
		if (st == EFI_SUCCESS)
			break;
		pool_free(buf);
		buf = NULL;
		if (st != EFI_BUFFER_TOO_SMALL)
			return st;
		size += MEMMAP_SLACK * desc_size;
		cap = size;
		buf = pool_alloc(size);
		if (!buf)
			return EFI_OUT_OF_RESOURCES;
	}
	if (st != EFI_SUCCESS) {
		pool_free(buf);
		return st;
	}
	if (desc_size < sizeof(EFI_MEMORY_DESCRIPTOR) - sizeof(UINT64) ||
	    desc_size == 0) {
		pool_free(buf);
		return EFI_UNSUPPORTED;
	}
	map->buf = buf;
	map->buf_size = cap;
	map->size = size;
	map->desc_size = desc_size;
	map->desc_version = version;
	map->key = key;
	map->count = size / desc_size;
	return EFI_SUCCESS;
}

EFI_MEMORY_DESCRIPTOR *efi_memmap_desc(const struct efi_memmap *map, UINTN i)
{
	return (EFI_MEMORY_DESCRIPTOR *)((char *)map->buf + i * map->desc_size);
}

void efi_memmap_free(struct efi_memmap *map)
{
	pool_free(map->buf);
	memset(map, 0, sizeof(*map));
}

const char *efi_memtype_name(UINT32 type)
{
	static const char *const names[] = {
		[EfiReservedMemoryType] = "Reserved",
		[EfiLoaderCode] = "LoaderCode",
		[EfiLoaderData] = "LoaderData",
		[EfiBootServicesCode] = "BootServicesCode",
		[EfiBootServicesData] = "BootServicesData",
		[EfiRuntimeServicesCode] = "RuntimeServicesCode",
		[EfiRuntimeServicesData] = "RuntimeServicesData",
		[EfiConventionalMemory] = "ConventionalMemory",
		[EfiUnusableMemory] = "Unusable",
		[EfiACPIReclaimMemory] = "ACPIReclaim",
		[EfiACPIMemoryNVS] = "ACPIMemoryNVS",
		[EfiMemoryMappedIO] = "MemoryMappedIO",
		[EfiMemoryMappedIOPortSpace] = "MemoryMappedIOPortSpace",
		[EfiPalCode] = "PalCode",
		[14] = "Persistent",		/* EfiPersistentMemory, UEFI 2.5 */
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "Unknown";
}

EFI_STATUS efi_exit_boot_services(struct efi_memmap *out)
{
	struct efi_memmap map;
	EFI_STATUS st;

	st = efi_memmap_get(&map);
	if (st != EFI_SUCCESS)
		return st;
	st = efi_bs->ExitBootServices(efi_image_handle, map.key);
	if (st == EFI_INVALID_PARAMETER) {
		/*
		 * The map changed. Only GetMemoryMap may be called now, into
		 * the buffer we have (it has slack), then ExitBootServices.
		 */
		UINTN size = map.buf_size;

		st = efi_bs->GetMemoryMap(&size, map.buf, &map.key,
		    &map.desc_size, &map.desc_version);
		if (st == EFI_SUCCESS) {
			map.size = size;
			map.count = size / map.desc_size;
			st = efi_bs->ExitBootServices(efi_image_handle, map.key);
		}
	}
	if (st != EFI_SUCCESS) {
		efi_memmap_free(&map);
		return st;
	}
	efi_bs = NULL;
	console_boot_services_gone();
	if (out)
		*out = map;
	return EFI_SUCCESS;
}
