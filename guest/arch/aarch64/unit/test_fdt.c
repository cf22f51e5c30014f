/*
 * test_fdt.c - the aarch64 device-tree walker (guest/arch/aarch64/fdt.c)
 * as a hosted program under ASan/UBSan (make guest-check): lookups by
 * path, unit address and alias, properties, "reg" through "ranges", and
 * every byte of a tree corrupted in turn without a read outside it.
 *
 * The tree is built here, token by token. fdt.h brings the guest
 * library's libcflat.h, whose puts() is not the C library's, so the C
 * library's printf is reached under another name.
 */
#include "fdt.h"

int host_printf(const char *fmt, ...) __asm__("printf") __printf(1, 2);
void *host_malloc(size_t size) __asm__("malloc");
void host_free(void *p) __asm__("free");

static int failures, checks;

#define CHECK(cond, ...)						\
	do {								\
		checks++;						\
		if (!(cond)) {						\
			failures++;					\
			host_printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			host_printf(__VA_ARGS__);			\
			host_printf("\n");				\
		}							\
	} while (0)

/* A tree under construction: the structure and strings blocks. */
static uint8_t st[2048], str[512], blob[4096];
static uint32_t st_len, str_len, blob_len;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void token(uint32_t v)
{
	put32(st + st_len, v);
	st_len += 4;
}

static void pad(void)
{
	while (st_len % 4)
		st[st_len++] = 0;
}

static void begin(const char *name)
{
	token(1);
	memcpy(st + st_len, name, strlen(name) + 1);
	st_len += (uint32_t)strlen(name) + 1;
	pad();
}

static void end(void)
{
	token(2);
}

static void prop(const char *name, const void *value, uint32_t len)
{
	token(3);
	token(len);
	token(str_len);
	memcpy(str + str_len, name, strlen(name) + 1);
	str_len += (uint32_t)strlen(name) + 1;
	memcpy(st + st_len, value, len);
	st_len += len;
	pad();
}

static void prop_str(const char *name, const char *s)
{
	prop(name, s, (uint32_t)strlen(s) + 1);
}

/* A property of n 32-bit cells. */
static void prop_cells(const char *name, int n, const uint32_t *cells)
{
	uint8_t v[64];

	for (int i = 0; i < n; i++)
		put32(v + 4 * i, cells[i]);
	prop(name, v, (uint32_t)(4 * n));
}

#define CELLS(name, ...)						\
	do {								\
		const uint32_t c_[] = { __VA_ARGS__ };			\
		prop_cells(name, (int)(sizeof(c_) / sizeof(c_[0])), c_); \
	} while (0)

/* The header, the empty reservation map, the blocks: into blob. */
static void finish(void)
{
	uint32_t off_rsv = 40, off_st = off_rsv + 16, off_str = off_st + st_len;

	blob_len = off_str + str_len;
	memset(blob, 0, sizeof(blob));
	put32(blob, 0xd00dfeed);
	put32(blob + 4, blob_len);
	put32(blob + 8, off_st);
	put32(blob + 12, off_str);
	put32(blob + 16, off_rsv);
	put32(blob + 20, 17);
	put32(blob + 24, 16);
	put32(blob + 32, str_len);
	put32(blob + 36, st_len);
	memcpy(blob + off_st, st, st_len);
	memcpy(blob + off_str, str, str_len);
}

static void build(void)
{
	static const char compat[] = "arm,pl011\0arm,primecell";

	begin("");
	CELLS("#address-cells", 2);
	CELLS("#size-cells", 2);
	begin("chosen");
	prop_str("stdout-path", "serial0:115200n8");
	end();
	begin("aliases");
	prop_str("serial0", "/soc/uart@1000");
	prop_str("broken", "soc");
	end();
	begin("psci");
	prop_str("method", "hvc");
	end();
	begin("pl011@9000000");
	prop("compatible", compat, sizeof(compat));
	CELLS("reg", 0, 0x9000000, 0, 0x1000);
	end();
	begin("soc");
	CELLS("#address-cells", 1);
	CELLS("#size-cells", 1);
	CELLS("ranges", 0x0, 0x0, 0x40000000, 0x100000);
	begin("uart@1000");
	prop_str("compatible", "arm,sbsa-uart");
	CELLS("reg", 0x1000, 0x100);
	end();
	begin("nomap");
	CELLS("#address-cells", 1);
	CELLS("#size-cells", 1);
	begin("dev@0");
	CELLS("reg", 0, 4);
	end();
	end();
	end();
	end();
	token(9);
	finish();
}

/* fdt_find on a NUL-ended path. */
static int find(const struct fdt *fdt, const char *path, struct fdt_node *node)
{
	return fdt_find(fdt, path, strlen(path), node);
}

