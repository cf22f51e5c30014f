/*
 * libfdt_env.h - what libfdt's header (libfdt.h) asks of its environment,
 * given by the guest library.
 *
 * libfdt.h includes <libfdt_env.h> for its integer types, the big-endian
 * cell types and their conversions, and the string functions its macros
 * call. Debian's own libfdt_env.h takes them from the hosted C library
 * (<stdlib.h>, <string.h>), which a guest program does not have; this one
 * is found first (guest/lib is on the include path before libfdt's
 * headers) and takes them from libcflat.h. The types are the same plain
 * integers, so Debian's libfdt.a links against it unchanged.
 */
#ifndef FARM_LIBFDT_ENV_H
#define FARM_LIBFDT_ENV_H

#include "libcflat.h"

/* Big-endian values as stored in the tree. */
typedef uint16_t fdt16_t;
typedef uint32_t fdt32_t;
typedef uint64_t fdt64_t;

/* The value whose n bytes, in memory order, are the big-endian number. */
static inline uint64_t fdt_env_be(const void *p, int n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static inline uint16_t fdt16_to_cpu(fdt16_t x)
{
	return (uint16_t)fdt_env_be(&x, 2);
}

static inline fdt16_t cpu_to_fdt16(uint16_t x)
{
	return (fdt16_t)fdt_env_be(&x, 2);
}

static inline uint32_t fdt32_to_cpu(fdt32_t x)
{
	return (uint32_t)fdt_env_be(&x, 4);
}

static inline fdt32_t cpu_to_fdt32(uint32_t x)
{
	return (fdt32_t)fdt_env_be(&x, 4);
}

static inline uint64_t fdt64_to_cpu(fdt64_t x)
{
	return fdt_env_be(&x, 8);
}

static inline fdt64_t cpu_to_fdt64(uint64_t x)
{
	return fdt_env_be(&x, 8);
}

#endif
