/*
 * reporter.c - prints what its arguments say, to test the console parser
 * and the results POST end to end.
 *
 *	pass:NAME fail:NAME skip:NAME xfail:NAME xpass:NAME info:TEXT
 *	push:PREFIX pop abort hang exit:N
 *
 * in order; '_' in NAME, TEXT and PREFIX prints as a space. "hang" never
 * returns. Without exit:N the program ends with report_summary()'s code.
 */
#include "libcflat.h"

/* The text after "word:" with '_' made ' ', into buf; NULL if arg is not word:... */
static const char *operand(const char *arg, const char *word, char *buf,
    size_t size)
{
	size_t n = strlen(word), i;

	if (strncmp(arg, word, n) != 0 || arg[n] != ':')
		return NULL;
	for (i = 0; arg[n + 1 + i] && i + 1 < size; i++)
		buf[i] = arg[n + 1 + i] == '_' ? ' ' : arg[n + 1 + i];
	buf[i] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	char buf[256];
	const char *s;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((s = operand(a, "pass", buf, sizeof(buf))))
			report_pass("%s", s);
		else if ((s = operand(a, "fail", buf, sizeof(buf))))
			report_fail("%s", s);
		else if ((s = operand(a, "skip", buf, sizeof(buf))))
			report_skip("%s", s);
		else if ((s = operand(a, "xfail", buf, sizeof(buf))))
			report_xfail(true, false, "%s", s);
		else if ((s = operand(a, "xpass", buf, sizeof(buf))))
			report_xfail(true, true, "%s", s);
		else if ((s = operand(a, "info", buf, sizeof(buf))))
			report_info("%s", s);
		else if ((s = operand(a, "push", buf, sizeof(buf))))
			report_prefix_push(s);
		else if (strcmp(a, "pop") == 0)
			report_prefix_pop();
		else if (strcmp(a, "abort") == 0)
			abort();
		else if (strcmp(a, "hang") == 0)
			for (;;)
				__asm__ volatile("" ::: "memory");
		else if ((s = operand(a, "exit", buf, sizeof(buf))))
			exit(atoi(s));
		else
			report_abort("reporter: unknown argument '%s'", a);
	}
	return report_summary();
}
