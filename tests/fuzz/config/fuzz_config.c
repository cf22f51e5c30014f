/*
 * fuzz_config.c - libFuzzer harness for farm.conf (config_parse).
 *
 * A farm.conf is written by the lab's admin, but farmd -n is how people
 * find out what is wrong with a broken one, so no input may crash it. The
 * harness also checks the contract: a farm or a cause, never both or
 * neither, and every cause line names the file.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Icontroller -o build/fuzz_config tests/fuzz/config/fuzz_config.c \
 *       controller/config.c controller/util.c controller/log.c -lnettle
 *   build/fuzz_config -max_len=4096 tests/fuzz/config/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct farm_conf *c;
	char *text, *cause = NULL, *line;
	char *tags[] = { NULL };
	size_t i;

	if (size > (1 << 20))
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	c = config_parse("fuzz.conf", "/etc/farm", text, &cause);
	if ((c == NULL) == (cause == NULL))
		abort();
	if (c != NULL) {
		for (i = 0; i < c->nmachines; i++) {
			const struct machine_conf *m = &c->machines[i];

			if (config_machine(c, m->name) != m ||
			    config_machine_by_mac(c, m->mac) != m)
				abort();
			if (m->ntags == 0 || strncmp(m->tags[0], "arch=", 5) != 0)
				abort();
			tags[0] = m->tags[0];
			if (!config_machine_matches(m, tags, 1))
				abort();
		}
		config_free(c);
	} else {
		for (line = cause; line != NULL; line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			if (strncmp(line, "fuzz.conf:", 10) != 0)
				abort();
		}
		free(cause);
	}
	free(text);
	return 0;
}
