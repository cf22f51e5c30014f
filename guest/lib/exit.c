/*
 * exit.c - how a program ends: exit(), abort(), and the way back to the
 * loader.
 *
 * exit(code) first POSTs the results when the farm asked for them
 * (post.c), then prints "EXIT: STATUS=<(code << 1) | 1>" (the status QEMU's
 * isa-debug-exit would give, as kvm-unit-tests prints it on arm), then
 * does what FARM_EXIT says:
 *
 *	return    back to the loader (iPXE, farmboot, the shell): efi_main()
 *	          returns EFI_SUCCESS for code 0, else the OEM error status
 *	          0xC000000000000000 | code. Only while boot services run.
 *	reset     a cold reset through the firmware
 *	shutdown  isa-debug-exit with the code (QEMU ends with the status
 *	          above), then a firmware shutdown
 *
 * The default is "return" when FARM_SERVER is set (the farm chained the
 * program and wants the machine back), else "shutdown" (a program booted
 * on its own, e.g. by scripts/qemu-direct.sh). abort() exits with 63, so
 * that QEMU's status is 127, as kvm-unit-tests does.
 */
#include "guest.h"
#include "uefi.h"
#include <efisetjmp.h>

#define ABORT_CODE 63

enum exit_mode { EXIT_RETURN, EXIT_RESET, EXIT_SHUTDOWN };

/* The test program's own. */
int main(int argc, char **argv, char **envp);

static jmp_buf exit_jmp;
static bool exit_jmp_set;
static uint64_t exit_status;

/* FARM_EXIT, or the default for how the program was started. */
static enum exit_mode exit_mode(void)
{
	const char *v = getenv("FARM_EXIT");

	if (v && strcmp(v, "return") == 0)
		return EXIT_RETURN;
	if (v && strcmp(v, "reset") == 0)
		return EXIT_RESET;
	if (v && strcmp(v, "shutdown") == 0)
		return EXIT_SHUTDOWN;
	if (v)
		printf("farm: FARM_EXIT=%s is not return, reset or shutdown\n", v);
	return getenv("FARM_SERVER") ? EXIT_RETURN : EXIT_SHUTDOWN;
}

/* Everything exit() and abort() do after their own line. */
static void __noreturn exit_finish(int code, bool aborted)
{
	static bool posted;
	enum exit_mode mode;

	/* exit() from inside the POST (an assert) must not POST again. */
	if (!posted) {
		posted = true;
		post_results(code, aborted);
	}
	if (!console_at_line_start())
		puts("\n");
	printf("EXIT: STATUS=%d\n", (code << 1) | 1);

	mode = exit_mode();
	if (mode == EXIT_RETURN && exit_jmp_set && efi_boot_services_active()) {
		exit_status = code == 0 ? EFI_SUCCESS : EFIERR_OEM((uint32_t)code);
		longjmp(exit_jmp, 1);
	}
	if (mode == EXIT_RESET)
		efi_rs->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
	arch_debug_exit(code);
	efi_rs->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	for (;;)
		;
}

void exit(int code)
{
	exit_finish(code, false);
}

void exit_aborted(void)
{
	exit_finish(ABORT_CODE, true);
}

void abort(void)
{
	report_abort_line("abort() called");
	exit_finish(ABORT_CODE, true);
}

uint64_t exit_run_main(int argc, char **argv, char **envp)
{
	if (setjmp(exit_jmp) != 0)
		return exit_status;
	exit_jmp_set = true;
	exit(main(argc, argv, envp));
}
