/*
 * debug_exit.c - QEMU's isa-debug-exit device (-device
 * isa-debug-exit,iobase=0xf4,iosize=0x4): writing code to port 0xf4 ends
 * QEMU with status (code << 1) | 1, as kvm-unit-tests' x86 exit() uses it.
 * Without the device the write does nothing and the caller goes on to
 * shut the machine down through the firmware.
 */
#include "guest.h"
#include "io.h"

#define DEBUG_EXIT_PORT 0xf4

void arch_debug_exit(int code)
{
	outl((uint32_t)code, DEBUG_EXIT_PORT);
}
