/*
 * dtb.c - the device tree a job's machine gets. A machine may have a DTB
 * (an aarch64 board's, or one QEMU dumped); each job is served a copy of
 * it with /chosen saying which job runs ("farm,job"), where farmd is
 * ("farm,server") and, when the test has arguments, "bootargs". Nothing
 * else in the tree changes: the console the firmware and the test use
 * (/chosen/stdout-path), memory, devices and memory reservations are the
 * machine's own.
 *
 * libfdt (Debian's libfdt-dev) does the work. Its read functions trust
 * the blob's header and offsets, so every blob is checked whole first
 * (dtb_check): the header against the bytes there really are, then
 * fdt_check_full over every block, tag and property name. libfdt also
 * refuses a blob that is not 8-byte aligned (FDT_ERR_ALIGNMENT), which a
 * buffer from elsewhere need not be, so such a blob is copied first.
 */
#include "dtb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "util.h"

/* Free space a patched blob gets beyond what the /chosen edits need, so
 * a caller can add a few properties more without growing it. */
#define DTB_SLACK 1024

/* Structure block items are padded to 4 bytes (FDT_TAGSIZE). */
#define DTB_TAGALIGN(n) (((n) + FDT_TAGSIZE - 1) & ~(size_t)(FDT_TAGSIZE - 1))

/* What a libfdt error means for a blob that was to be read. */
static const struct {
	int err;
	const char *text;
} dtb_errors[] = {
	{FDT_ERR_BADMAGIC, "not a device tree blob"},
	{FDT_ERR_BADVERSION, "a device tree version libfdt cannot read"},
	{FDT_ERR_TRUNCATED, "truncated device tree blob"},
	{FDT_ERR_NOSPACE, "truncated device tree blob"},
	{FDT_ERR_ALIGNMENT, "misaligned device tree blob"},
};

/* One property dtb_patch sets; value NULL: left alone. */
struct dtb_prop {
	const char *name;
	const char *value;
};

/* Sets *cause to "WHAT: <meaning> (FDT_ERR_...)" for libfdt error err
 * (negative, as libfdt returns it). */
static void
dtb_cause(const char *what, int err, char **cause)
{
	const char *text = "corrupt device tree blob";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dtb_errors); i++)
		if (-err == dtb_errors[i].err) {
			text = dtb_errors[i].text;
			break;
		}
	/* Debian's libfdt 1.6.1 has no name for FDT_ERR_ALIGNMENT. */
	if (fdt_strerror(err)[0] == '<')
		*cause = xasprintf("%s: %s (libfdt error %d)", what, text, -err);
	else
		*cause = xasprintf("%s: %s (%s)", what, text, fdt_strerror(err));
}

/* The big-endian 32-bit header field at off of a blob that may not be
 * aligned: libfdt's fdt_magic() and friends reach it through a struct
 * pointer, which is undefined behaviour on such a blob. */
