/*
 * foreign_dt.c - an EFI test program NOT built with farm's guest library,
 * built for aarch64 (tests/tests.mk: foreign-aa64.efi) for
 * tests/e2e/foreign-arm.t. Plain gnu-efi; it finds its device tree the
 * way kvm-unit-tests' EFI programs do: the `fdtfile` variable under the
 * farm's (kvm-unit-tests') vendor GUID names a file on the program's own
 * device, LoadedImage->DeviceHandle, read through
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL. Under iPXE that device is iPXE's;
 * under farmboot it is the volume farmboot makes (netboot/farmboot_fs.c).
 *
 * It checks that the variable is set, that the file opens and reads
 * whole, that it is a flattened device tree, and that its /chosen node
 * has the "farm,job" property farmd adds (a short walk of the structure
 * block, no libfdt). Results go to ConOut in the kvm-unit-tests protocol
 * (PASS:/FAIL:, SUMMARY:, EXIT: STATUS=), then ResetSystem(EfiResetShutdown)
 * ends the machine, as upstream binaries end. With the load option
 * "volume" it also checks how the volume behaves (listing, names in any
 * case, refused writes, positions, the file system's information, the
 * image's file path, no other volume like it left by an earlier job).
 * With "return" it returns to its loader after the EXIT: line instead,
 * leaving its file handles open, as a careless program may: the loader
 * must clean up after it.
 */
#include <efi.h>
#include <efilib.h>

#define FARM_VAR_GUID							\
	{ 0x97ef3e03, 0x7329, 0x4a6a,					\
	  { 0xb9, 0xba, 0x6c, 0x1f, 0xdc, 0xc5, 0xf8, 0x23 } }
#define FDT_MAGIC	0xd00dfeed
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9
#define NAME_MAX	128		/* CHAR16s of fdtfile */
#define FILE_MAX	(4 << 20)

static EFI_GUID farm_guid = FARM_VAR_GUID;
static EFI_GUID fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID info_guid = EFI_FILE_INFO_ID;
static EFI_GUID fs_info_guid = EFI_FILE_SYSTEM_INFO_ID;
static unsigned tests, failures;

/* One case: "PASS: what" or "FAIL: what (why)". */
static void
report(int pass, const CHAR16 *what, const CHAR16 *why)
{
	tests++;
	if (pass) {
		Print(L"PASS: %s\r\n", what);
		return;
	}
	failures++;
	Print(L"FAIL: %s (%s)\r\n", what, why);
}

static UINT32
be32(const UINT8 *p)
{
	return (UINT32)p[0] << 24 | (UINT32)p[1] << 16 | (UINT32)p[2] << 8 | p[3];
}

/* 1 when the NUL-ended string at off of blob[len] is s. */
static int
str_at(const UINT8 *blob, UINT32 len, UINT32 off, const char *s)
{
	UINT32 i;

	for (i = 0; off + i < len; i++) {
		if (blob[off + i] != (UINT8)s[i])
			return 0;
		if (s[i] == '\0')
			return 1;
	}
	return 0;
}

/*
 * 1 when the tree has a node /chosen with a property "farm,job": a walk
 * of the structure block, each offset checked against the blob's size.
 */
static int
chosen_has(const UINT8 *fdt, UINT32 size, const char *prop)
{
	UINT32 off, end, strings, strings_size, tag, plen, nameoff;
	int depth = 0, in_chosen = 0;

	off = be32(fdt + 8);
	strings = be32(fdt + 12);
	strings_size = be32(fdt + 32);
	end = off + be32(fdt + 36);
	if (off > size || end > size || end < off || strings > size ||
	    strings_size > size - strings)
		return 0;
	while (off + 4 <= end) {
		tag = be32(fdt + off);
		off += 4;
		switch (tag) {
		case FDT_BEGIN_NODE:
			depth++;
			in_chosen = depth == 2 && str_at(fdt, end, off, "chosen");
			while (off < end && fdt[off] != '\0')
				off++;
			off = (off + 1 + 3) & ~3u;
			break;
		case FDT_END_NODE:
			if (depth == 2)
				in_chosen = 0;
			depth--;
			break;
		case FDT_PROP:
			if (off + 8 > end)
				return 0;
			plen = be32(fdt + off);
			nameoff = be32(fdt + off + 4);
			off += 8;
			if (in_chosen && nameoff < strings_size &&
			    str_at(fdt + strings, strings_size, nameoff, prop))
				return 1;
			if (plen > end - off)
				return 0;
			off = (off + plen + 3) & ~3u;
			break;
		case FDT_NOP:
			break;
		default:	/* FDT_END or garbage */
			return 0;
		}
	}
	return 0;
}

