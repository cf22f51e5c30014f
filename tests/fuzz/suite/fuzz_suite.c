/*
 * fuzz_suite.c - libFuzzer harness for unittests.cfg (suite_parse).
 *
 * Suites come from developers' trees and uploads, so they are untrusted
 * input. Besides "no crash", the harness checks the contract: a suite or a
 * cause, never both or neither; every cause line names the file; every
 * test has a file and can be found by name.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Icontroller -o build/fuzz_suite tests/fuzz/suite/fuzz_suite.c \
 *       controller/suite.c controller/util.c controller/log.c -lnettle
 *   build/fuzz_suite -max_len=4096 tests/fuzz/suite/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite *s;
	char *text, *cause = NULL, *line;
	size_t i;

	if (size > (1 << 20))
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	s = suite_parse("fuzz.cfg", text, &cause);
	if ((s == NULL) == (cause == NULL))
		abort();
	if (s != NULL) {
		for (i = 0; i < s->ntests; i++) {
			const struct suite_test *t = &s->tests[i];

			if (t->file == NULL || suite_find(s, t->name) != t)
				abort();
			(void)suite_test_selected(t, NULL, "x86_64");
			(void)suite_test_selected(t, "nodefault", "arm64");
		}
		suite_free(s);
	} else {
		for (line = cause; line != NULL; line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			if (strncmp(line, "fuzz.cfg:", 9) != 0)
				abort();
		}
		free(cause);
	}
	free(text);
	return 0;
}
