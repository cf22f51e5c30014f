/*
 * farmboot_fs.c - a read-only volume in memory with one file on it, for
 * the job's DTB (DESIGN.md, boot contract steps 3 and 4).
 *
 * kvm-unit-tests' EFI programs, and others not built with farm's guest
 * library, find their device tree by reading the `fdtfile` variable and
 * opening the file it names through EFI_SIMPLE_FILE_SYSTEM_PROTOCOL on
 * their own LoadedImage->DeviceHandle. Under iPXE that handle is iPXE's,
 * whose file system shows the images it fetched. farmboot loads the app
 * from a buffer instead, so it makes such a device itself: a new handle
 * with
 *
 *	EFI_DEVICE_PATH_PROTOCOL         VenHw(<FB_FS_VENDOR_GUID>, <id>)/End
 *	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL  OpenVolume() -> the root directory
 *
 * and gives LoadImage() that path plus a file node "\<app name>". The
 * root holds the one file. The protocols follow the UEFI specification's
 * Simple File System and File Protocol sections: Open() takes the name in
 * any case, with or without a leading '\', "." and ".."; Read() gives
 * bytes of the file or, on the root, one EFI_FILE_INFO per call and then
 * a zero-length read; GetInfo() knows EFI_FILE_INFO, EFI_FILE_SYSTEM_INFO
 * and the volume label. Opening for writing, Write(), SetInfo() and
 * Flush() give EFI_WRITE_PROTECTED; Delete() closes the handle and gives
 * EFI_WARN_DELETE_FAILURE, as the specification says; the revision 2
 * functions (OpenEx...) are not offered (Revision is 1) and give
 * EFI_UNSUPPORTED if called anyway.
 *
 * Every open file handle is pool memory on the volume's list, freed by
 * Close() or, for those an app never closed, by fb_fs_close().
 */
#include "farmboot_fs.h"
#include "uefi.h"

#define FS_MAGIC	0x66626673	/* "fbfs": a volume of ours */
#define FILE_MAGIC	0x66626669	/* "fbfi": a file handle of ours */
#define LABEL		"farmboot"
#define BLOCK_SIZE	512
#define VENDOR_LEN	(4 + 16 + 8)	/* node header, GUID, the id */
#define END_LEN		4
#define INFO_HEAD	80		/* EFI_FILE_INFO up to FileName */
#define FS_INFO_HEAD	36		/* EFI_FILE_SYSTEM_INFO up to VolumeLabel */

/* The vendor GUID of the volume's device-path node. */
#define FB_FS_VENDOR_GUID						\
	{ 0xe8dd0516, 0x1208, 0x426d,					\
	  { 0xb7, 0x54, 0x63, 0x86, 0x26, 0xd2, 0xaf, 0x17 } }

_Static_assert(offsetof(EFI_FILE_INFO, FileName) == INFO_HEAD,
    "EFI_FILE_INFO's fixed part is 80 bytes");
_Static_assert(offsetof(EFI_FILE_SYSTEM_INFO, VolumeLabel) == FS_INFO_HEAD,
    "EFI_FILE_SYSTEM_INFO's fixed part is 36 bytes");

static EFI_GUID sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
static EFI_GUID vendor_guid = FB_FS_VENDOR_GUID;
static EFI_GUID file_info_guid = EFI_FILE_INFO_ID;
static EFI_GUID fs_info_guid = EFI_FILE_SYSTEM_INFO_ID;
static EFI_GUID label_guid = EFI_FILE_SYSTEM_VOLUME_LABEL_ID;

struct fb_fs_file;

struct fb_fs {
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL sfs;	/* first: OpenVolume's This */
	UINT32 magic;
	EFI_HANDLE handle;
	EFI_DEVICE_PATH *path;		/* the vendor node and the end node */
	CHAR16 name[FB_FS_NAME_MAX + 1];
	size_t name_len;
	const UINT8 *data;
	UINT64 size;
	EFI_TIME time;			/* of both entries: when it was made */
	struct fb_fs_file *files;	/* the open handles */
};

/* One open handle: the root directory or the file. */
struct fb_fs_file {
	EFI_FILE_PROTOCOL proto;	/* first: This of every call */
	UINT32 magic;
	struct fb_fs *fs;
	bool dir;
	UINT64 pos;			/* a byte, or the directory entry */
	struct fb_fs_file *next;
};

