/*
 * test_dtb.c - unit tests of the job's device tree (controller/dtb.c).
 *
 * Trees are built here with libfdt's sequential-write API, and one real
 * tree is read from tests/unit/fixtures/qemu-virt-aarch64.dtb (QEMU 7.2's
 * "-machine virt,dumpdtb=FILE -cpu max -m 256", packed). A patched tree
 * is compared with its input node by node and property by property: only
 * the /chosen properties that were asked for may differ.
 *
 * libfdt is Debian's shared library, not built with AddressSanitizer, so
 * a read past a blob inside it would go unseen; the blobs the mutation
 * tests hand over therefore end right at an inaccessible page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include "dtb.h"
#include "util.h"

#define FDT_OK(x) assert_int_equal((x), 0)

#define MUTATIONS 3000

/* The properties dtb_patch sets, in the order of struct dtb_chosen. */
static const char *const chosen_props[] = {"farm,job", "farm,server", "bootargs"};

static const struct dtb_chosen job42 = {
	.job = "42",
	.server = "http://10.99.0.1:8080",
	.bootargs = "-smp 2 --verbose",
};

/*
 * A small board's tree: a memory reservation, a root with compatible and
 * cell sizes, memory@40000000, a serial node with a string list, and,
 * when with_chosen, a /chosen with stdout-path, bootargs, a u32 and a
 * subnode. Caller frees.
 */
