/*
 * efi.c - the program's entry point, efi_main(), and what it sets up.
 *
 * gnu-efi's crt0 relocates the image and calls efi_main(). Before main()
 * runs: the firmware watchdog is stopped (a test may take longer than its
 * five minutes; the farm has its own deadlines), the environment is read
 * from the farm's EFI variables, the console is set up as they say, argv
 * is built from LoadOptions, the case list is allocated and the stack
 * protector's canary is put where libfdt reads it (stackguard.c).
 * efi_main() returns only when exit() returns to the loader; it then
 * restores the firmware's state and frees what the library allocated, so
 * a loader that runs job after job loses nothing.
 */
#include "guest.h"
#include "uefi.h"

EFI_HANDLE efi_image_handle;
EFI_SYSTEM_TABLE *efi_system_table;
EFI_BOOT_SERVICES *efi_bs;
EFI_RUNTIME_SERVICES *efi_rs;
EFI_LOADED_IMAGE *efi_loaded_image;

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_STATUS st;
	char **argv;
	int argc;

	efi_image_handle = image;
	efi_system_table = systab;
	efi_bs = systab->BootServices;
	efi_rs = systab->RuntimeServices;

	st = efi_bs->HandleProtocol(image, &loaded_image_guid,
	    (void **)&efi_loaded_image);
	if (st != EFI_SUCCESS) {
		printf("farm: no loaded image protocol: %#lx\n", (unsigned long)st);
		return st;
	}
	efi_bs->SetWatchdogTimer(0, 0, 0, NULL);

	env_load();
	console_init();
	argv_load(&argc, &argv);
	report_init();
	stackguard_init();

	st = exit_run_main(argc, argv, environ);

	stackguard_fini();
	dt_free();
	report_free();
	argv_free();
	env_free();
	return st;
}

bool efi_boot_services_active(void)
{
	return efi_bs != NULL;
}
