/*
 * setvar.c - stores NAME=VALUE arguments as EFI variables for the program
 * iPXE chains next.
 *
 *	chain setvar.efi FARM_JOB=12 FARM_SERVER=http%3A%2F%2F10.99.0.1%3A8080
 *
 * iPXE cannot write EFI variables; this small EFI program does it for the
 * boot script. Each argument NAME=VALUE becomes a volatile variable
 * (boot-service and runtime access) under the farm's vendor GUID
 * 97ef3e03-7329-4a6a-b9ba-6c1fdcc5f823, the one kvm-unit-tests reads.
 *
 *   NAME   letters, digits, '_', '.', '-'; at most 128 characters.
 *   VALUE  percent-encoded UTF-8 (%XX, either case; every other byte as
 *          is). It is stored as UTF-16LE code units without a terminating
 *          NUL, exactly what the EFI shell's `setvar NAME -guid ... -rt
 *          =L"VALUE"` stores and what kvm-unit-tests' efi_get_var() and the
 *          guest library read. An empty value is stored as one NUL code
 *          unit (2 bytes), since a size of 0 would delete the variable.
 *
 * By default the variables under the GUID that are already there are
 * deleted first, so that a job never sees what an earlier job on the same
 * boot set; the option -k (before the first NAME=VALUE) keeps them, for a
 * script that needs more than one setvar call. argv[0] (the image name
 * iPXE puts first) is skipped when it has no '='. Every argument is checked
 * before anything changes: a bad one changes nothing and returns
 * EFI_INVALID_PARAMETER with a message on the console. Success is silent
 * and returns EFI_SUCCESS.
 */
#include <efi.h>
#include "conout.h"
#include "efivars.h"
#include "guest.h"

#define NAME_MAX_LEN	128
#define VALUE_MAX_LEN	4096	/* bytes, decoded */
#define ARGS_MAX	256
#define DELETE_MAX	1024

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;
static EFI_RUNTIME_SERVICES *rs;
static EFI_GUID farm_guid = FARM_VAR_GUID_INIT;

/* One argument, checked and converted. */
struct var {
	CHAR16 *name;		/* NUL-ended */
	CHAR16 *value;		/* value_units code units */
	size_t value_units;
};

/* Prints "setvar: " and the message on the console (ConOut). */
static void say(const char *fmt, ...) __printf(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conout_vsay(st->ConOut, "setvar", fmt, ap);
	va_end(ap);
}

