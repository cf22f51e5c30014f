/*
 * devicetree.c - finds the device tree the machine booted with
 * (devicetree.h): the file fdtfile names on the program's device, or the
 * firmware's devicetree configuration table.
 *
 * The farm serves a machine's DTB as an image iPXE fetches next to the
 * program and names it in fdtfile, as kvm-unit-tests' EFI runner names
 * the DTB it puts on its disk; a file is read whole into pool memory,
 * which dt_free() gives back when the program returns to its loader
 * (iPXE runs job after job without a reboot). Without fdtfile the tree
 * is the one the firmware installed, used where it lies. The lookup runs
 * once; its answer and the reason for it are kept.
 */
#include "guest.h"
#include "uefi.h"
#include "devicetree.h"

#define DT_FILE_MAX	(64u << 20)	/* bytes: a larger file is refused */
#define DT_HEADER_SIZE	40u		/* the FDT header, version 17 */
#define DT_NAME_MAX	256		/* UTF-16 units of a file name */
#define DT_MAGIC	0xd00dfeedu

static bool dt_looked;
static const void *dt_blob;
static void *dt_buf;			/* a file's copy, pool memory */
static char dt_why[192];

/* The big-endian 32-bit word at p. */
static uint32_t dt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The firmware's devicetree configuration table, or NULL. */
static const void *dt_config_table(void)
{
	EFI_GUID dtb_guid = EFI_DTB_TABLE_GUID;
	EFI_CONFIGURATION_TABLE *t;

	if (!efi_system_table)
		return NULL;
	t = efi_system_table->ConfigurationTable;
	for (UINTN i = 0; t && i < efi_system_table->NumberOfTableEntries; i++) {
		if (memcmp(&t[i].VendorGuid, &dtb_guid, sizeof(dtb_guid)) == 0)
			return t[i].VendorTable;
	}
	return NULL;
}

/* The size of an open file, in *size; refuses a directory. */
static EFI_STATUS dt_file_size(EFI_FILE_HANDLE file, UINT64 *size)
{
	EFI_GUID info_guid = EFI_FILE_INFO_ID;
	EFI_FILE_INFO *info = NULL;
	UINTN isize = 0;
	EFI_STATUS st;

	st = file->GetInfo(file, &info_guid, &isize, NULL);
	if (st != EFI_BUFFER_TOO_SMALL)
		return st == EFI_SUCCESS ? EFI_DEVICE_ERROR : st;
	info = pool_alloc(isize);
	if (!info)
		return EFI_OUT_OF_RESOURCES;
	st = file->GetInfo(file, &info_guid, &isize, info);
	if (st == EFI_SUCCESS && (info->Attribute & EFI_FILE_DIRECTORY))
		st = EFI_UNSUPPORTED;
	if (st == EFI_SUCCESS)
		*size = info->FileSize;
	pool_free(info);
	return st;
}

/*
 * Reads the whole file into a new pool buffer of at least DT_HEADER_SIZE
 * bytes (zeroes after a shorter file): *buf, caller frees. Sets dt_why on
 * failure.
 */
