/*
 * launch.c - runs EFI programs from its own disk, the way an iPXE script
 * chains them: scripts/qemu-direct.sh's boot loader.
 *
 * Booted as \EFI\BOOT\BOOTX64.EFI, it reads \launch.txt from the same
 * volume and runs one program per line,
 *
 *	setvar.efi FARM_SUITE=sample
 *	selftest.efi FARM_SUITE=sample
 *
 * loading "\<first word>" with LoadImage and starting it with the whole
 * line as LoadOptions (a UTF-16 string with its NUL, argv[0] first, as iPXE
 * passes it). Empty lines and lines starting with '#' are skipped. A
 * program that returns EFI_SUCCESS lets the next line run; one that
 * returns an error ends the list. At the end (when a program did not end
 * the machine itself) the launcher exits QEMU through isa-debug-exit with
 * the last program's code: 0 for EFI_SUCCESS, the low 32 bits of an OEM
 * error status (0xC0000000_000000NN, how the guest library returns code
 * NN), 1 for any other error, and 125 when the launcher itself failed.
 * Unlike the EFI shell's startup.nsh it costs no countdown.
 */
#include <efi.h>
#include "guest.h"

#define LAUNCH_FILE	L"\\launch.txt"
#define LAUNCH_MAX	(64 * 1024)	/* bytes of launch.txt read */
#define LAUNCH_FAILED	125
#define OEM_ERROR_MASK	0xc000000000000000ull

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;

/* Prints "launch: " and the message on ConOut. */
static void say(const char *fmt, ...) __printf(1, 2);
static void say(const char *fmt, ...)
{
	char buf[256];
	CHAR16 wbuf[300];
	size_t i, n = 0;
	va_list ap;
	int len;

	len = snprintf(buf, sizeof(buf), "launch: ");
	va_start(ap, fmt);
	vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
	va_end(ap);
	for (i = 0; buf[i] && n + 3 < ARRAY_SIZE(wbuf); i++)
		wbuf[n++] = (CHAR16)(unsigned char)buf[i];
	wbuf[n++] = '\r';
	wbuf[n++] = '\n';
	wbuf[n] = 0;
	st->ConOut->OutputString(st->ConOut, wbuf);
}

/* Reads up to LAUNCH_MAX - 1 bytes of \launch.txt on device into buf. */
static EFI_STATUS read_list(EFI_HANDLE device, char *buf, UINTN *len)
{
	EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root, file;
	EFI_STATUS s;

	s = bs->HandleProtocol(device, &fs_guid, (void **)&fs);
	if (s != EFI_SUCCESS)
		return s;
	s = fs->OpenVolume(fs, &root);
	if (s != EFI_SUCCESS)
		return s;
	s = root->Open(root, &file, (CHAR16 *)LAUNCH_FILE, EFI_FILE_MODE_READ, 0);
	if (s == EFI_SUCCESS) {
		*len = LAUNCH_MAX - 1;
		s = file->Read(file, len, buf);
		file->Close(file);
	}
	root->Close(root);
	return s;
}

/*
 * The device path of file "\name" on the launcher's device: the device's
 * path, a file path node, the end node. Pool memory; NULL on failure.
 */
static EFI_DEVICE_PATH *file_path(EFI_HANDLE device, const char *name)
{
	EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dev, *node, *path;
	size_t dev_len = 0, units, file_len;
	FILEPATH_DEVICE_PATH *fp;
	UINT8 *p;
	long n;

	if (bs->HandleProtocol(device, &dp_guid, (void **)&dev) != EFI_SUCCESS)
		return NULL;
	for (node = dev; !IsDevicePathEnd(node); node = NextDevicePathNode(node))
		dev_len += DevicePathNodeLength(node);
	n = utf8_to_utf16(name, strlen(name), NULL, 0);
	if (n < 0)
		return NULL;
	units = (size_t)n + 2;			/* '\' and NUL */
	file_len = SIZE_OF_FILEPATH_DEVICE_PATH + units * sizeof(CHAR16);
	if (bs->AllocatePool(EfiLoaderData, dev_len + file_len + 4,
	    (void **)&path) != EFI_SUCCESS)
		return NULL;
	p = (UINT8 *)path;
	memcpy(p, dev, dev_len);
	fp = (FILEPATH_DEVICE_PATH *)(p + dev_len);
	fp->Header.Type = MEDIA_DEVICE_PATH;
	fp->Header.SubType = MEDIA_FILEPATH_DP;
	fp->Header.Length[0] = (UINT8)file_len;
	fp->Header.Length[1] = (UINT8)(file_len >> 8);
	fp->PathName[0] = '\\';
	utf8_to_utf16(name, strlen(name), (uint16_t *)&fp->PathName[1], units - 2);
	fp->PathName[units - 1] = 0;
	node = (EFI_DEVICE_PATH *)(p + dev_len + file_len);
	node->Type = END_DEVICE_PATH_TYPE;
	node->SubType = END_ENTIRE_DEVICE_PATH_SUBTYPE;
	node->Length[0] = 4;
	node->Length[1] = 0;
	return path;
}

