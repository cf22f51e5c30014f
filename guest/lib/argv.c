/*
 * argv.c - main()'s arguments, from the loaded image's LoadOptions.
 *
 * A loader that starts a program with a command line (iPXE's chain, the
 * EFI shell, guest/tools/launch.efi) puts "program arg arg ..." there as a
 * UTF-16 string, argv[0] first. The boot manager instead may pass binary
 * data (OVMF gives its automatic boot options a GUID), so options are used
 * only when they look like text: printable characters, ending in a NUL or
 * all ASCII. Without a command line argc is 1 and argv[0] is the file name
 * of the image, e.g. "BOOTX64.EFI".
 */
#include "guest.h"
#include "uefi.h"

#define ARGV_MAX 128

static char *argv_vec[ARGV_MAX + 1];
static char *argv_line;
static char argv0_name[64] = "main";

/* True when the n code units at s are a command line rather than data. */
static bool options_are_text(const CHAR16 *s, size_t n)
{
	bool ascii = true;
	size_t i;

	for (i = 0; i < n && s[i] != 0; i++) {
		if (s[i] < 0x20 && s[i] != '\t')
			return false;
		if (s[i] == 0x7f || (s[i] >= 0x80 && s[i] < 0xa0))
			return false;
		if (s[i] >= 0x80)
			ascii = false;
	}
	return i > 0 && (i < n || ascii);
}

/* The last file path node of the image's device path, as argv[0]. */
static void image_name(void)
{
	EFI_DEVICE_PATH *dp = efi_loaded_image->FilePath;
	const FILEPATH_DEVICE_PATH *file = NULL;
	const CHAR16 *name;
	size_t units;

	for (int guard = 0; dp && guard < 64; guard++) {
		size_t len = DevicePathNodeLength(dp);

		if (IsDevicePathEnd(dp) || len < 4)
			break;
		if (DevicePathType(dp) == MEDIA_DEVICE_PATH &&
		    DevicePathSubType(dp) == MEDIA_FILEPATH_DP &&
		    len > SIZE_OF_FILEPATH_DEVICE_PATH)
			file = (const FILEPATH_DEVICE_PATH *)dp;
		dp = NextDevicePathNode(dp);
	}
	if (!file)
		return;
	name = file->PathName;
	units = (DevicePathNodeLength(&file->Header) -
	    SIZE_OF_FILEPATH_DEVICE_PATH) / sizeof(CHAR16);
	for (size_t i = 0; i < units && file->PathName[i]; i++) {
		if (file->PathName[i] == '\\' || file->PathName[i] == '/')
			name = &file->PathName[i + 1];
	}
	units -= (size_t)(name - file->PathName);
	utf16_to_utf8(name, units, argv0_name, sizeof(argv0_name));
	if (!argv0_name[0])
		strcpy(argv0_name, "main");
}

void argv_load(int *argc, char ***argv)
{
	const CHAR16 *opt = efi_loaded_image->LoadOptions;
	size_t units = efi_loaded_image->LoadOptionsSize / sizeof(CHAR16);
	int n = 0;

	if (opt && units > 0 && options_are_text(opt, units)) {
		size_t len = utf16_to_utf8(opt, units, NULL, 0);

		argv_line = pool_alloc(len + 1);
		if (argv_line) {
			utf16_to_utf8(opt, units, argv_line, len + 1);
			n = args_split(argv_line, argv_vec, ARGV_MAX);
		}
	}
	if (n == 0) {
		image_name();
		argv_vec[n++] = argv0_name;
	}
	argv_vec[n] = NULL;
	*argc = n;
	*argv = argv_vec;
}

void argv_free(void)
{
	pool_free(argv_line);
	argv_line = NULL;
}