static EFI_FILE_PROTOCOL file_proto;

/* This as one of our handles, or NULL. */
static struct fb_fs_file *file_of(EFI_FILE_PROTOCOL *This)
{
	struct fb_fs_file *f = (struct fb_fs_file *)This;

	return f && f->magic == FILE_MAGIC ? f : NULL;
}

/* A new handle on fs, on its list; NULL when there is no memory. */
static struct fb_fs_file *file_new(struct fb_fs *fs, bool dir)
{
	struct fb_fs_file *f = pool_alloc(sizeof(*f));

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->proto = file_proto;
	f->magic = FILE_MAGIC;
	f->fs = fs;
	f->dir = dir;
	f->next = fs->files;
	fs->files = f;
	return f;
}

/* Takes f off its volume's list and frees it. */
static void file_free(struct fb_fs_file *f)
{
	struct fb_fs_file **p;

	for (p = &f->fs->files; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	f->magic = 0;
	pool_free(f);
}

static CHAR16 fold(CHAR16 c)
{
	return c >= 'A' && c <= 'Z' ? (CHAR16)(c - 'A' + 'a') : c;
}

/* True when the n characters at c are the file's name, in any case. */
static bool name_is(const struct fb_fs *fs, const CHAR16 *c, size_t n)
{
	if (n != fs->name_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (fold(c[i]) != fold(fs->name[i]))
			return false;
	}
	return true;
}

/*
 * Where path leads from a handle (dir: the root, else the file): a
 * leading '\' starts at the root, '\' separates names, "." stays, ".."
 * goes up to the root. 0 with *dir set, or -1 when nothing is there.
 */
static int resolve(const struct fb_fs *fs, bool from_dir, const CHAR16 *path,
    bool *dir)
{
	bool at_dir = path[0] == '\\' ? true : from_dir;
	const CHAR16 *p = path, *c;
	size_t n;

	for (;;) {
		while (*p == '\\')
			p++;
		if (!*p)
			break;
		for (c = p; *p && *p != '\\'; p++)
			;
		n = (size_t)(p - c);
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (at_dir)
				return -1;	/* the root has no parent */
			at_dir = true;
			continue;
		}
		if (!at_dir || !name_is(fs, c, n))
			return -1;
		at_dir = false;
	}
	*dir = at_dir;
	return 0;
}

/*
 * The EFI_FILE_INFO of the root (dir) or of the file into buf[*size];
 * EFI_BUFFER_TOO_SMALL with *size the size it needs. Built with memcpy:
 * a caller's buffer need not be aligned.
 */
static EFI_STATUS put_file_info(const struct fb_fs *fs, bool dir, UINTN *size,
    void *buf)
{
	size_t nlen = dir ? 0 : fs->name_len;
	UINTN need = INFO_HEAD + (nlen + 1) * sizeof(CHAR16);
	EFI_FILE_INFO head;
	CHAR16 nul = 0;

	if (*size < need) {
		*size = need;
		return EFI_BUFFER_TOO_SMALL;
	}
	if (!buf)
		return EFI_INVALID_PARAMETER;
	memset(&head, 0, sizeof(head));
	head.Size = need;
	head.FileSize = dir ? 0 : fs->size;
	head.PhysicalSize = dir ? 0 :
	    (fs->size + BLOCK_SIZE - 1) / BLOCK_SIZE * BLOCK_SIZE;
	head.CreateTime = fs->time;
	head.LastAccessTime = fs->time;
	head.ModificationTime = fs->time;
	head.Attribute = EFI_FILE_READ_ONLY | (dir ? EFI_FILE_DIRECTORY : 0);
	memcpy(buf, &head, INFO_HEAD);
	memcpy((UINT8 *)buf + INFO_HEAD, fs->name, nlen * sizeof(CHAR16));
	memcpy((UINT8 *)buf + INFO_HEAD + nlen * sizeof(CHAR16), &nul,
	    sizeof(nul));
	*size = need;
	return EFI_SUCCESS;
}

