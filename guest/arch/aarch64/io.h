/*
 * io.h - aarch64 device register access: single 32-bit loads and stores
 * that the compiler neither merges, splits nor reorders, with the barriers
 * a device needs around them.
 */
#ifndef FARM_AARCH64_IO_H
#define FARM_AARCH64_IO_H

#include <stdint.h>

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	__asm__ volatile("dmb ld" ::: "memory");
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	__asm__ volatile("dmb st" ::: "memory");
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

#endif
