/*
 * dt.c - the device tree the machine booted with, read with libfdt.
 *
 * The tree is what dt_fdt() finds: the file fdtfile names (the DTB the
 * farm served) or the firmware's own. Checked: the header
 * (fdt_check_header) and the whole structure block (fdt_check_full);
 * /chosen is there; its stdout-path, when it has one, names a node
 * (directly or through /aliases; ":options" ignored) that is a UART the
 * library knows; when /chosen carries the farm's properties (farm,job:
 * a tree the farm served for this job), farm,job and farm,server are the
 * job's FARM_JOB and FARM_SERVER and bootargs is the program's arguments
 * (argv[1..] joined by single spaces) - without them those three are
 * skipped; every device_type = "memory" node has a well-formed reg
 * (the root's #address-cells/#size-cells) of non-empty ranges, and
 * together they hold at least 90% of the EFI memory map's conventional
 * memory (the tree has all RAM, the map what is still free).
 *
 * No tree at all is normal on x86_64 and on ACPI machines: the program
 * then skips (status 77). A tree fdtfile names but that cannot be read
 * is a failure: the farm said it served one.
 */
#include "libcflat.h"
#include "uefi.h"
#include "devicetree.h"
#include <libfdt.h>

#define MIB (1ull << 20)

static const char *const uart_compatible[] = {
	"arm,pl011", "arm,sbsa-uart", "ns16550a",
};

/*
 * The node's property name as a string: NULL when absent or, with *bad
 * set, when it is not one NUL-ended string.
 */
static const char *prop_string(const void *fdt, int node, const char *name,
    bool *bad)
{
	int len;
	const char *v = fdt_getprop(fdt, node, name, &len);

	*bad = false;
	if (!v)
		return NULL;
	if (len <= 0 || strnlen(v, (size_t)len) != (size_t)len - 1) {
		*bad = true;
		return NULL;
	}
	return v;
}

/* Whether the firmware installed ACPI tables (for the no-tree message). */
static bool acpi_present(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	EFI_CONFIGURATION_TABLE *t = efi_system_table->ConfigurationTable;

	for (UINTN i = 0; t && i < efi_system_table->NumberOfTableEntries; i++) {
		if (memcmp(&t[i].VendorGuid, &acpi20, sizeof(acpi20)) == 0)
			return true;
	}
	return false;
}

/* /chosen's stdout-path names a UART the library knows. */
static void check_stdout_path(const void *fdt, int chosen)
{
	const char *path, *known = NULL;
	size_t len;
	bool bad;
	int node;

	path = prop_string(fdt, chosen, "stdout-path", &bad);
	if (!path && !bad)
		path = prop_string(fdt, chosen, "linux,stdout-path", &bad);
	if (bad || !path) {
		report_info("stdout-path: %s", bad ? "not a string" :
		    "not in /chosen");
		if (bad)
			report_fail("stdout-path is a known UART");
		else
			report_skip("stdout-path is a known UART");
		return;
	}
	for (len = 0; path[len] != '\0' && path[len] != ':'; len++)
		;
	node = fdt_path_offset_namelen(fdt, path, (int)len);
	if (node < 0) {
		report_info("stdout-path %s: no such node or alias: %s", path,
		    fdt_strerror(node));
		report_fail("stdout-path is a known UART");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(uart_compatible) && !known; i++) {
		if (fdt_node_check_compatible(fdt, node, uart_compatible[i]) == 0)
			known = uart_compatible[i];
	}
	if (known) {
		report_info("stdout-path %s: %s, %s", path,
		    fdt_get_name(fdt, node, NULL), known);
	} else {
		const char *c = fdt_stringlist_get(fdt, node, "compatible", 0, NULL);

		report_info("stdout-path %s: %s, compatible %s", path,
		    fdt_get_name(fdt, node, NULL), c ? c : "(none)");
	}
	report(known != NULL, "stdout-path is a known UART");
}

/* /chosen's string property name equals the variable var. */
static void check_farm_string(const void *fdt, int chosen, const char *name,
    const char *var)
{
	const char *want = getenv(var), *have;
	bool bad;

	have = prop_string(fdt, chosen, name, &bad);
	if (!have)
		report_info("%s: %s", name, bad ? "not a string" : "not in /chosen");
	else if (!want)
		report_info("%s is '%s', %s is not set", name, have, var);
	else if (strcmp(have, want) != 0)
		report_info("%s is '%s', %s is '%s'", name, have, var, want);
	report(have && want && strcmp(have, want) == 0, "%s = %s", name, var);
}

/* Whether s is argv[1..] joined by single spaces. */
static bool is_joined_args(const char *s, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i > 1 && *s++ != ' ')
			return false;
		if (strncmp(s, argv[i], n) != 0)
			return false;
		s += n;
	}
	return *s == '\0';
}

/* argv[1..] joined by single spaces, cut to fit buf (for messages). */
static const char *joined_args(char *buf, size_t size, int argc, char **argv)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 1; i < argc && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%s", i > 1 ? " " : "",
		    argv[i]);

		len += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