static void *alloc(size_t size)
{
	void *p = NULL;

	if (bs->AllocatePool(EfiLoaderData, size, &p) != EFI_SUCCESS)
		return NULL;
	return p;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/*
 * Checks and converts argument arg (number i) into *v; 0, or -1 with a
 * message. What *v holds is the caller's to free, also on failure.
 */
static int parse_arg(int i, const char *arg, struct var *v)
{
	const char *eq = strchr(arg, '=');
	size_t nlen;
	char *value = NULL;
	long vlen, units;
	int rc = -1;

	if (!eq || eq == arg) {
		say("argument %d '%.40s': not NAME=VALUE", i, arg);
		return -1;
	}
	nlen = (size_t)(eq - arg);
	if (nlen > NAME_MAX_LEN) {
		say("argument %d: name longer than %d", i, NAME_MAX_LEN);
		return -1;
	}
	for (size_t k = 0; k < nlen; k++) {
		if (!name_char(arg[k])) {
			say("argument %d '%.*s': bad character in the name", i,
			    (int)nlen, arg);
			return -1;
		}
	}
	v->name = alloc((nlen + 1) * sizeof(CHAR16));
	value = alloc(strlen(eq + 1) + 1);
	if (!v->name || !value) {
		say("out of memory");
		goto out;
	}
	utf8_to_utf16(arg, nlen, (uint16_t *)v->name, nlen);
	v->name[nlen] = 0;

	vlen = percent_decode(eq + 1, value, strlen(eq + 1) + 1);
	if (vlen < 0) {
		say("%.*s: bad percent-encoding in the value", (int)nlen, arg);
		goto out;
	}
	if (vlen > VALUE_MAX_LEN) {
		say("%.*s: value longer than %d bytes", (int)nlen, arg,
		    VALUE_MAX_LEN);
		goto out;
	}
	units = utf8_to_utf16(value, (size_t)vlen, NULL, 0);
	if (units < 0) {
		say("%.*s: value is not UTF-8 text (or holds a NUL)", (int)nlen,
		    arg);
		goto out;
	}
	v->value_units = units ? (size_t)units : 1;
	v->value = alloc(v->value_units * sizeof(CHAR16));
	if (!v->value) {
		say("out of memory");
		goto out;
	}
	v->value[0] = 0;
	utf8_to_utf16(value, (size_t)vlen, (uint16_t *)v->value, (size_t)units);
	rc = 0;
out:
	if (value)
		bs->FreePool(value);
	return rc;
}

/* The command line from LoadOptions as UTF-8, in pool memory; NULL if none. */
static char *command_line(EFI_HANDLE image)
{
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	size_t units, len;
	char *line;

	if (bs->HandleProtocol(image, &li_guid, (void **)&li) != EFI_SUCCESS ||
	    !li->LoadOptions)
		return NULL;
	units = li->LoadOptionsSize / sizeof(CHAR16);
	len = utf16_to_utf8(li->LoadOptions, units, NULL, 0);
	line = alloc(len + 1);
	if (line)
		utf16_to_utf8(li->LoadOptions, units, line, len + 1);
	return line;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	const UINT32 attrs = EFI_VARIABLE_BOOTSERVICE_ACCESS |
	    EFI_VARIABLE_RUNTIME_ACCESS;
	char *argv[ARGS_MAX], *line;
	struct var *vars = NULL;
	int argc, first = 0, nvars, i;
	bool keep = false;
	EFI_STATUS s = EFI_SUCCESS;

	st = systab;
	bs = systab->BootServices;
	rs = systab->RuntimeServices;

	line = command_line(image);
	argc = line ? args_split(line, argv, ARGS_MAX) : 0;
	if (argc == ARGS_MAX) {
		say("more than %d arguments", ARGS_MAX - 2);
		s = EFI_INVALID_PARAMETER;
		goto out;
	}
	if (argc > 0 && !strchr(argv[0], '='))
		first = 1;
	if (first < argc && strcmp(argv[first], "-k") == 0) {
		keep = true;
		first++;
	}
	nvars = argc - first;
	vars = alloc((size_t)(nvars > 0 ? nvars : 1) * sizeof(*vars));
	if (!vars) {
		say("out of memory");
		s = EFI_OUT_OF_RESOURCES;
		goto out;
	}
	memset(vars, 0, (size_t)(nvars > 0 ? nvars : 1) * sizeof(*vars));
	for (i = 0; i < nvars; i++) {
		if (parse_arg(first + i, argv[first + i], &vars[i]) < 0) {
			s = EFI_INVALID_PARAMETER;
			goto out;
		}
	}

	if (!keep) {
		s = efivars_clear(bs, rs, &farm_guid, DELETE_MAX);
		if (s != EFI_SUCCESS) {
			say("cannot delete the old variables: %#lx", (unsigned long)s);
			goto out;
		}
	}
	for (i = 0; i < nvars; i++) {
		struct var *v = &vars[i];

		/* A non-volatile variable of the name would refuse new attributes. */
		rs->SetVariable(v->name, &farm_guid, 0, 0, NULL);
		s = rs->SetVariable(v->name, &farm_guid, attrs,
		    v->value_units * sizeof(CHAR16), v->value);
		if (s != EFI_SUCCESS) {
			say("%s: SetVariable: %#lx", argv[first + i],
			    (unsigned long)s);
			goto out;
		}
	}

out:
	if (vars) {
		for (i = 0; i < argc - first; i++) {
			if (vars[i].name)
				bs->FreePool(vars[i].name);
			if (vars[i].value)
				bs->FreePool(vars[i].value);
		}
		bs->FreePool(vars);
	}
	if (line)
		bs->FreePool(line);
	return s;
}
