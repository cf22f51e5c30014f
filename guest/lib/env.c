/*
 * env.c - the environment: every EFI variable under the farm's vendor GUID.
 *
 * setvar.efi (or the EFI shell's "setvar NAME -guid ... -rt =L\"VALUE\"",
 * the way kvm-unit-tests passes fdtfile) stores each variable as a UTF-16
 * string; kvm-unit-tests' efi_get_var() reads such a value by adding its
 * own NUL after the stored bytes, so a value may be stored with or without
 * a terminating NUL. Here too: the value ends at the stored size or at the
 * first NUL, whichever comes first. Names and values become UTF-8
 * "NAME=VALUE" strings in environ, in the firmware's order, read once
 * before main().
 */
#include "guest.h"
#include "uefi.h"

#define ENV_MAX 1024		/* variables kept; more are ignored */
#define ENV_WALK_MAX 100000	/* variables looked at, against looping firmware */

char **environ;
static char *env_empty[1];
static char **env_vec;
static size_t env_count, env_cap;

/* Appends "name=value" (built from UTF-16) to env_vec. */
static void env_add(const CHAR16 *name, const CHAR16 *value, size_t value_units)
{
	size_t nlen = utf16_to_utf8(name, (size_t)-1, NULL, 0);
	size_t vlen = utf16_to_utf8(value, value_units, NULL, 0);
	char *s;

	if (env_count + 1 >= env_cap) {
		size_t cap = env_cap ? env_cap * 2 : 32;
		char **v = pool_alloc(cap * sizeof(*v));

		if (!v)
			return;
		if (env_vec) {
			memcpy(v, env_vec, env_count * sizeof(*v));
			pool_free(env_vec);
		}
		env_vec = v;
		env_cap = cap;
	}
	s = pool_alloc(nlen + 1 + vlen + 1);
	if (!s)
		return;
	utf16_to_utf8(name, (size_t)-1, s, nlen + 1);
	if (nlen == 0 || strchr(s, '=')) {
		pool_free(s);
		return;
	}
	s[nlen] = '=';
	utf16_to_utf8(value, value_units, s + nlen + 1, vlen + 1);
	env_vec[env_count++] = s;
	env_vec[env_count] = NULL;
}

/* Reads variable name under guid and adds it. */
static void env_read(const CHAR16 *name, EFI_GUID *guid)
{
	UINTN size = 0;
	CHAR16 *value;
	EFI_STATUS st;

	st = efi_rs->GetVariable((CHAR16 *)name, guid, NULL, &size, NULL);
	if (st != EFI_BUFFER_TOO_SMALL && st != EFI_SUCCESS)
		return;
	value = pool_alloc(size + sizeof(CHAR16));
	if (!value)
		return;
	st = efi_rs->GetVariable((CHAR16 *)name, guid, NULL, &size, value);
	if (st == EFI_SUCCESS)
		env_add(name, value, size / sizeof(CHAR16));
	pool_free(value);
}

void env_load(void)
{
	EFI_GUID farm = FARM_VAR_GUID_INIT, guid;
	UINTN cap = 128 * sizeof(CHAR16), size;
	CHAR16 *name, *bigger;
	EFI_STATUS st;
	int walked;

	environ = env_empty;
	name = pool_alloc(cap);
	if (!name)
		return;
	name[0] = 0;
	for (walked = 0; walked < ENV_WALK_MAX && env_count < ENV_MAX; walked++) {
		size = cap;
		st = efi_rs->GetNextVariableName(&size, name, &guid);
		if (st == EFI_BUFFER_TOO_SMALL && size > cap) {
			/* The next call needs the previous name: carry it over. */
			bigger = pool_alloc(size);
			if (!bigger)
				break;
			memcpy(bigger, name, cap);
			pool_free(name);
			name = bigger;
			cap = size;
			continue;
		}
		if (st != EFI_SUCCESS)
			break;
		if (memcmp(&guid, &farm, sizeof(guid)) == 0)
			env_read(name, &guid);
	}
	pool_free(name);
	if (env_vec)
		environ = env_vec;
}

void env_free(void)
{
	for (size_t i = 0; i < env_count; i++)
		pool_free(env_vec[i]);
	pool_free(env_vec);
	env_vec = NULL;
	env_count = env_cap = 0;
	environ = env_empty;
}

char *getenv(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	}
	return NULL;
}
