/*
 * foreign.c - an EFI test program NOT built with farm's guest library, for
 * the end-to-end tests: plain gnu-efi, output through the firmware console
 * (ConOut), the kvm-unit-tests protocol written by hand, and an ending the
 * way upstream binaries end. Its load options choose:
 *
 *   fail      report one failing case too
 *   reset     end with ResetSystem(EfiResetShutdown) after an EXIT: line
 *             (otherwise: isa-debug-exit, as kvm-unit-tests on x86 does)
 */
#include <efi.h>
#include <efilib.h>

/* 1 when the load options contain word (a crude search is enough here). */
static int
has_option(EFI_LOADED_IMAGE *li, const CHAR16 *word)
{
	const CHAR16 *s = li->LoadOptions;
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16), wl = StrLen(word), i;

	if (s == NULL)
		return 0;
	for (i = 0; i + wl <= n; i++)
		if (CompareMem(s + i, word, wl * sizeof(CHAR16)) == 0)
			return 1;
	return 0;
}

static void
debug_exit(UINT32 code)
{
	__asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((UINT16)0xf4));
}

EFI_STATUS
efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_LOADED_IMAGE *li = NULL;
	int fail, code;

	InitializeLib(image, st);
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
	    (void **)&li);
	fail = li && has_option(li, L"fail");
	Print(L"foreign: a program built without farm's library\r\n");
	Print(L"PASS: foreign: firmware console works\r\n");
	Print(L"PASS: foreign: load options seen\r\n");
	if (fail)
		Print(L"FAIL: foreign: asked to fail\r\n");
	Print(L"SUMMARY: %d tests%s\r\n", fail ? 3 : 2,
	    fail ? L", 1 unexpected failures" : L"");
	code = fail ? 1 : 0;
	if (li && has_option(li, L"reset")) {
		Print(L"EXIT: STATUS=%d\r\n", (code << 1) | 1);
		uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0,
		    NULL);
	}
	debug_exit(code);
	return EFI_SUCCESS;
}
