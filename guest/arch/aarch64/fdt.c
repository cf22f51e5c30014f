/*
 * fdt.c - a small read-only walker of flattened device trees (the DTB
 * format of the Devicetree Specification, version 17): enough to find a
 * node by path or alias and read its properties and address.
 *
 * The tree comes from the firmware (or, later, from the farm), so every
 * read is checked against the blob's own sizes: a broken tree gives "not
 * found", never a fault. Offsets only grow while walking, so every walk
 * ends. Nothing here calls the firmware: it is a pure function of the
 * bytes.
 */
#include "fdt.h"

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9

#define FDT_HEADER_SIZE	40

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A field of the header: the i-th 32-bit word. */
static uint32_t header(const uint8_t *blob, int i)
{
	return be32(blob + 4 * i);
}

int fdt_init(struct fdt *fdt, const void *p)
{
	const uint8_t *blob = p;
	uint32_t total;

	if (!blob || header(blob, 0) != FDT_MAGIC)
		return -1;
	total = header(blob, 1);
	fdt->blob = blob;
	fdt->off_struct = header(blob, 2);
	fdt->off_strings = header(blob, 3);
	fdt->size_strings = header(blob, 8);
	fdt->size_struct = header(blob, 9);
	/* Version 16 has no size_dt_struct: then up to the strings block. */
	if (header(blob, 5) < 16 || header(blob, 6) > 17 || total < FDT_HEADER_SIZE)
		return -1;
	if (header(blob, 5) < 17)
		fdt->size_struct = fdt->off_strings > fdt->off_struct ?
		    fdt->off_strings - fdt->off_struct : 0;
	if (fdt->off_struct > total || fdt->size_struct > total - fdt->off_struct ||
	    fdt->off_strings > total || fdt->size_strings > total - fdt->off_strings ||
	    fdt->off_struct % 4 != 0)
		return -1;
	return 0;
}

/*
 * The token at off in the structure block: its tag in *tag and the offset
 * of the token after it; 0 when the tree is broken there (no token can
 * follow at 0).
 */
static uint32_t fdt_next(const struct fdt *fdt, uint32_t off, uint32_t *tag)
{
	const uint8_t *s = fdt->blob + fdt->off_struct;
	uint32_t size = fdt->size_struct, len, end;

	if (off % 4 != 0 || off > size || size - off < 4)
		return 0;
	*tag = be32(s + off);
	switch (*tag) {
	case FDT_BEGIN_NODE:
		for (end = off + 4; end < size && s[end] != '\0'; end++)
			;
		if (end >= size)
			return 0;
		end = ALIGN_UP(end + 1, 4u);
		break;
	case FDT_PROP:
		if (size - off < 12)
			return 0;
		len = be32(s + off + 4);
		if (len > size - off - 12)
			return 0;
		end = ALIGN_UP(off + 12 + len, 4u);
		break;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		end = off + 4;
		break;
	default:
		return 0;
	}
	return end <= size ? end : 0;
}

/* The name of the node whose FDT_BEGIN_NODE is at off (checked by fdt_next). */
static const char *node_name(const struct fdt *fdt, uint32_t off)
{
	return (const char *)fdt->blob + fdt->off_struct + off + 4;
}

/* The first c in the n bytes at p, or NULL (the library has no memchr). */
static const char *find_byte(const char *p, char c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == c)
			return p + i;
	}
	return NULL;
}

/* Whether a node name matches a path component of n bytes. */
static bool name_matches(const char *name, const char *comp, size_t n)
{
	if (strncmp(name, comp, n) != 0 || strnlen(name, n) != n)
		return false;
	if (name[n] == '\0')
		return true;
	return name[n] == '@' && !find_byte(comp, '@', n);
}

/* The root node's offset, or -1. */
static long fdt_root(const struct fdt *fdt)
{
	uint32_t off = 0, next, tag;

	for (;;) {
		next = fdt_next(fdt, off, &tag);
		if (next == 0)
			return -1;
		if (tag == FDT_BEGIN_NODE)
			return off;
		if (tag != FDT_NOP)
			return -1;
		off = next;
	}
}

/* The child of the node at parent named comp (n bytes), or -1. */
static long fdt_child(const struct fdt *fdt, uint32_t parent, const char *comp,
    size_t n)
{
	uint32_t off, tag;
	int depth = 0;

	off = fdt_next(fdt, parent, &tag);
	while (off != 0) {
		uint32_t next = fdt_next(fdt, off, &tag);

		if (next == 0 || tag == FDT_END)
			return -1;
		if (tag == FDT_BEGIN_NODE) {
			if (depth == 0 && name_matches(node_name(fdt, off), comp, n))
				return off;
			depth++;
		} else if (tag == FDT_END_NODE) {
			if (depth == 0)
				return -1;
			depth--;
		}
		off = next;
	}
	return -1;
}

const void *fdt_prop(const struct fdt *fdt, uint32_t node, const char *name,
    uint32_t *len)
{
	const uint8_t *s = fdt->blob + fdt->off_struct;
	const char *strings = (const char *)fdt->blob + fdt->off_strings;
	uint32_t off, next, tag, nameoff;

	/* Properties come before the subnodes. */
	off = fdt_next(fdt, node, &tag);
	while (off != 0 && (next = fdt_next(fdt, off, &tag)) != 0) {
		if (tag == FDT_PROP) {
			nameoff = be32(s + off + 8);
			if (nameoff < fdt->size_strings &&
			    strnlen(strings + nameoff, fdt->size_strings - nameoff) <
			    fdt->size_strings - nameoff &&
			    strcmp(strings + nameoff, name) == 0) {
				if (len)
					*len = be32(s + off + 4);
				return s + off + 12;
			}
		} else if (tag != FDT_NOP) {
			break;
		}
		off = next;
	}
	return NULL;
}

