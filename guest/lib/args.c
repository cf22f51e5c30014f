/*
 * args.c - a command line into words.
 *
 * LoadOptions carry one line, "program arg arg ...", as iPXE, the EFI shell
 * and guest/tools/launch.efi pass it. Words are split on spaces and tabs,
 * without quoting, as kvm-unit-tests' setup_args() splits its command
 * line: a value with spaces is passed through an EFI variable instead.
 */
#include "guest.h"

int args_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	while (argc < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}
