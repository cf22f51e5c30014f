/*
 * apps.h - the content-addressed store of EFI test apps:
 * <state>/apps/<sha256>.efi, written once, never changed.
 */
#ifndef FARM_APPS_H
#define FARM_APPS_H

#include <stddef.h>

int apps_init(const char *state_dir);
void apps_free(void);

/* 1 when s is 64 lower-case hex digits. */
int apps_valid_sha(const char *s);

/* Stores data; sha gets its hash. Returns 1 when new, 0 when it was there,
 * -1 with *cause. */
int apps_store(const void *data, size_t len, char sha[65], char **cause);
/* Stores the file at path (e.g. a suite's test binary). */
int apps_store_file(const char *path, char sha[65], char **cause);

/* The path of an app (valid until the next call), NULL when unknown. */
const char *apps_path(const char *sha);

/* Minimal check that data looks like a PE/COFF EFI image ("MZ", "PE\0\0");
 * 0 or -1 with *cause. */
int apps_check_pe(const void *data, size_t len, char **cause);



/* The architecture a PE image is for ("x86_64", "aarch64") from its COFF
 * Machine field; NULL when unknown. */
const char *apps_arch(const void *data, size_t len);
/* The same for a stored app. */
const char *apps_arch_of(const char *sha);
#endif