static void test_lookups(void)
{
	struct fdt fdt;
	struct fdt_node n;
	uint64_t a = 0;
	const char *s;

	CHECK(fdt_init(&fdt, blob) == 0, "fdt_init");
	CHECK(find(&fdt, "/", &n) == 0 && n.depth == 0, "root");
	CHECK(find(&fdt, "/chosen", &n) == 0 && n.depth == 1, "/chosen");
	s = fdt_prop_string(&fdt, n.off, "stdout-path");
	CHECK(s && strcmp(s, "serial0:115200n8") == 0, "stdout-path");
	CHECK(!fdt_prop(&fdt, n.off, "nothing", NULL), "no such property");
	CHECK(find(&fdt, "/pl011", &n) == 0, "name without unit address");
	CHECK(fdt_prop_has_string(&fdt, n.off, "compatible", "arm,primecell"),
	    "second compatible string");
	CHECK(!fdt_prop_has_string(&fdt, n.off, "compatible", "arm,pl01"),
	    "no prefix match");
	CHECK(fdt_reg_address(&fdt, &n, &a) == 0 && a == 0x9000000,
	    "pl011 reg %#llx", (unsigned long long)a);
	CHECK(find(&fdt, "/pl011@9000000", &n) == 0, "full name");
	CHECK(find(&fdt, "/pl011@9000001", &n) != 0, "other unit address");
	CHECK(find(&fdt, "/pl", &n) != 0, "name prefix");
	CHECK(find(&fdt, "/nope", &n) != 0, "missing node");
	CHECK(find(&fdt, "/chosen/nope", &n) != 0, "missing child");
	CHECK(find(&fdt, "serial0", &n) == 0 && n.depth == 2, "alias");
	CHECK(fdt_reg_address(&fdt, &n, &a) == 0 && a == 0x40001000,
	    "reg through ranges %#llx", (unsigned long long)a);
	CHECK(fdt_find(&fdt, "serial0:115200n8", 7, &n) == 0, "alias, length");
	CHECK(find(&fdt, "serial1", &n) != 0, "missing alias");
	CHECK(find(&fdt, "broken", &n) != 0, "alias not a path");
	CHECK(find(&fdt, "/soc/nomap/dev@0", &n) == 0 && n.depth == 3, "deep");
	CHECK(fdt_reg_address(&fdt, &n, &a) != 0, "bus without ranges");
	CHECK(find(&fdt, "/psci", &n) == 0, "/psci");
	s = fdt_prop_string(&fdt, n.off, "method");
	CHECK(s && strcmp(s, "hvc") == 0, "psci method");
}

static void test_bad_headers(void)
{
	struct fdt fdt;
	uint8_t copy[sizeof(blob)];

	memcpy(copy, blob, blob_len);
	put32(copy, 0xd00dfeee);
	CHECK(fdt_init(&fdt, copy) != 0, "bad magic");
	memcpy(copy, blob, blob_len);
	put32(copy + 20, 15);
	CHECK(fdt_init(&fdt, copy) != 0, "version 15");
	memcpy(copy, blob, blob_len);
	put32(copy + 36, blob_len);
	CHECK(fdt_init(&fdt, copy) != 0, "structure block past the end");
	memcpy(copy, blob, blob_len);
	put32(copy + 4, 20);
	CHECK(fdt_init(&fdt, copy) != 0, "totalsize below the header");
	CHECK(fdt_init(&fdt, NULL) != 0, "NULL");
}

/* Every lookup on a tree; only that it ends without a bad read counts. */
static void walk_all(const struct fdt *fdt)
{
	static const char *const paths[] = { "/", "/chosen", "/pl011", "serial0",
		"/soc/nomap/dev@0", "/psci", "/nope", "broken" };
	struct fdt_node n;
	uint64_t a;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (find(fdt, paths[i], &n) != 0)
			continue;
		(void)fdt_prop_string(fdt, n.off, "stdout-path");
		(void)fdt_prop_has_string(fdt, n.off, "compatible", "arm,pl011");
		(void)fdt_reg_address(fdt, &n, &a);
	}
}

/*
 * Each byte past the header set to 0x00, 0xff and to its complement in
 * turn, in a buffer exactly as long as the tree: ASan reports any read
 * outside it.
 */
static void test_corrupt(void)
{
	static const int how[] = { 0x00, 0xff, -1 };
	struct fdt fdt;
	int runs = 0;

	for (uint32_t i = 40; i < blob_len; i++) {
		for (size_t h = 0; h < sizeof(how) / sizeof(how[0]); h++) {
			uint8_t *p = host_malloc(blob_len);

			memcpy(p, blob, blob_len);
			p[i] = how[h] < 0 ? (uint8_t)~p[i] : (uint8_t)how[h];
			if (fdt_init(&fdt, p) == 0)
				walk_all(&fdt);
			host_free(p);
			runs++;
		}
	}
	CHECK(runs > 0, "corrupted trees walked");
}

int main(void)
{
	build();
	test_lookups();
	test_bad_headers();
	test_corrupt();
	host_printf("test_fdt: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