static void *
tree_build(int with_chosen, size_t *len)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	const fdt64_t reg[2] = {cpu_to_fdt64(0x40000000), cpu_to_fdt64(0x10000000)};
	size_t cap = 4096;
	void *fdt = xcalloc(1, cap);

	FDT_OK(fdt_create(fdt, (int)cap));
	FDT_OK(fdt_add_reservemap_entry(fdt, 0x48000000, 0x100000));
	FDT_OK(fdt_finish_reservemap(fdt));
	FDT_OK(fdt_begin_node(fdt, ""));
	FDT_OK(fdt_property_string(fdt, "compatible", "farm,test-board"));
	FDT_OK(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_OK(fdt_property_u32(fdt, "#size-cells", 2));
	if (with_chosen) {
		FDT_OK(fdt_begin_node(fdt, "chosen"));
		FDT_OK(fdt_property_string(fdt, "stdout-path", "/pl011@9000000"));
		FDT_OK(fdt_property_string(fdt, "bootargs", "console=ttyAMA0 old"));
		FDT_OK(fdt_property_u32(fdt, "linux,initrd-start", 0x48000000));
		FDT_OK(fdt_begin_node(fdt, "framebuffer@0"));
		FDT_OK(fdt_property_string(fdt, "status", "disabled"));
		FDT_OK(fdt_end_node(fdt));
		FDT_OK(fdt_end_node(fdt));
	}
	FDT_OK(fdt_begin_node(fdt, "memory@40000000"));
	FDT_OK(fdt_property_string(fdt, "device_type", "memory"));
	FDT_OK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT_OK(fdt_end_node(fdt));
	FDT_OK(fdt_begin_node(fdt, "pl011@9000000"));
	FDT_OK(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	FDT_OK(fdt_property(fdt, "empty", NULL, 0));
	FDT_OK(fdt_end_node(fdt));
	FDT_OK(fdt_end_node(fdt));
	FDT_OK(fdt_finish(fdt));
	*len = fdt_totalsize(fdt);
	return fdt;
}

/* The path of the real tree, from FARM_SRCDIR or beside this file. */
static char *
fixture_path(void)
{
	const char *src = getenv("FARM_SRCDIR");
	char *dir, *slash, *path;

	if (src)
		return xasprintf("%s/tests/unit/fixtures/qemu-virt-aarch64.dtb", src);
	dir = xstrdup(__FILE__);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	path = xasprintf("%s/fixtures/qemu-virt-aarch64.dtb", slash ? dir : ".");
	free(dir);
	return path;
}

static void *
fixture_load(size_t *len)
{
	char *path = fixture_path(), *cause = NULL;
	void *blob = dtb_load(path, len, &cause);

	if (blob == NULL)
		fail_msg("%s (run from the source tree or set FARM_SRCDIR)", cause);
	free(path);
	return blob;
}

/* 1 when name is one of the n names. */
static int
name_in(const char *name, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Every node of a is in b with the same properties, byte for byte, but
 * for the named properties of /chosen; /chosen itself may be missing
 * from a when chosen_new. */
static void
assert_tree_within(const void *a, const void *b, const char *const *skip,
    size_t nskip, int chosen_new)
{
	const char *name;
	const void *va, *vb;
	char path[512];
	int node, other, prop, la, lb;

	for (node = 0; node >= 0; node = fdt_next_node(a, node, NULL)) {
		FDT_OK(fdt_get_path(a, node, path, sizeof(path)));
		other = fdt_path_offset(b, path);
		if (other == -FDT_ERR_NOTFOUND && chosen_new &&
		    strcmp(path, "/chosen") == 0)
			continue;
		if (other < 0)
			fail_msg("node %s: %s", path, fdt_strerror(other));
		fdt_for_each_property_offset(prop, a, node) {
			va = fdt_getprop_by_offset(a, prop, &name, &la);
			assert_non_null(va);
			if (strcmp(path, "/chosen") == 0 && name_in(name, skip, nskip))
				continue;
			vb = fdt_getprop(b, other, name, &lb);
			if (vb == NULL)
				fail_msg("%s/%s is gone", path, name);
			assert_int_equal(la, lb);
			assert_memory_equal(va, vb, (size_t)la);
		}
	}
}

/* out is in with only the named /chosen properties changed (and /chosen
 * added when in has none), the same memory reservations, and valid. */
static void
assert_tree_same(const void *in, const void *out, const char *const *skip,
    size_t nskip)
{
	uint64_t a1, s1, a2, s2;
	char *cause = NULL;
	int i, n, chosen_new = fdt_path_offset(in, "/chosen") < 0;

	assert_int_equal(dtb_check(out, fdt_totalsize(out), "out", &cause), 0);
	assert_tree_within(in, out, skip, nskip, chosen_new);
	assert_tree_within(out, in, skip, nskip, chosen_new);
	n = fdt_num_mem_rsv(in);
	assert_int_equal(fdt_num_mem_rsv(out), n);
	for (i = 0; i < n; i++) {
		FDT_OK(fdt_get_mem_rsv(in, i, &a1, &s1));
		FDT_OK(fdt_get_mem_rsv(out, i, &a2, &s2));
		assert_true(a1 == a2 && s1 == s2);
	}
}

/* The string property path/name holds exactly value and its NUL. */
static void
assert_prop_str(const void *fdt, const char *path, const char *name,
    const char *value)
{
	int node = fdt_path_offset(fdt, path), len;
	const void *v;

	assert_true(node >= 0);
	v = fdt_getprop(fdt, node, name, &len);
	if (v == NULL)
		fail_msg("%s/%s: %s", path, name, fdt_strerror(len));
	assert_int_equal(len, strlen(value) + 1);
	assert_memory_equal(v, value, strlen(value) + 1);
}

static void
assert_no_prop(const void *fdt, const char *path, const char *name)
{
	int node = fdt_path_offset(fdt, path), len;

	assert_true(node >= 0);
	assert_null(fdt_getprop(fdt, node, name, &len));
	assert_int_equal(len, -FDT_ERR_NOTFOUND);
}

/* Patches in with c, failing the test on an error. Caller frees. */
static void *
patch_ok(const void *in, size_t len, const struct dtb_chosen *c, size_t *outlen)
{
	char *cause = NULL;
	void *out = dtb_patch(in, len, c, outlen, &cause);

	if (out == NULL)
		fail_msg("dtb_patch: %s", cause);
	assert_int_equal(*outlen, fdt_totalsize(out));
	return out;
}

/* Checks blob/len with dtb_check and returns the cause (caller frees);
 * fails the test when the blob passes. */
static char *
check_fails(const void *blob, size_t len)
{
	char *cause = NULL;

	assert_int_equal(dtb_check(blob, len, "blob", &cause), -1);
	assert_non_null(cause);
	return cause;
}

/* A tree without /chosen gets one with the job's properties, and room. */
static void
test_adds_chosen(void **state)
{
	size_t len, outlen;
	void *in = tree_build(0, &len), *out;
	char extra[512];
	int node;

	(void)state;
	assert_true(fdt_path_offset(in, "/chosen") < 0);
	out = patch_ok(in, len, &job42, &outlen);
	assert_prop_str(out, "/chosen", "farm,job", "42");
	assert_prop_str(out, "/chosen", "farm,server", "http://10.99.0.1:8080");
	assert_prop_str(out, "/chosen", "bootargs", "-smp 2 --verbose");
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));

	/* The copy has free space for a caller's own edits. */
	memset(extra, 'x', sizeof(extra));
	node = fdt_path_offset(out, "/chosen");
	FDT_OK(fdt_setprop(out, node, "farm,extra", extra, sizeof(extra)));
	free(out);
	free(in);
}