const char *fdt_prop_string(const struct fdt *fdt, uint32_t node,
    const char *name)
{
	uint32_t len;
	const char *v = fdt_prop(fdt, node, name, &len);

	if (!v || len == 0 || strnlen(v, len) == len)
		return NULL;
	return v;
}

bool fdt_prop_has_string(const struct fdt *fdt, uint32_t node,
    const char *name, const char *s)
{
	uint32_t len, i = 0;
	const char *v = fdt_prop(fdt, node, name, &len);

	while (v && i < len) {
		size_t n = strnlen(v + i, len - i);

		if (n == strlen(s) && memcmp(v + i, s, n) == 0)
			return true;
		i += (uint32_t)n + 1;
	}
	return false;
}

/* The path an alias (n bytes) stands for, from /aliases, or NULL. */
static const char *fdt_alias(const struct fdt *fdt, const char *alias, size_t n)
{
	char name[64];
	long aliases = fdt_root(fdt);

	if (aliases < 0 || n == 0 || n >= sizeof(name))
		return NULL;
	aliases = fdt_child(fdt, (uint32_t)aliases, "aliases", 7);
	if (aliases < 0)
		return NULL;
	memcpy(name, alias, n);
	name[n] = '\0';
	return fdt_prop_string(fdt, (uint32_t)aliases, name);
}

int fdt_find(const struct fdt *fdt, const char *path, size_t len,
    struct fdt_node *node)
{
	const char *end = path + len, *comp;
	long off;

	if (len > 0 && path[0] != '/') {
		path = fdt_alias(fdt, path, len);
		if (!path || path[0] != '/')
			return -1;
		end = path + strlen(path);
	}
	off = fdt_root(fdt);
	if (off < 0 || path == end)
		return -1;
	node->depth = 0;
	for (comp = path; comp < end; ) {
		const char *slash;

		while (comp < end && *comp == '/')
			comp++;
		if (comp == end)
			break;
		slash = find_byte(comp, '/', (size_t)(end - comp));
		if (!slash)
			slash = end;
		if (node->depth == FDT_MAX_DEPTH)
			return -1;
		node->parents[node->depth++] = (uint32_t)off;
		off = fdt_child(fdt, (uint32_t)off, comp, (size_t)(slash - comp));
		if (off < 0)
			return -1;
		comp = slash;
	}
	node->off = (uint32_t)off;
	return 0;
}

/* A cell count property of a node (#address-cells...), or dflt. */
static uint32_t fdt_cells(const struct fdt *fdt, uint32_t node,
    const char *name, uint32_t dflt)
{
	uint32_t len;
	const uint8_t *v = fdt_prop(fdt, node, name, &len);

	return v && len == 4 ? be32(v) : dflt;
}

/* A number of n cells (at most 2) at p. */
static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

/*
 * Maps the address *a, in the space of the bus at parents[level], into
 * the space of its parent through the bus's "ranges". 0, or -1 when no
 * range covers it (no "ranges" at all: not memory-mapped).
 */
static int fdt_translate(const struct fdt *fdt, const struct fdt_node *node,
    int level, uint64_t *a)
{
	uint32_t bus = node->parents[level], up = node->parents[level - 1];
	uint32_t cac = fdt_cells(fdt, bus, "#address-cells", 2);
	uint32_t csc = fdt_cells(fdt, bus, "#size-cells", 1);
	uint32_t pac = fdt_cells(fdt, up, "#address-cells", 2);
	uint32_t len, entry, i;
	const uint8_t *r = fdt_prop(fdt, bus, "ranges", &len);

	if (!r)
		return -1;
	if (len == 0)
		return 0;		/* empty: one to one */
	if (cac == 0 || cac > 2 || pac == 0 || pac > 2 || csc > 2)
		return -1;
	entry = 4 * (cac + pac + csc);
	for (i = 0; i + entry <= len; i += entry) {
		uint64_t child = read_cells(r + i, cac);
		uint64_t parent = read_cells(r + i + 4 * cac, pac);
		uint64_t size = read_cells(r + i + 4 * (cac + pac), csc);

		if (*a >= child && *a - child < size) {
			*a = parent + (*a - child);
			return 0;
		}
	}
	return -1;
}

int fdt_reg_address(const struct fdt *fdt, const struct fdt_node *node,
    uint64_t *addr)
{
	uint32_t ac, sc, len;
	const uint8_t *reg;
	int level;

	if (node->depth == 0)
		return -1;
	ac = fdt_cells(fdt, node->parents[node->depth - 1], "#address-cells", 2);
	sc = fdt_cells(fdt, node->parents[node->depth - 1], "#size-cells", 1);
	reg = fdt_prop(fdt, node->off, "reg", &len);
	if (!reg || ac == 0 || ac > 2 || len < 4 * (ac + sc))
		return -1;
	*addr = read_cells(reg, ac);
	for (level = node->depth - 1; level > 0; level--) {
		if (fdt_translate(fdt, node, level, addr) != 0)
			return -1;
	}
	return 0;
}