static EFI_STATUS dt_read(EFI_FILE_HANDLE file, const char *name, void **buf)
{
	UINT64 size = 0, off = 0;
	uint8_t *p = NULL;
	EFI_STATUS st;

	st = dt_file_size(file, &size);
	if (st != EFI_SUCCESS) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: no file size "
		    "(a directory?) (EFI status %#lx)", name, (unsigned long)st);
		return st;
	}
	if (size > DT_FILE_MAX) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: %llu bytes, more "
		    "than %u", name, (unsigned long long)size, DT_FILE_MAX);
		return EFI_BAD_BUFFER_SIZE;
	}
	p = pool_alloc(MAX((size_t)size, DT_HEADER_SIZE));
	if (!p) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: no memory for "
		    "%llu bytes", name, (unsigned long long)size);
		return EFI_OUT_OF_RESOURCES;
	}
	memset(p, 0, MAX((size_t)size, DT_HEADER_SIZE));
	while (off < size) {
		UINTN n = (UINTN)(size - off);

		st = file->Read(file, &n, p + off);
		if (st != EFI_SUCCESS || n == 0) {
			snprintf(dt_why, sizeof(dt_why), "fdtfile %s: read failed "
			    "at byte %llu of %llu (EFI status %#lx)", name,
			    (unsigned long long)off, (unsigned long long)size,
			    (unsigned long)st);
			pool_free(p);
			return st != EFI_SUCCESS ? st : EFI_END_OF_FILE;
		}
		off += n;
	}
	/* libfdt trusts totalsize: it must not reach past the buffer. */
	if (size >= 8 && dt_be32(p) == DT_MAGIC && dt_be32(p + 4) > size) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: truncated: %llu "
		    "bytes, the header says %u", name, (unsigned long long)size,
		    dt_be32(p + 4));
		pool_free(p);
		return EFI_END_OF_FILE;
	}
	*buf = p;
	return EFI_SUCCESS;
}

/*
 * The file name on the program's device into *buf (dt_buf); sets dt_why
 * either way.
 */
static void dt_from_file(const char *name)
{
	EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root = NULL, file = NULL;
	CHAR16 path[DT_NAME_MAX];
	EFI_STATUS st;
	long units;

	units = utf8_to_utf16(name, strlen(name), path, ARRAY_SIZE(path));
	if (units < 0 || units >= (long)ARRAY_SIZE(path)) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %.64s: not a file "
		    "name (bad UTF-8 or too long)", name);
		return;
	}
	path[units] = 0;
	for (long i = 0; i < units; i++) {
		if (path[i] == '/')
			path[i] = '\\';
	}
	if (!efi_bs || !efi_loaded_image || !efi_loaded_image->DeviceHandle) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: %s", name, !efi_bs ?
		    "boot services are gone" : "the program has no device");
		return;
	}
	st = efi_bs->HandleProtocol(efi_loaded_image->DeviceHandle, &fs_guid,
	    (void **)&fs);
	if (st != EFI_SUCCESS) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: no file system on "
		    "the program's device (EFI status %#lx)", name,
		    (unsigned long)st);
		return;
	}
	st = fs->OpenVolume(fs, &root);
	if (st != EFI_SUCCESS) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: cannot open the "
		    "volume (EFI status %#lx)", name, (unsigned long)st);
		return;
	}
	st = root->Open(root, &file, path, EFI_FILE_MODE_READ, 0);
	if (st != EFI_SUCCESS) {
		snprintf(dt_why, sizeof(dt_why), "fdtfile %s: %s (EFI status "
		    "%#lx)", name, st == EFI_NOT_FOUND ? "no such file" :
		    "cannot open it", (unsigned long)st);
		goto out;
	}
	if (dt_read(file, name, &dt_buf) == EFI_SUCCESS) {
		dt_blob = dt_buf;
		snprintf(dt_why, sizeof(dt_why), "file %s (fdtfile)", name);
	}
	file->Close(file);
out:
	root->Close(root);
}

const void *dt_fdt(void)
{
	const char *name;

	if (dt_looked)
		return dt_blob;
	dt_looked = true;
	name = getenv("fdtfile");
	if (name && *name) {
		dt_from_file(name);
		return dt_blob;
	}
	dt_blob = dt_config_table();
	snprintf(dt_why, sizeof(dt_why), "%s", dt_blob ?
	    "the EFI configuration table" :
	    "no devicetree table in the EFI configuration tables and no fdtfile");
	return dt_blob;
}

const char *dt_fdt_source(void)
{
	dt_fdt();
	return dt_why;
}

void dt_free(void)
{
	pool_free(dt_buf);
	dt_buf = NULL;
	dt_blob = NULL;
	dt_looked = false;
	dt_why[0] = '\0';
}
