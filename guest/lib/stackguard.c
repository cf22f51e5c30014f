/*
 * stackguard.c - what code built with gcc's stack protector needs: the
 * canary and __stack_chk_fail().
 *
 * The library itself is built without the stack protector, but Debian's
 * libfdt.a (linked into the programs that read the device tree) is built
 * with it: each protected function stores the canary in its frame on
 * entry and calls __stack_chk_fail() when the copy differs on return.
 * Where it reads the canary depends on the architecture:
 *
 * - aarch64: the global __stack_chk_guard, defined here.
 * - x86_64: %fs:0x28, glibc's thread block. Firmware leaves the FS base at
 *   0, so that would read linear address 0x28 - the real-mode interrupt
 *   table on a PC, and a page fault on firmware that unmaps page 0 to
 *   catch NULL pointers. stackguard_init() points the FS base (MSR
 *   IA32_FS_BASE) at a block of the library's own whose word at 0x28 is
 *   the canary, and stackguard_fini() puts the firmware's value back
 *   before the program returns to its loader. UEFI runs at ring 0, so the
 *   MSR is writable; EDK2 and iPXE do not use FS.
 *
 * The canary catches overruns, not attackers: a fixed value, with a zero
 * low byte (stored first) so that a string copy running past a buffer
 * stops there, as glibc's does.
 */
#include "guest.h"

#define STACKGUARD_CANARY 0x5eb1d2c47a3f9e00ul

uintptr_t __stack_chk_guard = STACKGUARD_CANARY;

void __stack_chk_fail(void) __noreturn;

void __stack_chk_fail(void)
{
	report_abort("stack protector: a function's stack frame was overwritten");
}

#if defined(__x86_64__)
#define MSR_FS_BASE 0xc0000100u

/* glibc's thread block as far as the canary: the word at 0x28. */
static uint64_t stackguard_tcb[6] = { [5] = STACKGUARD_CANARY };
static uint64_t stackguard_saved_fs;
static bool stackguard_set;

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
	    "d"((uint32_t)(v >> 32)) : "memory");
}

void stackguard_init(void)
{
	stackguard_saved_fs = rdmsr(MSR_FS_BASE);
	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)stackguard_tcb);
	stackguard_set = true;
}

void stackguard_fini(void)
{
	if (stackguard_set)
		wrmsr(MSR_FS_BASE, stackguard_saved_fs);
	stackguard_set = false;
}
#else
void stackguard_init(void)
{
}

void stackguard_fini(void)
{
}
#endif
