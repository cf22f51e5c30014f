/*
 * memmap.c - the firmware's memory map is sane.
 *
 * Descriptors are page aligned and not empty, no two overlap, there is
 * enough conventional memory to run tests in (16 MiB), and the running
 * image lies in loader-code memory. With the argument "ebs" the program
 * then leaves boot services and reports once more, which checks that the
 * UART still works there (exit then shuts down instead of returning).
 */
#include "libcflat.h"
#include "uefi.h"

#define MIN_CONVENTIONAL (16ull << 20)
#define EFI_PAGE 4096ull

static u64 desc_end(const EFI_MEMORY_DESCRIPTOR *d)
{
	return d->PhysicalStart + d->NumberOfPages * EFI_PAGE;
}

static void check_descriptors(const struct efi_memmap *map)
{
	bool aligned = true, nonempty = true;

	for (UINTN i = 0; i < map->count; i++) {
		EFI_MEMORY_DESCRIPTOR *d = efi_memmap_desc(map, i);

		if (d->PhysicalStart % EFI_PAGE) {
			report_info("descriptor %lu starts at %#llx", (ulong)i,
			    (unsigned long long)d->PhysicalStart);
			aligned = false;
		}
		if (d->NumberOfPages == 0 ||
		    desc_end(d) <= d->PhysicalStart) {
			report_info("descriptor %lu has %llu pages", (ulong)i,
			    (unsigned long long)d->NumberOfPages);
			nonempty = false;
		}
	}
	report(map->desc_size >= sizeof(EFI_MEMORY_DESCRIPTOR),
	    "descriptor size %lu", (ulong)map->desc_size);
	report(aligned, "descriptors page aligned");
	report(nonempty, "descriptors not empty");
}

/* Sorts order[] by start address (insertion sort: maps are short). */
static void sort_by_start(const struct efi_memmap *map, UINTN *order)
{
	for (UINTN i = 0; i < map->count; i++)
		order[i] = i;
	for (UINTN i = 1; i < map->count; i++) {
		UINTN k = order[i], j = i;
		u64 start = efi_memmap_desc(map, k)->PhysicalStart;

		while (j > 0 &&
		    efi_memmap_desc(map, order[j - 1])->PhysicalStart > start) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
}

static void check_overlap(const struct efi_memmap *map)
{
	UINTN *order = malloc(map->count * sizeof(*order));
	bool ok = true;

	if (!order) {
		report_skip("descriptors do not overlap (no memory)");
		return;
	}
	sort_by_start(map, order);
	for (UINTN i = 1; i < map->count; i++) {
		EFI_MEMORY_DESCRIPTOR *a = efi_memmap_desc(map, order[i - 1]);
		EFI_MEMORY_DESCRIPTOR *b = efi_memmap_desc(map, order[i]);

		if (desc_end(a) > b->PhysicalStart) {
			report_info("%#llx-%#llx overlaps %#llx",
			    (unsigned long long)a->PhysicalStart,
			    (unsigned long long)desc_end(a),
			    (unsigned long long)b->PhysicalStart);
			ok = false;
		}
	}
	free(order);
	report(ok, "descriptors do not overlap");
}

static void check_conventional(const struct efi_memmap *map)
{
	u64 total = 0;

	for (UINTN i = 0; i < map->count; i++) {
		EFI_MEMORY_DESCRIPTOR *d = efi_memmap_desc(map, i);

		if (d->Type == EfiConventionalMemory)
			total += d->NumberOfPages * EFI_PAGE;
	}
	report_info("%lu descriptors, %llu MiB conventional memory",
	    (ulong)map->count, (unsigned long long)(total >> 20));
	report(total >= MIN_CONVENTIONAL, "conventional memory >= %llu MiB",
	    MIN_CONVENTIONAL >> 20);
}

/* Every byte of the image is in a descriptor of the image's code type. */
static void check_image(const struct efi_memmap *map)
{
	u64 base = (uintptr_t)efi_loaded_image->ImageBase;
	u64 end = base + efi_loaded_image->ImageSize, at = base;
	UINT32 type = efi_loaded_image->ImageCodeType;

	report_info("image at %#llx-%#llx", (unsigned long long)base,
	    (unsigned long long)end);
	/* Walk forward through the descriptors that cover [at, end). */
	while (at < end) {
		EFI_MEMORY_DESCRIPTOR *found = NULL;

		for (UINTN i = 0; i < map->count && !found; i++) {
			EFI_MEMORY_DESCRIPTOR *d = efi_memmap_desc(map, i);

			if (d->PhysicalStart <= at && at < desc_end(d))
				found = d;
		}
		if (!found || found->Type != type) {
			report_info("%#llx is in %s memory",
			    (unsigned long long)at,
			    found ? efi_memtype_name(found->Type) : "no");
			break;
		}
		at = desc_end(found);
	}
	report(type == EfiLoaderCode && at >= end && end > base,
	    "image in loader code");
}

int main(int argc, char **argv)
{
	struct efi_memmap map;
	EFI_STATUS st;

	report_prefix_push("memmap");
	st = efi_memmap_get(&map);
	report(st == EFI_SUCCESS && map.count > 0, "GetMemoryMap");
	if (st != EFI_SUCCESS)
		report_abort("GetMemoryMap: %#lx", (ulong)st);
	check_descriptors(&map);
	check_overlap(&map);
	check_conventional(&map);
	check_image(&map);
	efi_memmap_free(&map);

	if (argc > 1 && strcmp(argv[1], "ebs") == 0) {
		st = efi_exit_boot_services(&map);
		report(st == EFI_SUCCESS, "ExitBootServices");
		if (st == EFI_SUCCESS)
			report(map.count > 0 && malloc(16) == NULL,
			    "UART after ExitBootServices, %lu descriptors",
			    (ulong)map.count);
	}
	report_prefix_pop();
	return report_summary();
}
