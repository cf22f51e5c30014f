/*
 * devicetree.h - the device tree the machine booted with, for programs
 * that read it with libfdt (#include <libfdt.h>; guest/guest.mk links
 * Debian's libfdt.a into a program whose GUEST_LIBS_<program> says
 * libfdt). dt_fdt() is named as in kvm-unit-tests' lib/devicetree.h.
 */
#ifndef FARM_DEVICETREE_H
#define FARM_DEVICETREE_H

/*
 * The flattened device tree (DTB) the machine booted with, or NULL when
 * there is none.
 *
 * When the farm variable fdtfile is set (and not empty), the tree is the
 * file of that name on the program's own device (LoadedImage->DeviceHandle,
 * through EFI_SIMPLE_FILE_SYSTEM_PROTOCOL: iPXE shows the images it fetched
 * there, a disk shows its files), read into pool memory; "/" in the name
 * stands for "\". Otherwise it is the firmware's EFI configuration table
 * with the devicetree GUID (b1b621d5-f19c-41a5-830b-d9152c69aae0).
 *
 * Looked for on the first call (reading a file needs boot services);
 * later calls give the same answer. The tree stays valid until the
 * program ends. Only this much is checked: a file holds at least the
 * header, and, when the header's magic is right, the totalsize it gives.
 * Check the rest with fdt_check_header() before using it.
 */
const void *dt_fdt(void);

/*
 * Where dt_fdt() found its tree ("the EFI configuration table", "file
 * dtb (fdtfile)") or why it found none ("fdtfile dtb: no such file (EFI
 * status 0x800000000000000e)"), for a report_info(). Calls dt_fdt().
 */
const char *dt_fdt_source(void);

#endif
