/*
 * efivars.h - the farm's EFI variables as setvar.efi and farmboot.efi both
 * handle them. Firmware services are passed in: setvar.efi links only the
 * guest library's pure parts and keeps its own copies of them.
 */
#ifndef FARM_EFIVARS_H
#define FARM_EFIVARS_H

#include <efi.h>
#include <stddef.h>

/*
 * Deletes every variable under guid, at most max of them. Names are
 * gathered first: deleting while walking would lose GetNextVariableName's
 * place. EFI_SUCCESS, or the first error (EFI_OUT_OF_RESOURCES when the
 * name buffers cannot be had).
 */
EFI_STATUS efivars_clear(EFI_BOOT_SERVICES *bs, EFI_RUNTIME_SERVICES *rs,
    const EFI_GUID *guid, size_t max);

#endif
