/*
 * efivars.c - deleting the farm's EFI variables (efivars.h), shared by
 * setvar.efi and farmboot.efi.
 */
#include "efivars.h"

#include "guest.h"

static void *efivars_alloc(EFI_BOOT_SERVICES *bs, size_t size)
{
	void *p = NULL;

	if (bs->AllocatePool(EfiLoaderData, size, &p) != EFI_SUCCESS)
		return NULL;
	return p;
}

EFI_STATUS efivars_clear(EFI_BOOT_SERVICES *bs, EFI_RUNTIME_SERVICES *rs,
    const EFI_GUID *farm_guid, size_t max)
{
	CHAR16 **names, *name, *bigger;
	UINTN cap = 256 * sizeof(CHAR16), size;
	EFI_GUID guid;
	EFI_STATUS s;
	size_t n = 0, i;

	names = efivars_alloc(bs, max * sizeof(*names));
	name = efivars_alloc(bs, cap);
	if (!names || !name) {
		s = EFI_OUT_OF_RESOURCES;
		goto out;
	}
	name[0] = 0;
	while (n < max) {
		size = cap;
		s = rs->GetNextVariableName(&size, name, &guid);
		if (s == EFI_BUFFER_TOO_SMALL && size > cap) {
			/* The next call needs the previous name: carry it over. */
			bigger = efivars_alloc(bs, size);
			if (!bigger) {
				s = EFI_OUT_OF_RESOURCES;
				goto out;
			}
			memcpy(bigger, name, cap);
			bs->FreePool(name);
			name = bigger;
			cap = size;
			continue;
		}
		if (s == EFI_NOT_FOUND)
			break;
		if (s != EFI_SUCCESS)
			goto out;
		if (memcmp(&guid, farm_guid, sizeof(guid)) != 0)
			continue;
		names[n] = efivars_alloc(bs, size);
		if (!names[n]) {
			s = EFI_OUT_OF_RESOURCES;
			goto out;
		}
		memcpy(names[n], name, size);
		n++;
	}
	s = EFI_SUCCESS;
	for (i = 0; i < n; i++) {
		EFI_STATUS d = rs->SetVariable(names[i], (EFI_GUID *)farm_guid, 0, 0,
		    NULL);

		if (d != EFI_SUCCESS && d != EFI_NOT_FOUND && s == EFI_SUCCESS)
			s = d;
	}
out:
	for (i = 0; i < n; i++)
		bs->FreePool(names[i]);
	if (names)
		bs->FreePool(names);
	if (name)
		bs->FreePool(name);
	return s;
}