/* The information of type guid about f, in pool memory (caller frees),
 * or NULL. */
static void *
file_info(EFI_FILE_HANDLE f, EFI_GUID *guid)
{
	UINTN size = 0;
	void *info = NULL;
	EFI_STATUS st;

	st = uefi_call_wrapper(f->GetInfo, 4, f, guid, &size, NULL);
	if (st != EFI_BUFFER_TOO_SMALL || size == 0)
		return NULL;
	info = AllocatePool(size);
	if (info && uefi_call_wrapper(f->GetInfo, 4, f, guid, &size,
	    info) != EFI_SUCCESS) {
		FreePool(info);
		info = NULL;
	}
	return info;
}

/* 1 when the root directory lists exactly one entry, named name. */
static int
root_lists(EFI_FILE_HANDLE root, const CHAR16 *name)
{
	UINT8 buf[512];
	EFI_FILE_INFO *info = (EFI_FILE_INFO *)buf;
	UINTN size, entries = 0, small;
	int named = 0;

	if (uefi_call_wrapper(root->SetPosition, 2, root, 0) != EFI_SUCCESS)
		return 0;
	small = 8;	/* too small for any entry: the size needed comes back */
	if (uefi_call_wrapper(root->Read, 3, root, &small, buf) !=
	    EFI_BUFFER_TOO_SMALL || small <= 8 || small > sizeof(buf))
		return 0;
	for (;;) {
		size = sizeof(buf);
		if (uefi_call_wrapper(root->Read, 3, root, &size, buf) !=
		    EFI_SUCCESS)
			return 0;
		if (size == 0)
			break;
		entries++;
		named = StrCmp(info->FileName, name) == 0 &&
		    !(info->Attribute & EFI_FILE_DIRECTORY);
	}
	return entries == 1 && named;
}

/*
 * 1 when dev is the only handle with a SimpleFileSystem whose device path
 * starts with the same node (up to a vendor GUID) as dev's: a loader that
 * makes one such volume per job removed the earlier jobs' ones.
 */
static int
only_volume(EFI_HANDLE dev)
{
	EFI_DEVICE_PATH *own, *dp;
	EFI_HANDLE *h = NULL;
	UINTN n = 0, i, same = 0, len;

	if (uefi_call_wrapper(BS->HandleProtocol, 3, dev, &DevicePathProtocol,
	    (void **)&own) != EFI_SUCCESS ||
	    uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &fs_guid,
	    NULL, &n, &h) != EFI_SUCCESS)
		return 0;
	len = DevicePathNodeLength(own);
	if (len > 20)
		len = 20;	/* the node's header and a vendor GUID */
	for (i = 0; i < n; i++) {
		if (uefi_call_wrapper(BS->HandleProtocol, 3, h[i],
		    &DevicePathProtocol, (void **)&dp) == EFI_SUCCESS &&
		    (UINTN)DevicePathNodeLength(dp) >= len && CompareMem(dp, own, len) == 0)
			same++;
	}
	FreePool(h);
	return same == 1;
}