/* The length of the first word of s. */
static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

/* s without leading blanks and trailing blanks and CR (cut in place). */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* The code for a program's EFI status: see the top of the file. */
static int status_code(EFI_STATUS s)
{
	if (s == EFI_SUCCESS)
		return 0;
	if ((s & OEM_ERROR_MASK) == OEM_ERROR_MASK)
		return (int)(uint32_t)s;
	return 1;
}

/* Loads and starts the program a line names; its code. */
static int run_line(EFI_HANDLE self, EFI_HANDLE device, char *line)
{
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	EFI_DEVICE_PATH *path;
	EFI_HANDLE child = NULL;
	CHAR16 *options = NULL;
	char name[256];
	size_t n;
	long units;
	EFI_STATUS s;
	int code = LAUNCH_FAILED;

	n = word_len(line);
	if (n >= sizeof(name)) {
		say("%.40s...: name too long", line);
		return LAUNCH_FAILED;
	}
	memcpy(name, line, n);
	name[n] = '\0';
	path = file_path(device, name);
	if (!path) {
		say("%s: no device path", name);
		return LAUNCH_FAILED;
	}
	s = bs->LoadImage(FALSE, self, path, NULL, 0, &child);
	bs->FreePool(path);
	if (s != EFI_SUCCESS) {
		say("%s: LoadImage: %#lx", name, (unsigned long)s);
		return LAUNCH_FAILED;
	}
	units = utf8_to_utf16(line, strlen(line), NULL, 0);
	if (units >= 0)
		units++;			/* the NUL */
	if (units < 0 || bs->AllocatePool(EfiLoaderData,
	    (UINTN)units * sizeof(CHAR16), (void **)&options) != EFI_SUCCESS ||
	    bs->HandleProtocol(child, &li_guid, (void **)&li) != EFI_SUCCESS) {
		say("%s: cannot pass the command line", name);
		bs->UnloadImage(child);
		goto out;
	}
	utf8_to_utf16(line, strlen(line), options, (size_t)units);
	options[units - 1] = 0;
	li->LoadOptions = options;
	li->LoadOptionsSize = (UINT32)((size_t)units * sizeof(CHAR16));
	s = bs->StartImage(child, NULL, NULL);
	code = status_code(s);
	if (s != EFI_SUCCESS && (s & OEM_ERROR_MASK) != OEM_ERROR_MASK)
		say("%s: returned %#lx", name, (unsigned long)s);
out:
	if (options)
		bs->FreePool(options);
	return code;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *self;
	char *list = NULL, *line, *next;
	UINTN len;
	int code = LAUNCH_FAILED;

	st = systab;
	bs = systab->BootServices;
	if (bs->HandleProtocol(image, &li_guid, (void **)&self) != EFI_SUCCESS ||
	    bs->AllocatePool(EfiLoaderData, LAUNCH_MAX, (void **)&list) != EFI_SUCCESS) {
		say("no loaded image or no memory");
		goto out;
	}
	if (read_list(self->DeviceHandle, list, &len) != EFI_SUCCESS) {
		say("cannot read \\launch.txt");
		goto out;
	}
	list[len] = '\0';
	code = 0;
	for (line = list; line && code == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		code = run_line(image, self->DeviceHandle, line);
	}
out:
	arch_debug_exit(code);
	systab->RuntimeServices->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	return EFI_SUCCESS;
}
