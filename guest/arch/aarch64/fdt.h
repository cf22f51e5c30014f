/*
 * fdt.h - a small read-only walker of flattened device trees (fdt.c).
 * Private to guest/arch/aarch64.
 */
#ifndef FARM_AARCH64_FDT_H
#define FARM_AARCH64_FDT_H

#include "guest.h"

/* A checked blob: every offset below is inside it. */
struct fdt {
	const uint8_t *blob;
	uint32_t off_struct, size_struct;	/* the structure block */
	uint32_t off_strings, size_strings;	/* property names */
};

#define FDT_MAX_DEPTH 16

/* A node and the way to it. */
struct fdt_node {
	uint32_t off;			/* its FDT_BEGIN_NODE, in the structure block */
	int depth;			/* 0: the root */
	uint32_t parents[FDT_MAX_DEPTH]; /* parents[0] is the root, [depth - 1] the parent */
};

/*
 * Checks the header of the blob at p (magic, version 16 or later, blocks
 * inside its totalsize) and fills *fdt. 0, or -1 when it is no tree.
 */
int fdt_init(struct fdt *fdt, const void *p);
/*
 * Finds a node by path ("/pl011@9000000"; a component without "@" also
 * matches a name with one) or by alias (a path that does not start with
 * '/' is looked up in /aliases); path is len bytes, not NUL-ended.
 * 0, or -1 when there is no such node.
 */
int fdt_find(const struct fdt *fdt, const char *path, size_t len,
    struct fdt_node *node);
/* The value of the node's property name and its length, or NULL. */
const void *fdt_prop(const struct fdt *fdt, uint32_t node, const char *name,
    uint32_t *len);
/* The property as a NUL-ended string (it must hold its NUL), or NULL. */
const char *fdt_prop_string(const struct fdt *fdt, uint32_t node,
    const char *name);
/* Whether the string list property name holds s ("compatible"). */
bool fdt_prop_has_string(const struct fdt *fdt, uint32_t node,
    const char *name, const char *s);
/*
 * The CPU address of the node's first "reg" entry, translated through the
 * "ranges" of the buses above it. 0, or -1 when it has none or a bus does
 * not map it.
 */
int fdt_reg_address(const struct fdt *fdt, const struct fdt_node *node,
    uint64_t *addr);

#endif