static uint32_t
dtb_header_field(const void *blob, size_t off)
{
	const unsigned char *p = (const unsigned char *)blob + off;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The blob itself when it is 8-byte aligned, else an aligned copy of its
 * len bytes in *copy (caller frees *copy, which is NULL when unused). */
static const void *
dtb_aligned(const void *blob, size_t len, void **copy)
{
	*copy = NULL;
	if (((uintptr_t)blob & 7) == 0)
		return blob;
	*copy = xmalloc(len);
	memcpy(*copy, blob, len);
	return *copy;
}

int
dtb_check(const void *blob, size_t len, const char *what, char **cause)
{
	const void *fdt;
	void *copy;
	uint32_t total;
	int err;

	/* The header is read here first: for a clearer reason than libfdt
	 * gives, and to copy no more than the tree when it is misaligned. */
	if (len >= sizeof(uint32_t) &&
	    dtb_header_field(blob, offsetof(struct fdt_header, magic)) != FDT_MAGIC) {
		dtb_cause(what, -FDT_ERR_BADMAGIC, cause);
		return -1;
	}
	if (len < sizeof(struct fdt_header)) {
		*cause = xasprintf("%s: truncated device tree blob: %zu bytes, "
		    "less than its header (FDT_ERR_TRUNCATED)", what, len);
		return -1;
	}
	total = dtb_header_field(blob, offsetof(struct fdt_header, totalsize));
	if (total > len) {
		*cause = xasprintf("%s: truncated device tree blob: its header says "
		    "%u bytes, %zu are there (FDT_ERR_TRUNCATED)", what, total, len);
		return -1;
	}
	if (total > DTB_MAX) {
		*cause = xasprintf("%s: %u bytes is too big for a device tree blob "
		    "(at most %u)", what, total, DTB_MAX);
		return -1;
	}
	fdt = dtb_aligned(blob, total, &copy);
	err = fdt_check_full(fdt, total);
	free(copy);
	if (err != 0) {
		dtb_cause(what, err, cause);
		return -1;
	}
	return 0;
}

/* Reads at most DTB_MAX bytes of the regular file path into a new buffer
 * (caller frees). NULL with *cause naming the path. */
static void *
dtb_read(const char *path, size_t *len, char **cause)
{
	struct stat st;
	unsigned char *data = NULL;
	size_t size, got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > (off_t)DTB_MAX) {
		*cause = xasprintf("%s: %lld bytes is too big for a device tree "
		    "blob (at most %u)", path, (long long)st.st_size, DTB_MAX);
		goto fail;
	}
	/* One byte more than the file has, to see it grow while being read. */
	size = (size_t)st.st_size + 1;
	data = xmalloc(size);
	while (got < size) {
		r = read(fd, data + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got == size) {
		*cause = xasprintf("%s: changed while being read", path);
		goto fail;
	}
	close(fd);
	*len = got;
	return data;

fail:
	free(data);
	close(fd);
	return NULL;
}

void *
dtb_load(const char *path, size_t *len, char **cause)
{
	void *blob;
	size_t got;

	if ((blob = dtb_read(path, &got, cause)) == NULL)
		return NULL;
	if (dtb_check(blob, got, path, cause) < 0) {
		free(blob);
		return NULL;
	}
	*len = fdt_totalsize(blob);
	return blob;
}

/* Bytes the /chosen edits can take at most: the node and each property
 * set, with its name never shared in the strings block. */
static size_t
dtb_room(const struct dtb_prop *p, size_t n)
{
	size_t i, room = 2 * FDT_TAGSIZE + DTB_TAGALIGN(sizeof("chosen"));

	for (i = 0; i < n; i++)
		if (p[i].value)
			room += sizeof(struct fdt_property) +
			    DTB_TAGALIGN(strlen(p[i].value) + 1) + strlen(p[i].name) + 1;
	return room;
}

/* Finds or adds /chosen in the open tree fdt and sets the properties;
 * 0 or a libfdt error (-FDT_ERR_NOSPACE when fdt is too small). */
static int
dtb_set_chosen(void *fdt, const struct dtb_prop *p, size_t n)
{
	size_t i;
	int node, err;

	node = fdt_path_offset(fdt, "/chosen");
	if (node == -FDT_ERR_NOTFOUND)
		node = fdt_add_subnode(fdt, 0, "chosen");
	if (node < 0)
		return node;
	for (i = 0; i < n; i++) {
		if (p[i].value == NULL)
			continue;
		err = fdt_setprop(fdt, node, p[i].name, p[i].value,
		    (int)strlen(p[i].value) + 1);
		if (err < 0)
			return err;
	}
	return 0;
}

void *
dtb_patch(const void *in, size_t inlen, const struct dtb_chosen *c,
    size_t *outlen, char **cause)
{
	const struct dtb_prop props[] = {
		{"farm,job", c->job},
		{"farm,server", c->server},
		{"bootargs", c->bootargs},
	};
	const void *src;
	void *copy, *out = NULL;
	size_t i, size;
	int err;

	if (dtb_check(in, inlen, "DTB", cause) < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(props); i++) {
		if (props[i].value && strlen(props[i].value) >= DTB_MAX) {
			*cause = xasprintf("DTB: /chosen/%s: %zu bytes is too big",
			    props[i].name, strlen(props[i].value));
			return NULL;
		}
	}
	src = dtb_aligned(in,
	    dtb_header_field(in, offsetof(struct fdt_header, totalsize)), &copy);
	size = fdt_totalsize(src) + dtb_room(props, ARRAY_SIZE(props)) + DTB_SLACK;

	/* The room is enough unless the input's blocks are laid out so that
	 * fdt_open_into needs more than its totalsize; then grow. The free
	 * space is zeroed: it is served when the caller does not pack. */
	err = -FDT_ERR_NOSPACE;
	while (size <= DTB_MAX) {
		out = xcalloc(1, size);
		err = fdt_open_into(src, out, (int)size);
		if (err == 0)
			err = dtb_set_chosen(out, props, ARRAY_SIZE(props));
		if (err != -FDT_ERR_NOSPACE || size == DTB_MAX)
			break;
		free(out);
		out = NULL;
		size = size < DTB_MAX / 2 ? 2 * size : DTB_MAX;
	}
	if (err == -FDT_ERR_NOSPACE) {
		*cause = xasprintf("DTB: with /chosen set it would be more than "
		    "%u bytes", DTB_MAX);
		goto fail;
	}
	if (err < 0) {
		dtb_cause("DTB", err, cause);
		goto fail;
	}
	free(copy);
	*outlen = fdt_totalsize(out);
	return out;

fail:
	free(out);
	free(copy);
	return NULL;
}

int
dtb_pack(void *blob, size_t *len, char **cause)
{
	int err;

	if ((err = fdt_pack(blob)) < 0) {
		dtb_cause("DTB", err, cause);
		return -1;
	}
	*len = fdt_totalsize(blob);
	return 0;
}