/* An existing /chosen keeps stdout-path, its other properties and its
 * subnode; bootargs is replaced. */
static void
test_keeps_chosen(void **state)
{
	size_t len, outlen;
	void *in = tree_build(1, &len), *out;
	int node, plen;
	const fdt32_t *initrd;

	(void)state;
	out = patch_ok(in, len, &job42, &outlen);
	assert_prop_str(out, "/chosen", "stdout-path", "/pl011@9000000");
	assert_prop_str(out, "/chosen", "bootargs", "-smp 2 --verbose");
	assert_prop_str(out, "/chosen", "farm,job", "42");
	node = fdt_path_offset(out, "/chosen");
	initrd = fdt_getprop(out, node, "linux,initrd-start", &plen);
	assert_non_null(initrd);
	assert_int_equal(plen, 4);
	assert_int_equal(fdt32_to_cpu(*initrd), 0x48000000);
	assert_prop_str(out, "/chosen/framebuffer@0", "status", "disabled");
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);
	free(in);
}

/* Values with quotes, newlines, UTF-8 and every non-NUL byte are stored
 * as they are; so is an empty string. */
static void
test_special_bytes(void **state)
{
	static const char *const values[] = {
		"say \"hi\" and 'bye' \\",
		"line1\nline2\r\n\tend\n",
		"na\xc3\xafve caf\xc3\xa9 \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
		"${netX/ip} ; || && # \"\\\"",
		"",
	};
	char all[255 * 12 + 1];
	struct dtb_chosen c;
	size_t i, len, outlen;
	void *in = tree_build(1, &len), *out;

	(void)state;
	for (i = 0; i < sizeof(all) - 1; i++)
		all[i] = (char)(1 + i % 255);
	all[sizeof(all) - 1] = '\0';
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		c.job = values[i];
		c.server = values[(i + 1) % ARRAY_SIZE(values)];
		c.bootargs = values[(i + 2) % ARRAY_SIZE(values)];
		out = patch_ok(in, len, &c, &outlen);
		assert_prop_str(out, "/chosen", "farm,job", c.job);
		assert_prop_str(out, "/chosen", "farm,server", c.server);
		assert_prop_str(out, "/chosen", "bootargs", c.bootargs);
		assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
		free(out);
	}
	c.job = "7";
	c.server = "http://[fd00::1]:8080";
	c.bootargs = all;
	out = patch_ok(in, len, &c, &outlen);
	assert_prop_str(out, "/chosen", "bootargs", all);
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);
	free(in);
}