/* The farm's properties in /chosen, when this is a tree it served. */
static void check_farm(const void *fdt, int chosen, int argc, char **argv)
{
	const char *bootargs;
	char buf[256];
	bool bad;

	if (chosen < 0 || !fdt_getprop(fdt, chosen, "farm,job", NULL)) {
		report_info("%s: not a tree the farm served for a job",
		    chosen < 0 ? "no /chosen" : "no farm,job in /chosen");
		report_skip("farm,job = FARM_JOB");
		report_skip("farm,server = FARM_SERVER");
		report_skip("bootargs = arguments");
		return;
	}
	check_farm_string(fdt, chosen, "farm,job", "FARM_JOB");
	check_farm_string(fdt, chosen, "farm,server", "FARM_SERVER");

	/* No arguments: bootargs may be empty or absent. */
	bootargs = prop_string(fdt, chosen, "bootargs", &bad);
	if (!bootargs && !bad && argc <= 1)
		bootargs = "";
	if (!bootargs)
		report_info("bootargs: %s, the arguments '%s'", bad ?
		    "not a string" : "not in /chosen",
		    joined_args(buf, sizeof(buf), argc, argv));
	else if (!is_joined_args(bootargs, argc, argv))
		report_info("bootargs is '%s', the arguments '%s'", bootargs,
		    joined_args(buf, sizeof(buf), argc, argv));
	report(bootargs && is_joined_args(bootargs, argc, argv),
	    "bootargs = arguments");
}

/* A number of n (1 or 2) big-endian cells at p. */
static u64 read_cells(const fdt32_t *p, int n)
{
	u64 v = 0;

	for (int i = 0; i < n; i++)
		v = v << 32 | fdt32_ld(p + i);
	return v;
}

/* The ranges of one memory node, reported; their sum is added to *total. */
static void check_memory_node(const void *fdt, int node, int ac, int sc,
    u64 *total)
{
	const char *name = fdt_get_name(fdt, node, NULL);
	const fdt32_t *reg;
	int len, entry = 4 * (ac + sc);

	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!name)
		name = "?";
	if (!reg || len <= 0 || len % entry != 0) {
		report_info("%s: reg is %d bytes, not a multiple of %d", name,
		    reg ? len : 0, entry);
		report_fail("%s: reg", name);
		return;
	}
	for (int i = 0; i < len / entry; i++) {
		u64 base = read_cells(reg + i * (ac + sc), ac);
		u64 size = read_cells(reg + i * (ac + sc) + ac, sc);

		report(size != 0, "memory@%llx: %llu MiB", (unsigned long long)base,
		    (unsigned long long)(size / MIB));
		*total += size;
	}
}

/* The bytes of conventional memory in the EFI memory map, or 0. */
static u64 efi_conventional(void)
{
	struct efi_memmap map;
	u64 bytes = 0;

	if (efi_memmap_get(&map) != EFI_SUCCESS)
		return 0;
	for (UINTN i = 0; i < map.count; i++) {
		EFI_MEMORY_DESCRIPTOR *d = efi_memmap_desc(&map, i);

		if (d->Type == EfiConventionalMemory)
			bytes += d->NumberOfPages * 4096ull;
	}
	efi_memmap_free(&map);
	return bytes;
}

/* The memory nodes, and their sum against the EFI memory map. */
static void check_memory(const void *fdt)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	int node, nodes = 0;
	u64 total = 0, conv;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		report_info("the root's #address-cells %d, #size-cells %d: not 1 or 2",
		    ac, sc);
		report_fail("memory: root cell sizes");
		return;
	}
	node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory",
	    sizeof("memory"));
	for (; node >= 0; nodes++) {
		check_memory_node(fdt, node, ac, sc, &total);
		node = fdt_node_offset_by_prop_value(fdt, node, "device_type",
		    "memory", sizeof("memory"));
	}
	if (node != -FDT_ERR_NOTFOUND)
		report_info("looking for memory nodes: %s", fdt_strerror(node));
	report(nodes > 0 && node == -FDT_ERR_NOTFOUND,
	    "memory: device_type memory nodes");

	conv = efi_conventional();
	report_info("memory: %llu MiB in the tree, %llu MiB conventional memory "
	    "in the EFI memory map", (unsigned long long)(total / MIB),
	    (unsigned long long)(conv / MIB));
	if (total == 0 || conv == 0)
		report_info("memory: not comparable");
	else
		report(total >= conv - conv / 10,
		    "memory: the tree has >= 90%% of the EFI conventional memory");
}

int main(int argc, char **argv)
{
	const void *fdt;
	const char *file = getenv("fdtfile");
	int err, chosen;

	report_prefix_push("dt");
	fdt = dt_fdt();
	if (!fdt && file && *file) {
		report_info("%s", dt_fdt_source());
		report_fail("the device tree fdtfile names");
		return report_summary();
	}
	if (!fdt) {
		report_info("%s%s", dt_fdt_source(), acpi_present() ?
		    "; the firmware describes the machine by ACPI" : "");
		report_skip("no device tree");
		return report_summary();
	}
	report_info("the device tree from %s at %p", dt_fdt_source(), fdt);

	err = fdt_check_header(fdt);
	if (err)
		report_info("fdt_check_header: %s", fdt_strerror(err));
	report(err == 0, "fdt_check_header");
	if (err)
		return report_summary();
	report_info("version %u, %u bytes", fdt_version(fdt), fdt_totalsize(fdt));
	err = fdt_check_full(fdt, fdt_totalsize(fdt));
	if (err)
		report_info("fdt_check_full: %s", fdt_strerror(err));
	report(err == 0, "fdt_check_full");

	chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0)
		report_info("/chosen: %s", fdt_strerror(chosen));
	report(chosen >= 0, "/chosen exists");
	if (chosen >= 0)
		check_stdout_path(fdt, chosen);
	else
		report_skip("stdout-path is a known UART");
	check_farm(fdt, chosen, argc, argv);
	check_memory(fdt);
	report_prefix_pop();
	return report_summary();
}