/* The "volume" checks: how farmboot's (or iPXE's) volume behaves. */
static void
volume_checks(EFI_LOADED_IMAGE *li, EFI_FILE_HANDLE root, CHAR16 *name,
    UINT64 size, const CHAR16 *app)
{
	EFI_FILE_HANDLE f = NULL;
	EFI_FILE_SYSTEM_INFO *fsi;
	FILEPATH_DEVICE_PATH *fp;
	CHAR16 upper[NAME_MAX + 2], want[NAME_MAX + 2];
	UINT64 pos = 1;
	UINT8 byte;
	UINTN n, i;
	int ok;

	report(root_lists(root, name), L"volume: the root lists the file alone",
	    L"listing differs");

	upper[0] = L'\\';
	for (i = 0; name[i] && i < NAME_MAX; i++)
		upper[i + 1] = name[i] >= 'a' && name[i] <= 'z' ?
		    name[i] - 'a' + 'A' : name[i];
	upper[i + 1] = 0;
	ok = uefi_call_wrapper(root->Open, 5, root, &f, upper,
	    EFI_FILE_MODE_READ, 0) == EFI_SUCCESS;
	if (ok)
		uefi_call_wrapper(f->Close, 1, f);
	report(ok, L"volume: the name opens in upper case after a backslash",
	    L"Open failed");

	ok = uefi_call_wrapper(root->Open, 5, root, &f, name,
	    EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) != EFI_SUCCESS &&
	    uefi_call_wrapper(root->Open, 5, root, &f, L"new.txt",
	    EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE,
	    0) != EFI_SUCCESS &&
	    uefi_call_wrapper(root->Open, 5, root, &f, L"nonexistent.dtb",
	    EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND;
	report(ok, L"volume: writing and creating are refused, a missing file"
	    L" is not found", L"an Open succeeded or gave the wrong status");

	f = NULL;
	ok = uefi_call_wrapper(root->Open, 5, root, &f, name,
	    EFI_FILE_MODE_READ, 0) == EFI_SUCCESS;
	if (ok) {
		n = 1;
		ok = uefi_call_wrapper(f->SetPosition, 2, f, ~(UINT64)0) ==
		    EFI_SUCCESS &&
		    uefi_call_wrapper(f->GetPosition, 2, f, &pos) == EFI_SUCCESS &&
		    pos == size &&
		    uefi_call_wrapper(f->Read, 3, f, &n, &byte) == EFI_SUCCESS &&
		    n == 0 &&
		    uefi_call_wrapper(f->SetPosition, 2, f, size - 1) ==
		    EFI_SUCCESS &&
		    (n = 1, uefi_call_wrapper(f->Read, 3, f, &n, &byte)) ==
		    EFI_SUCCESS && n == 1 &&
		    uefi_call_wrapper(f->Write, 3, f, &n, &byte) != EFI_SUCCESS;
		fsi = file_info(f, &fs_info_guid);
		ok = ok && fsi && fsi->ReadOnly;
		if (fsi)
			FreePool(fsi);
		uefi_call_wrapper(f->Close, 1, f);
	}
	report(ok, L"volume: positions, end of file, read-only file system",
	    L"a call gave the wrong answer");

	/* The image's own file path: "\<argv[0]>", the name it was given. */
	want[0] = L'\\';
	for (i = 0; app[i] && app[i] != ' ' && i < NAME_MAX; i++)
		want[i + 1] = app[i];
	want[i + 1] = 0;
	fp = (FILEPATH_DEVICE_PATH *)li->FilePath;
	ok = fp && DevicePathType(&fp->Header) == MEDIA_DEVICE_PATH &&
	    DevicePathSubType(&fp->Header) == MEDIA_FILEPATH_DP &&
	    StrCmp(fp->PathName, want) == 0;
	report(ok, L"volume: the image's FilePath is its name in the root",
	    L"another path");

	report(only_volume(li->DeviceHandle), L"volume: no other volume like it",
	    L"an earlier job's volume is still there");
}

/* 1 when the load options hold word. */
static int
has_option(EFI_LOADED_IMAGE *li, const CHAR16 *word)
{
	const CHAR16 *s = li->LoadOptions;
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16), wl = StrLen(word), i;

	if (s == NULL)
		return 0;
	for (i = 0; i + wl <= n; i++)
		if (CompareMem(s + i, word, wl * sizeof(CHAR16)) == 0)
			return 1;
	return 0;
}