/* EFI_FILE_SYSTEM_INFO (label: just the label) into buf[*size]. */
static EFI_STATUS put_fs_info(const struct fb_fs *fs, bool label_only,
    UINTN *size, void *buf)
{
	static const char label[] = LABEL;
	size_t head = label_only ? 0 : FS_INFO_HEAD;
	UINTN need = head + sizeof(label) * sizeof(CHAR16);
	EFI_FILE_SYSTEM_INFO info;
	CHAR16 w[sizeof(label)];

	if (*size < need) {
		*size = need;
		return EFI_BUFFER_TOO_SMALL;
	}
	if (!buf)
		return EFI_INVALID_PARAMETER;
	for (size_t i = 0; i < sizeof(label); i++)
		w[i] = (CHAR16)label[i];
	if (!label_only) {
		memset(&info, 0, sizeof(info));
		info.Size = need;
		info.ReadOnly = TRUE;
		info.VolumeSize = fs->size;
		info.FreeSpace = 0;
		info.BlockSize = BLOCK_SIZE;
		memcpy(buf, &info, FS_INFO_HEAD);
	}
	memcpy((UINT8 *)buf + head, w, sizeof(w));
	*size = need;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI f_open(EFI_FILE_PROTOCOL *This,
    EFI_FILE_PROTOCOL **NewHandle, CHAR16 *FileName, UINT64 OpenMode,
    UINT64 Attributes)
{
	const UINT64 rw = EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE;
	struct fb_fs_file *f = file_of(This), *nf;
	bool dir;

	(void)Attributes;
	if (!f || !NewHandle || !FileName)
		return EFI_INVALID_PARAMETER;
	if (OpenMode != EFI_FILE_MODE_READ && OpenMode != rw &&
	    OpenMode != (rw | EFI_FILE_MODE_CREATE))
		return EFI_INVALID_PARAMETER;
	if (OpenMode & EFI_FILE_MODE_WRITE)
		return EFI_WRITE_PROTECTED;
	if (resolve(f->fs, f->dir, FileName, &dir) < 0)
		return EFI_NOT_FOUND;
	nf = file_new(f->fs, dir);
	if (!nf)
		return EFI_OUT_OF_RESOURCES;
	*NewHandle = &nf->proto;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI f_close(EFI_FILE_PROTOCOL *This)
{
	struct fb_fs_file *f = file_of(This);

	if (!f)
		return EFI_INVALID_PARAMETER;
	file_free(f);
	return EFI_SUCCESS;
}

/* A read-only volume deletes nothing; the handle is closed all the same. */
static EFI_STATUS EFIAPI f_delete(EFI_FILE_PROTOCOL *This)
{
	struct fb_fs_file *f = file_of(This);

	if (!f)
		return EFI_INVALID_PARAMETER;
	file_free(f);
	return EFI_WARN_DELETE_FAILURE;
}

static EFI_STATUS EFIAPI f_read(EFI_FILE_PROTOCOL *This, UINTN *BufferSize,
    VOID *Buffer)
{
	struct fb_fs_file *f = file_of(This);
	EFI_STATUS st;
	UINT64 n;

	if (!f || !BufferSize)
		return EFI_INVALID_PARAMETER;
	if (f->dir) {
		if (f->pos > 0) {
			*BufferSize = 0;	/* no more entries */
			return EFI_SUCCESS;
		}
		st = put_file_info(f->fs, false, BufferSize, Buffer);
		if (st == EFI_SUCCESS)
			f->pos = 1;
		return st;
	}
	if (f->pos > f->fs->size)
		return EFI_DEVICE_ERROR;
	n = f->fs->size - f->pos;
	if (n > *BufferSize)
		n = *BufferSize;
	if (n && !Buffer)
		return EFI_INVALID_PARAMETER;
	memcpy(Buffer, f->fs->data + f->pos, (size_t)n);
	f->pos += n;
	*BufferSize = (UINTN)n;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI f_write(EFI_FILE_PROTOCOL *This, UINTN *BufferSize,
    VOID *Buffer)
{
	struct fb_fs_file *f = file_of(This);

	(void)Buffer;
	if (!f || !BufferSize)
		return EFI_INVALID_PARAMETER;
	*BufferSize = 0;
	return f->dir ? EFI_UNSUPPORTED : EFI_WRITE_PROTECTED;
}

static EFI_STATUS EFIAPI f_get_position(EFI_FILE_PROTOCOL *This,
    UINT64 *Position)
{
	struct fb_fs_file *f = file_of(This);

	if (!f || !Position)
		return EFI_INVALID_PARAMETER;
	if (f->dir)
		return EFI_UNSUPPORTED;
	*Position = f->pos;
	return EFI_SUCCESS;
}

/* Any position on the file (all ones: its end); on the root only 0, to
 * read the entries again. */
static EFI_STATUS EFIAPI f_set_position(EFI_FILE_PROTOCOL *This,
    UINT64 Position)
{
	struct fb_fs_file *f = file_of(This);

	if (!f)
		return EFI_INVALID_PARAMETER;
	if (f->dir) {
		if (Position != 0)
			return EFI_UNSUPPORTED;
		f->pos = 0;
		return EFI_SUCCESS;
	}
	f->pos = Position == ~(UINT64)0 ? f->fs->size : Position;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI f_get_info(EFI_FILE_PROTOCOL *This,
    EFI_GUID *InformationType, UINTN *BufferSize, VOID *Buffer)
{
	struct fb_fs_file *f = file_of(This);

	if (!f || !InformationType || !BufferSize)
		return EFI_INVALID_PARAMETER;
	if (memcmp(InformationType, &file_info_guid, sizeof(EFI_GUID)) == 0)
		return put_file_info(f->fs, f->dir, BufferSize, Buffer);
	if (memcmp(InformationType, &fs_info_guid, sizeof(EFI_GUID)) == 0)
		return put_fs_info(f->fs, false, BufferSize, Buffer);
	if (memcmp(InformationType, &label_guid, sizeof(EFI_GUID)) == 0)
		return put_fs_info(f->fs, true, BufferSize, Buffer);
	return EFI_UNSUPPORTED;
}

static EFI_STATUS EFIAPI f_set_info(EFI_FILE_PROTOCOL *This,
    EFI_GUID *InformationType, UINTN BufferSize, VOID *Buffer)
{
	(void)InformationType, (void)BufferSize, (void)Buffer;
	return file_of(This) ? EFI_WRITE_PROTECTED : EFI_INVALID_PARAMETER;
}

static EFI_STATUS EFIAPI f_flush(EFI_FILE_PROTOCOL *This)
{
	return file_of(This) ? EFI_WRITE_PROTECTED : EFI_INVALID_PARAMETER;
}

static EFI_STATUS EFIAPI f_open_ex(EFI_FILE_PROTOCOL *This,
    EFI_FILE_PROTOCOL **NewHandle, CHAR16 *FileName, UINT64 OpenMode,
    UINT64 Attributes, EFI_FILE_IO_TOKEN *Token)
{
	(void)This, (void)NewHandle, (void)FileName, (void)OpenMode;
	(void)Attributes, (void)Token;
	return EFI_UNSUPPORTED;
}

/* ReadEx, WriteEx and FlushEx have the same type. */
static EFI_STATUS EFIAPI f_io_ex(EFI_FILE_PROTOCOL *This,
    EFI_FILE_IO_TOKEN *Token)
{
	(void)This, (void)Token;
	return EFI_UNSUPPORTED;
}

static EFI_STATUS EFIAPI f_flush_ex(EFI_FILE_PROTOCOL *This,
    EFI_FILE_IO_TOKEN *Token)
{
	(void)This, (void)Token;
	return EFI_UNSUPPORTED;
}

static EFI_FILE_PROTOCOL file_proto = {
	.Revision = EFI_FILE_PROTOCOL_REVISION,
	.Open = f_open,
	.Close = f_close,
	.Delete = f_delete,
	.Read = f_read,
	.Write = f_write,
	.GetPosition = f_get_position,
	.SetPosition = f_set_position,
	.GetInfo = f_get_info,
	.SetInfo = f_set_info,
	.Flush = f_flush,
	.OpenEx = f_open_ex,
	.ReadEx = f_io_ex,
	.WriteEx = f_io_ex,
	.FlushEx = f_flush_ex,
};

static EFI_STATUS EFIAPI fs_open_volume(EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *This,
    EFI_FILE_PROTOCOL **Root)
{
	struct fb_fs *fs = (struct fb_fs *)This;
	struct fb_fs_file *f;

	if (!fs || fs->magic != FS_MAGIC || !Root)
		return EFI_INVALID_PARAMETER;
	f = file_new(fs, true);
	if (!f)
		return EFI_OUT_OF_RESOURCES;
	*Root = &f->proto;
	return EFI_SUCCESS;
}

/* Writes a device-path node header at p. */
static void node_head(UINT8 *p, UINT8 type, UINT8 subtype, size_t len)
{
	p[0] = type;
	p[1] = subtype;
	p[2] = (UINT8)(len & 0xff);
	p[3] = (UINT8)(len >> 8);
}

/* True for a name fb_fs_open() takes. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > FB_FS_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '/')
			return false;
	}
	return true;
}

EFI_STATUS fb_fs_open(const char *name, const void *data, size_t len,
    UINT64 id, struct fb_fs **out)
{
	struct fb_fs *fs;
	UINT8 *p;
	EFI_STATUS st;

	if (!name_ok(name) || (!data && len))
		return EFI_INVALID_PARAMETER;
	fs = pool_alloc(sizeof(*fs));
	if (!fs)
		return EFI_OUT_OF_RESOURCES;
	memset(fs, 0, sizeof(*fs));
	fs->path = pool_alloc(VENDOR_LEN + END_LEN);
	if (!fs->path) {
		pool_free(fs);
		return EFI_OUT_OF_RESOURCES;
	}
	p = (UINT8 *)fs->path;
	node_head(p, HARDWARE_DEVICE_PATH, HW_VENDOR_DP, VENDOR_LEN);
	memcpy(p + 4, &vendor_guid, sizeof(vendor_guid));
	for (int i = 0; i < 8; i++)
		p[20 + i] = (UINT8)(id >> (8 * i));
	node_head(p + VENDOR_LEN, END_DEVICE_PATH_TYPE,
	    END_ENTIRE_DEVICE_PATH_SUBTYPE, END_LEN);

	fs->sfs.Revision = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_REVISION;
	fs->sfs.OpenVolume = fs_open_volume;
	fs->magic = FS_MAGIC;
	fs->name_len = strlen(name);
	for (size_t i = 0; i <= fs->name_len; i++)
		fs->name[i] = (CHAR16)name[i];
	fs->data = data;
	fs->size = len;
	/* The time is only for the entries' dates: a failure leaves zeroes. */
	if (efi_rs->GetTime(&fs->time, NULL) != EFI_SUCCESS)
		memset(&fs->time, 0, sizeof(fs->time));

	st = efi_bs->InstallMultipleProtocolInterfaces(&fs->handle, &dp_guid,
	    fs->path, &sfs_guid, &fs->sfs, NULL);
	if (st != EFI_SUCCESS) {
		pool_free(fs->path);
		pool_free(fs);
		return st;
	}
	*out = fs;
	return EFI_SUCCESS;
}

EFI_DEVICE_PATH *fb_fs_image_path(const struct fb_fs *fs, const char *name)
{
	size_t n = strlen(name);
	size_t flen = 4 + (n + 2) * sizeof(CHAR16);	/* '\', name, NUL */
	UINT8 *p, *f;
	CHAR16 c;

	if (flen > 0xffff)
		return NULL;
	p = pool_alloc(VENDOR_LEN + flen + END_LEN);
	if (!p)
		return NULL;
	memcpy(p, fs->path, VENDOR_LEN);
	f = p + VENDOR_LEN;
	node_head(f, MEDIA_DEVICE_PATH, MEDIA_FILEPATH_DP, flen);
	for (size_t i = 0; i <= n + 1; i++) {
		c = i == 0 ? '\\' : i <= n ? (CHAR16)(unsigned char)name[i - 1] : 0;
		memcpy(f + 4 + i * sizeof(CHAR16), &c, sizeof(c));
	}
	node_head(f + flen, END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE,
	    END_LEN);
	return (EFI_DEVICE_PATH *)p;
}

EFI_HANDLE fb_fs_handle(const struct fb_fs *fs)
{
	return fs->handle;
}

EFI_STATUS fb_fs_close(struct fb_fs *fs)
{
	EFI_STATUS st;

	if (!fs)
		return EFI_SUCCESS;
	st = efi_bs->UninstallMultipleProtocolInterfaces(fs->handle, &dp_guid,
	    fs->path, &sfs_guid, &fs->sfs, NULL);
	if (st != EFI_SUCCESS)
		return st;
	while (fs->files)
		file_free(fs->files);
	fs->magic = 0;
	pool_free(fs->path);
	pool_free(fs);
	return EFI_SUCCESS;
}
