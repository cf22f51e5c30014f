/*
 * replay.c - runs a libFuzzer harness without libFuzzer: every file named
 * on the command line (or found directly inside a directory named there)
 * goes once through LLVMFuzzerTestOneInput. make check builds each harness
 * this way with gcc, AddressSanitizer and UndefinedBehaviorSanitizer, so the
 * corpora and the kept crashers are regression tests that need no clang.
 *
 *   build/tests/fuzz/replay_NAME tests/fuzz/NAME/corpus tests/fuzz/NAME/crashers
 *
 * A crash aborts the process (the sanitizers print where); before each
 * input the file's name goes to stderr, so the culprit is named. On success
 * it prints "replayed N inputs" and exits 0; a path it cannot read is an
 * error (exit 2), a missing directory is not (crashers/ may not exist yet).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static int verbose;

/* Reads a whole file; NULL with errno set. Caller frees. */
static uint8_t *
replay_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 4096;
			p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

/* Feeds one file to the harness; 0 or -1 when it cannot be read. The
 * harness gets a copy of exactly len bytes, so reads past the end are
 * caught as they are under libFuzzer. */
static int
replay_file(const char *path)
{
	size_t len = 0;
	uint8_t *data = replay_read(path, &len), *copy;

	if (data == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	copy = malloc(len ? len : 1);
	if (copy == NULL) {
		free(data);
		return -1;
	}
	memcpy(copy, data, len);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	free(data);
	return 0;
}

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file directly in dir, in name order; the count
 * replayed, or -1. */
static int
replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	int count = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char **p;

		if (e->d_name[0] == '.')
			continue;
		p = realloc(names, (n + 1) * sizeof(*names));
		if (p == NULL)
			break;
		names = p;
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (names[n] == NULL)
			break;
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), replay_cmp);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (count >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(names[i]) < 0)
				count = -1;
			else
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	int i, total = 0, n;
	struct stat st;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) :
		    (replay_file(argv[i]) == 0 ? 1 : -1);
		if (n < 0)
			return 2;
		total += n;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