EFI_STATUS
efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_FILE_IO_INTERFACE *vol = NULL;
	EFI_FILE_HANDLE root = NULL, file = NULL;
	EFI_FILE_INFO *info = NULL;
	CHAR16 name[NAME_MAX + 1];
	UINTN size = sizeof(name) - sizeof(CHAR16), n;
	UINT8 *fdt = NULL;
	UINT64 fsize = 0, got = 0;
	EFI_STATUS s;
	const CHAR16 *why = L"";
	int have_name, opened = 0, is_fdt = 0;

	InitializeLib(image, st);
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
	    (void **)&li);
	Print(L"foreign-dt: a program built without farm's library\r\n");

	s = uefi_call_wrapper(RT->GetVariable, 5, L"fdtfile", &farm_guid, NULL,
	    &size, name);
	have_name = s == EFI_SUCCESS && size >= sizeof(CHAR16);
	if (have_name) {
		name[size / sizeof(CHAR16)] = 0;
		Print(L"INFO: fdtfile is %s\r\n", name);
	}
	report(have_name, L"fdtfile is set", L"GetVariable failed");

	/* The file, through the volume on the program's own device. */
	if (!have_name)
		why = L"no fdtfile";
	else if (!li || !li->DeviceHandle)
		why = L"the program has no device";
	else if (uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
	    &fs_guid, (void **)&vol) != EFI_SUCCESS)
		why = L"no SimpleFileSystem on the program's device";
	else if (uefi_call_wrapper(vol->OpenVolume, 2, vol, &root) !=
	    EFI_SUCCESS)
		why = L"OpenVolume failed";
	else if (uefi_call_wrapper(root->Open, 5, root, &file, name,
	    EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		why = L"Open failed";
	else if (!(info = file_info(file, &info_guid)))
		why = L"GetInfo failed";
	else if ((fsize = info->FileSize) < 40 || fsize > FILE_MAX)
		why = L"a size no device tree has";
	else if (!(fdt = AllocatePool(fsize)))
		why = L"no memory";
	else {
		/* Read() may give less than asked: read until the end. */
		while (got < fsize) {
			n = fsize - got;
			if (uefi_call_wrapper(file->Read, 3, file, &n, fdt + got) !=
			    EFI_SUCCESS || n == 0)
				break;
			got += n;
		}
		opened = got == fsize;
		why = L"Read failed";
	}
	if (opened)
		Print(L"INFO: %s: %ld bytes\r\n", name, fsize);
	report(opened, L"farm.dtb opened", why);

	is_fdt = opened && be32(fdt) == FDT_MAGIC && be32(fdt + 4) <= fsize;
	report(is_fdt, L"FDT magic", opened ? L"not a flattened device tree" :
	    L"no file");
	report(is_fdt && chosen_has(fdt, (UINT32)fsize, "farm,job"),
	    L"/chosen has farm,job", is_fdt ? L"no such property" :
	    L"no device tree");

	if (opened && has_option(li, L"volume"))
		volume_checks(li, root, name, fsize, li->LoadOptions);

	if (failures)
		Print(L"SUMMARY: %d tests, %d unexpected failures\r\n", tests,
		    failures);
	else
		Print(L"SUMMARY: %d tests\r\n", tests);
	Print(L"EXIT: STATUS=%d\r\n", failures ? 3 : 1);
	if (li && has_option(li, L"return"))
		return failures ? EFI_ABORTED : EFI_SUCCESS;
	if (fdt)
		FreePool(fdt);
	if (info)
		FreePool(info);
	if (file)
		uefi_call_wrapper(file->Close, 1, file);
	if (root)
		uefi_call_wrapper(root->Close, 1, root);
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0,
	    NULL);
	return EFI_SUCCESS;
}
