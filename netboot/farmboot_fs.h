/*
 * farmboot_fs.h - a read-only, in-memory EFI_SIMPLE_FILE_SYSTEM_PROTOCOL
 * holding one file (farmboot_fs.c): how farmboot gives the job's DTB to
 * programs that look for it the way kvm-unit-tests does, as the file the
 * `fdtfile` variable names on their own LoadedImage->DeviceHandle.
 */
#ifndef FARM_FARMBOOT_FS_H
#define FARM_FARMBOOT_FS_H

#include <efi.h>
#include "guest.h"

/* The longest file name a volume takes, in characters. */
#define FB_FS_NAME_MAX	64

struct fb_fs;

/*
 * Makes a volume with one file, name (printable ASCII, 1..FB_FS_NAME_MAX
 * characters, no '\' or '/', not "." or "..") holding data[len], and
 * installs it on a new handle with a device path of its own: a vendor
 * hardware node (farmboot's GUID, id as its 8 bytes of data) and the end
 * node. data is borrowed: it must stay as it is until fb_fs_close(). On
 * success *out is the volume; EFI_INVALID_PARAMETER for a bad name, else
 * the firmware's status.
 */
EFI_STATUS fb_fs_open(const char *name, const void *data, size_t len,
    UINT64 id, struct fb_fs **out);

/*
 * The volume's device path followed by the file path node "\<name>": what
 * LoadImage() is given with a source buffer so that the started image's
 * LoadedImage->DeviceHandle is the volume's handle and its FilePath the
 * node. name is printable ASCII. Pool memory the caller frees; NULL when
 * there is no memory.
 */
EFI_DEVICE_PATH *fb_fs_image_path(const struct fb_fs *fs, const char *name);

/* The handle the volume is installed on. */
EFI_HANDLE fb_fs_handle(const struct fb_fs *fs);

/*
 * Uninstalls the volume and frees it with every file handle still open
 * (an app may leave some). When the firmware refuses to uninstall it, the
 * status is returned and nothing is freed: the firmware still points at
 * it. fs may be NULL.
 */
EFI_STATUS fb_fs_close(struct fb_fs *fs);

#endif
