/*
 * dtb.h - the device tree a job's machine gets: a machine's DTB checked
 * as it is read, and a copy of it with the job written into /chosen.
 */
#ifndef FARM_DTB_H
#define FARM_DTB_H

#include <stddef.h>

/* The largest DTB farmd reads, takes or serves, in bytes. */
#define DTB_MAX (16u << 20)

/* Reads the DTB at path and checks all of it (dtb_check). Returns the blob
 * (caller frees) with *len set to its size as its header gives it, or NULL
 * with *cause naming the path (caller frees). */
void *dtb_load(const char *path, size_t *len, char **cause);

/* Checks that the len bytes at blob hold a whole, well-formed device tree
 * (header, blocks, every tag and property name) that libfdt can open;
 * bytes after the header's totalsize are ignored. 0, or -1 with *cause
 * starting with what ("PATH: not a device tree blob (FDT_ERR_BADMAGIC)"). */
int dtb_check(const void *blob, size_t len, const char *what, char **cause);

/* What a job writes into /chosen. Each field is a string property set to
 * the bytes of the string and its NUL; NULL leaves the property as the
 * input has it (absent or not). */
struct dtb_chosen {
	const char *job;      /* "farm,job", e.g. "42" */
	const char *server;   /* "farm,server", e.g. "http://10.99.0.1:8080" */
	const char *bootargs; /* "bootargs": the test's arguments, joined by spaces */
};

/* A new blob (caller frees; *outlen set to its size): the tree of in with
 * /chosen created when it has none and the properties of c set; every other
 * node, property and memory reservation kept as it is (stdout-path too).
 * The copy has free space at its end for more edits; dtb_pack removes it.
 * NULL with *cause when in is not a valid tree or the result would be
 * bigger than DTB_MAX. */
void *dtb_patch(const void *in, size_t inlen, const struct dtb_chosen *c,
    size_t *outlen, char **cause);

/* Packs a blob from dtb_patch in place, so it is served without free
 * space; *len gets its new size (the allocation keeps its size). 0, or -1
 * with *cause when blob is not a writable tree. */
int dtb_pack(void *blob, size_t *len, char **cause);

#endif