/* NULL fields leave their properties as they were, set or absent. */
static void
test_null_fields(void **state)
{
	const struct dtb_chosen none = {0}, job_only = {.job = "9"};
	size_t len, outlen;
	void *in = tree_build(1, &len), *bare, *out;

	(void)state;
	out = patch_ok(in, len, &none, &outlen);
	assert_prop_str(out, "/chosen", "bootargs", "console=ttyAMA0 old");
	assert_no_prop(out, "/chosen", "farm,job");
	assert_no_prop(out, "/chosen", "farm,server");
	assert_tree_same(in, out, NULL, 0);
	free(out);

	out = patch_ok(in, len, &job_only, &outlen);
	assert_prop_str(out, "/chosen", "farm,job", "9");
	assert_prop_str(out, "/chosen", "bootargs", "console=ttyAMA0 old");
	assert_no_prop(out, "/chosen", "farm,server");
	assert_tree_same(in, out, chosen_props, 1);
	free(out);

	/* Without a /chosen, one is still made, empty. */
	bare = tree_build(0, &len);
	out = patch_ok(bare, len, &none, &outlen);
	assert_true(fdt_path_offset(out, "/chosen") >= 0);
	assert_int_equal(fdt_first_property_offset(out, fdt_path_offset(out, "/chosen")),
	    -FDT_ERR_NOTFOUND);
	assert_tree_same(bare, out, NULL, 0);
	free(out);
	free(bare);
	free(in);
}

/* Patching a patched tree replaces the values, and packing keeps the tree
 * and makes it smaller. */
static void
test_repatch_and_pack(void **state)
{
	const struct dtb_chosen next = {.job = "43", .bootargs = "again"};
	size_t len, outlen, len2, packed;
	void *in = tree_build(1, &len), *out, *out2;
	char *cause = NULL;

	(void)state;
	out = patch_ok(in, len, &job42, &outlen);
	out2 = patch_ok(out, outlen, &next, &len2);
	assert_prop_str(out2, "/chosen", "farm,job", "43");
	assert_prop_str(out2, "/chosen", "farm,server", "http://10.99.0.1:8080");
	assert_prop_str(out2, "/chosen", "bootargs", "again");
	assert_tree_same(out, out2, chosen_props, ARRAY_SIZE(chosen_props));

	assert_int_equal(dtb_pack(out2, &packed, &cause), 0);
	assert_true(packed < len2);
	assert_int_equal(packed, fdt_totalsize(out2));
	assert_tree_same(out, out2, chosen_props, ARRAY_SIZE(chosen_props));
	assert_int_equal(dtb_check(out2, packed, "packed", &cause), 0);
	free(out2);
	free(out);
	free(in);
}

/* A version 16 tree (no size_dt_struct) is read and written as 17. */
static void
test_old_version(void **state)
{
	size_t len, outlen;
	void *in = tree_build(0, &len), *out;

	(void)state;
	fdt_set_version(in, 16);
	fdt_set_last_comp_version(in, 16);
	out = patch_ok(in, len, &job42, &outlen);
	assert_int_equal(fdt_version(out), 17);
	assert_prop_str(out, "/chosen", "farm,job", "42");
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);
	free(in);
}

/* A blob that does not start 8-byte aligned, and one followed by other
 * bytes, are taken; only totalsize bytes are the tree. */
static void
test_unaligned_and_trailing(void **state)
{
	size_t len, outlen;
	void *in = tree_build(1, &len), *out;
	unsigned char *buf = xmalloc(len + 64);
	char *cause = NULL;

	(void)state;
	memcpy(buf + 1, in, len);
	assert_int_equal(dtb_check(buf + 1, len, "unaligned", &cause), 0);
	out = patch_ok(buf + 1, len, &job42, &outlen);
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);

	memcpy(buf, in, len);
	memset(buf + len, 0xa5, 64);
	assert_int_equal(dtb_check(buf, len + 64, "trailing", &cause), 0);
	out = patch_ok(buf, len + 64, &job42, &outlen);
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);
	free(buf);
	free(in);
}

/* Short blobs, a wrong magic and a header bigger than the buffer are
 * refused with the reason. */
