/*
 * malloc.c - memory from the firmware's pool.
 *
 * While boot services run, malloc() is AllocatePool(EfiLoaderData); after
 * ExitBootServices there is no allocator and malloc() returns NULL (what
 * was allocated before stays usable: loader data belongs to the program).
 */
#include "guest.h"
#include "uefi.h"

void *pool_alloc(size_t size)
{
	void *p = NULL;

	if (!efi_bs || size == 0)
		return NULL;
	if (efi_bs->AllocatePool(EfiLoaderData, size, &p) != EFI_SUCCESS)
		return NULL;
	return p;
}

void pool_free(void *p)
{
	if (p && efi_bs)
		efi_bs->FreePool(p);
}

void *malloc(size_t size)
{
	return pool_alloc(size);
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = pool_alloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void free(void *p)
{
	pool_free(p);
}
