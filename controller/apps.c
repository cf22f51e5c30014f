/*
 * apps.c - the app store. Names are the SHA-256 of the content, so a
 * rebuilt binary is a new app, a job always runs exactly what was
 * scheduled, and storing the same binary twice costs nothing.
 */
#include "apps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char *apps_dir;
static char *apps_last;

int
apps_init(const char *state_dir)
{
	free(apps_dir);
	apps_dir = xasprintf("%s/apps", state_dir);
	return mkdir_p(apps_dir, 0755);
}

void
apps_free(void)
{
	free(apps_dir);
	free(apps_last);
	apps_dir = apps_last = NULL;
}

int
apps_valid_sha(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

const char *
apps_path(const char *sha)
{
	struct stat st;

	if (!apps_valid_sha(sha))
		return NULL;
	free(apps_last);
	apps_last = xasprintf("%s/%s.efi", apps_dir, sha);
	if (stat(apps_last, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	return apps_last;
}

int
apps_check_pe(const void *data, size_t len, char **cause)
{
	const unsigned char *p = data;
	uint32_t off;

	if (len < 64 || p[0] != 'M' || p[1] != 'Z') {
		*cause = xstrdup("not an EFI application: no MZ header");
		return -1;
	}
	off = (uint32_t)p[60] | (uint32_t)p[61] << 8 | (uint32_t)p[62] << 16 |
	    (uint32_t)p[63] << 24;
	if (off > len - 4 || memcmp(p + off, "PE\0\0", 4) != 0) {
		*cause = xstrdup("not an EFI application: no PE signature");
		return -1;
	}
	return 0;
}

int
apps_store(const void *data, size_t len, char sha[65], char **cause)
{
	char *path;

	if (apps_check_pe(data, len, cause) < 0)
		return -1;
	sha256_hex(data, len, sha);
	path = xasprintf("%s/%s.efi", apps_dir, sha);
	if (access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	if (write_file_atomic(path, data, len, 0644) < 0) {
		*cause = xasprintf("app store %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 1;
}

int
apps_store_file(const char *path, char sha[65], char **cause)
{
	size_t len;
	char *data = read_file(path, &len);
	int rc;

	if (data == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = apps_store(data, len, sha, cause);
	free(data);
	return rc;
}

const char *
apps_arch(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *cause = NULL;
	uint32_t off;
	unsigned machine;

	if (apps_check_pe(data, len, &cause) < 0) {
		free(cause);
		return NULL;
	}
	off = (uint32_t)p[60] | (uint32_t)p[61] << 8 | (uint32_t)p[62] << 16 |
	    (uint32_t)p[63] << 24;
	if (off > len - 6)
		return NULL;
	machine = p[off + 4] | p[off + 5] << 8;
	switch (machine) {
	case 0x8664:
		return "x86_64";
	case 0xaa64:
		return "aarch64";
	default:
		return NULL;
	}
}

const char *
apps_arch_of(const char *sha)
{
	const char *path = apps_path(sha);
	char head[4096];
	ssize_t n;
	int fd;

	if (path == NULL)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n > 0 ? apps_arch(head, (size_t)n) : NULL;
}