static void
test_check_refuses(void **state)
{
	size_t len, cut, outlen = 0;
	unsigned char *in = tree_build(1, &len), *bad = xmalloc(len);
	char *cause;
	static const size_t cuts[] = {0, 1, 3, 4, 27, 39, 40, 41, 100};

	(void)state;
	for (cut = 0; cut < ARRAY_SIZE(cuts); cut++) {
		cause = check_fails(in, cuts[cut]);
		if (strstr(cause, "(FDT_ERR_TRUNCATED)") == NULL)
			fail_msg("cut at %zu: %s", cuts[cut], cause);
		free(cause);
	}
	cause = check_fails(in, len - 1);
	assert_non_null(strstr(cause, "(FDT_ERR_TRUNCATED)"));
	free(cause);

	memcpy(bad, in, len);
	bad[0] ^= 0x01;
	cause = check_fails(bad, len);
	assert_string_equal(cause, "blob: not a device tree blob (FDT_ERR_BADMAGIC)");
	free(cause);
	cause = check_fails("#!ipxe\nexit\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 40);
	assert_string_equal(cause, "blob: not a device tree blob (FDT_ERR_BADMAGIC)");
	free(cause);

	/* totalsize larger than the buffer, up to the largest there is */
	memcpy(bad, in, len);
	fdt_set_totalsize(bad, (uint32_t)len + 8);
	cause = check_fails(bad, len);
	assert_non_null(strstr(cause, "(FDT_ERR_TRUNCATED)"));
	free(cause);
	fdt_set_totalsize(bad, UINT32_MAX);
	cause = check_fails(bad, len);
	assert_non_null(strstr(cause, "(FDT_ERR_TRUNCATED)"));
	free(cause);

	/* a structure block reaching past totalsize */
	memcpy(bad, in, len);
	fdt_set_size_dt_struct(bad, (uint32_t)len);
	free(check_fails(bad, len));
	memcpy(bad, in, len);
	fdt_set_version(bad, 99);
	fdt_set_last_comp_version(bad, 99);
	cause = check_fails(bad, len);
	assert_non_null(strstr(cause, "(FDT_ERR_BADVERSION)"));
	free(cause);

	/* dtb_patch refuses the same, and says so */
	cause = NULL;
	assert_null(dtb_patch(bad, len, &job42, &outlen, &cause));
	assert_string_equal(cause, "DTB: a device tree version libfdt cannot read "
	    "(FDT_ERR_BADVERSION)");
	free(cause);
	free(bad);
	free(in);
}

/* Trees fdt_check_full takes but libfdt cannot edit, as it looks for the
 * root at the start of the structure block: none there, or only NOPs
 * where it was. dtb_patch says so rather than writing something. */
static void
test_no_root(void **state)
{
	size_t len, outlen;
	void *in = tree_build(1, &len), *out, *empty = xcalloc(1, 256);
	char *cause = NULL;

	(void)state;
	FDT_OK(fdt_create(empty, 256));
	FDT_OK(fdt_finish_reservemap(empty));
	FDT_OK(fdt_finish(empty));
	assert_int_equal(dtb_check(empty, fdt_totalsize(empty), "empty", &cause), 0);
	assert_null(dtb_patch(empty, fdt_totalsize(empty), &job42, &outlen, &cause));
	assert_string_equal(cause, "DTB: corrupt device tree blob (FDT_ERR_BADOFFSET)");
	free(cause);

	out = xcalloc(1, len);
	FDT_OK(fdt_open_into(in, out, (int)len));
	FDT_OK(fdt_nop_node(out, 0));
	cause = NULL;
	assert_int_equal(dtb_check(out, len, "nops", &cause), 0);
	assert_null(dtb_patch(out, len, &job42, &outlen, &cause));
	assert_string_equal(cause, "DTB: corrupt device tree blob (FDT_ERR_BADOFFSET)");
	free(cause);
	free(out);
	free(empty);
	free(in);
}

/* A buffer whose last byte is the last readable one: len bytes placed at
 * the end of the mapping, before a PROT_NONE page. */
struct guard {
	unsigned char *map;
	size_t size; /* the readable part */
	size_t page;
};

static void
guard_init(struct guard *g, size_t max)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->size = (max + g->page - 1) / g->page * g->page;
	g->map = mmap(NULL, g->size + g->page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	FDT_OK(mprotect(g->map + g->size, g->page, PROT_NONE));
}

static unsigned char *
guard_place(struct guard *g, const void *data, size_t len)
{
	unsigned char *p = g->map + g->size - len;

	memcpy(p, data, len);
	return p;
}

static void
guard_free(struct guard *g)
{
	munmap(g->map, g->size + g->page);
}

/* xorshift64*, so a failure can be replayed from its seed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Mutates blob n times (flipped bytes, 32-bit words set to edge values,
 * cuts) and hands each to dtb_check and dtb_patch: each must either
 * refuse it with a cause or give a valid tree with the job's /chosen.
 * The blob is padded to a multiple of 8 bytes first, so that it lies
 * aligned against the guard page and libfdt reads it where it is.
 */
static void
mutate_all(const void *blob, size_t n, uint64_t seed)
{
	static const uint32_t edges[] = {
		0, 1, 3, 4, 8, 0x28, 0x38, 0x7fffffff, 0x80000000, 0xfffffffc,
		0xffffffff, FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END,
		FDT_MAGIC, 16, 17,
	};
	struct guard g;
	size_t len = fdt_totalsize(blob), padded = (len + 7) & ~(size_t)7;
	size_t i, k, cut, mlen, outlen, refused = 0, patched = 0;
	unsigned char *base = xcalloc(1, padded), *m = xmalloc(padded), *p;
	uint64_t s = seed, r, off;
	uint32_t v;
	char *cause;
	void *out;

	FDT_OK(fdt_open_into(blob, base, (int)padded));
	guard_init(&g, padded);
	for (i = 0; i < n; i++) {
		memcpy(m, base, padded);
		mlen = padded;
		r = rnd(&s);
		switch (r % 4) {
		case 0: /* a few bytes flipped */
			for (k = 0; k <= (r >> 8) % 4; k++)
				m[rnd(&s) % padded] ^= (unsigned char)(1 + rnd(&s) % 255);
			break;
		case 1: /* a word of the header set to an edge value */
		case 2: /* a word anywhere */
			off = (r % 4 == 1 ? rnd(&s) % 10 : rnd(&s) % (padded / 4)) * 4;
			v = edges[rnd(&s) % ARRAY_SIZE(edges)];
			if (rnd(&s) % 3 == 0)
				v = (uint32_t)len + (uint32_t)(rnd(&s) % 17) - 8;
			v = cpu_to_fdt32(v);
			memcpy(m + off, &v, 4);
			break;
		default: /* cut, and perhaps a byte flipped */
			cut = rnd(&s) % padded;
			mlen = cut;
			if (cut > 0 && (r >> 8) % 2)
				m[rnd(&s) % cut] ^= 0x80;
			break;
		}
		p = guard_place(&g, m, mlen);
		cause = NULL;
		if (dtb_check(p, mlen, "mutant", &cause) < 0) {
			assert_non_null(cause);
			assert_int_equal(strncmp(cause, "mutant: ", 8), 0);
			free(cause);
			cause = NULL;
			assert_null(dtb_patch(p, mlen, &job42, &outlen, &cause));
			assert_non_null(cause);
			free(cause);
			refused++;
			continue;
		}
		out = dtb_patch(p, mlen, &job42, &outlen, &cause);
		if (out == NULL) {
			/* Passed the check, but libfdt cannot edit it (e.g. the
			 * root is not where libfdt looks for it). */
			assert_non_null(cause);
			assert_int_equal(strncmp(cause, "DTB: ", 5), 0);
			free(cause);
			refused++;
			continue;
		}
		assert_int_equal(dtb_check(out, outlen, "patched", &cause), 0);
		assert_prop_str(out, "/chosen", "farm,job", "42");
		assert_prop_str(out, "/chosen", "farm,server", "http://10.99.0.1:8080");
		assert_prop_str(out, "/chosen", "bootargs", "-smp 2 --verbose");
		assert_int_equal(dtb_pack(out, &outlen, &cause), 0);
		assert_int_equal(dtb_check(out, outlen, "packed", &cause), 0);
		free(out);
		patched++;
	}
	print_message("# %zu mutants of a %zu-byte tree (seed %#llx): %zu refused, "
	    "%zu patched\n", n, len, (unsigned long long)seed, refused, patched);
	assert_true(refused > 0 && patched > 0);
	guard_free(&g);
	free(m);
	free(base);
}

/* Mutated blobs are refused cleanly or patched into valid trees. */
static void
test_mutations(void **state)
{
	size_t len;
	void *in = tree_build(1, &len);

	(void)state;
	mutate_all(in, MUTATIONS, 0x5eed0001);
	free(in);
	in = fixture_load(&len);
	mutate_all(in, MUTATIONS, 0x5eed0002);
	free(in);
}

/* dtb_load names the path in every refusal and takes a good file. */
static void
test_load(void **state)
{
	static const char conf[] = "machine vm-arm {\n\tarch aarch64\n}\n"
	    "# longer than a device tree header\n";
	char dir[] = "/tmp/test_dtb.XXXXXX", *path, *cause = NULL, *want;
	size_t len, got;
	void *in = tree_build(1, &len), *blob;
	unsigned char *withtail;

	(void)state;
	assert_non_null(mkdtemp(dir));

	path = xasprintf("%s/missing.dtb", dir);
	assert_null(dtb_load(path, &got, &cause));
	want = xasprintf("%s: No such file or directory", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	path = xasprintf("%s/farm.conf", dir);
	FDT_OK(write_file_atomic(path, conf, strlen(conf), 0644));
	cause = NULL;
	assert_null(dtb_load(path, &got, &cause));
	want = xasprintf("%s: not a device tree blob (FDT_ERR_BADMAGIC)", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	path = xasprintf("%s/empty.dtb", dir);
	FDT_OK(write_file_atomic(path, "", 0, 0644));
	cause = NULL;
	assert_null(dtb_load(path, &got, &cause));
	assert_int_equal(strncmp(cause, path, strlen(path)), 0);
	assert_non_null(strstr(cause, "FDT_ERR_TRUNCATED"));
	free(cause);
	unlink(path);
	free(path);

	cause = NULL;
	assert_null(dtb_load(dir, &got, &cause));
	want = xasprintf("%s: not a regular file", dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	/* A good tree with bytes after it: len is the tree's own size. */
	path = xasprintf("%s/board.dtb", dir);
	withtail = xcalloc(1, len + 100);
	memcpy(withtail, in, len);
	FDT_OK(write_file_atomic(path, withtail, len + 100, 0644));
	cause = NULL;
	blob = dtb_load(path, &got, &cause);
	assert_non_null(blob);
	assert_int_equal(got, len);
	assert_memory_equal(blob, in, len);
	free(blob);
	unlink(path);
	free(path);
	free(withtail);

	path = xasprintf("%s/farm.conf", dir);
	unlink(path);
	free(path);
	FDT_OK(rmdir(dir));
	free(in);
}

/* QEMU's own virt tree keeps its console, memory and everything else. */
static void
test_qemu_virt(void **state)
{
	const fdt64_t *reg;
	size_t len, outlen, packed;
	void *in = fixture_load(&len), *out;
	char *cause = NULL;
	int node, plen;

	(void)state;
	assert_prop_str(in, "/chosen", "stdout-path", "/pl011@9000000");
	out = patch_ok(in, len, &job42, &outlen);
	assert_prop_str(out, "/chosen", "stdout-path", "/pl011@9000000");
	assert_prop_str(out, "/chosen", "farm,job", "42");
	assert_prop_str(out, "/chosen", "bootargs", "-smp 2 --verbose");
	node = fdt_path_offset(out, "/memory@40000000");
	assert_true(node >= 0);
	reg = fdt_getprop(out, node, "reg", &plen);
	assert_non_null(reg);
	assert_int_equal(plen, 16);
	assert_true(fdt64_to_cpu(reg[0]) == 0x40000000);
	assert_true(fdt64_to_cpu(reg[1]) == 256u << 20);
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	assert_int_equal(dtb_pack(out, &packed, &cause), 0);
	assert_true(packed < outlen);
	assert_tree_same(in, out, chosen_props, ARRAY_SIZE(chosen_props));
	free(out);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adds_chosen),
		cmocka_unit_test(test_keeps_chosen),
		cmocka_unit_test(test_special_bytes),
		cmocka_unit_test(test_null_fields),
		cmocka_unit_test(test_repatch_and_pack),
		cmocka_unit_test(test_old_version),
		cmocka_unit_test(test_unaligned_and_trailing),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_no_root),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_qemu_virt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
