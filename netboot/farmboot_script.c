/*
 * farmboot_script.c - the job format farmd answers GET /farmboot/<mac>
 * with (docs/boot.md, "farmboot job format").
 *
 * One directive per line, words separated by blanks, '#' lines and empty
 * lines ignored, CR before LF allowed. The first directive is
 * "farmboot 1"; then either "idle", or "poll SECONDS", or a job: "job N",
 * any number of "var NAME VALUE", at most one "dtb URL", one
 * "app URL NAME", any number of "arg VALUE", one "done URL". VALUEs are
 * percent-encoded (%XX) and decoded here; URLs and names are taken as
 * they are and must be printable ASCII. Nothing here touches the
 * firmware: the parser is pure, and every error names its line.
 */
#include "farmboot_script.h"

#define WORDS_MAX 8

/* The state of one parse: where errors go. */
struct parse {
	struct fb_script *s;
	int line;
	char *err;
	size_t size;
};

/* Records the error for the current line; returns -1. */
static int fail(struct parse *p, const char *fmt, ...) __printf(2, 3);
static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->size, fmt, ap);
	va_end(ap);
	return -1;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* True for printable ASCII without blanks. */
static bool printable(const char *s)
{
	for (; *s; s++) {
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	}
	return true;
}

/* Checks a URL word; 0 or -1 with the error. */
static int check_url(struct parse *p, const char *what, const char *url)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return fail(p, "%s: '%.60s' is not an http:// URL", what, url);
	if (!printable(url))
		return fail(p, "%s: URL holds a byte that is not printable ASCII",
		    what);
	if (strlen(url) >= FB_URL_MAX - 64)
		return fail(p, "%s: URL longer than %d", what, FB_URL_MAX - 64);
	return 0;
}

/* Decodes word in place; 0, or -1 when it is not %XX-clean or holds a NUL. */
static int decode(struct parse *p, const char *what, char *word)
{
	size_t n = strlen(word);
	long len = percent_decode(word, word, n + 1);

	if (len < 0)
		return fail(p, "%s: bad percent-encoding", what);
	if ((size_t)len != strlen(word))
		return fail(p, "%s: value holds a NUL byte", what);
	return 0;
}

/* Parses a decimal number word into *v; 0 or -1. */
static int number(const char *w, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*w) || strlen(w) > 9)
		return -1;
	*v = strtoul(w, &end, 10);
	return *end ? -1 : 0;
}

/* Each directive: its word count range and what it does. */
struct directive {
	const char *name;
	int min, max;		/* words after the name */
	enum fb_kind kind;	/* what it makes the script; FB_NONE: no change */
	int (*fn)(struct parse *p, char **w, int n);
};

static int d_job(struct parse *p, char **w, int n)
{
	(void)n;
	if (number(w[0], &p->s->job) < 0)
		return fail(p, "job: '%.20s' is not a job number", w[0]);
	return 0;
}

static int d_poll(struct parse *p, char **w, int n)
{
	(void)n;
	if (number(w[0], &p->s->poll_s) < 0 || p->s->poll_s > 3600)
		return fail(p, "poll: '%.20s' is not 0..3600 seconds", w[0]);
	return 0;
}

static int d_idle(struct parse *p, char **w, int n)
{
	(void)p, (void)w, (void)n;
	return 0;
}

static int d_var(struct parse *p, char **w, int n)
{
	struct fb_script *s = p->s;

	if (s->nvars == FB_MAX_VARS)
		return fail(p, "var: more than %d variables", FB_MAX_VARS);
	if (strlen(w[0]) > 128)
		return fail(p, "var: name longer than 128");
	for (const char *c = w[0]; *c; c++) {
		if (!name_char(*c))
			return fail(p, "var %.40s: bad character in the name", w[0]);
	}
	if (n == 2 && decode(p, "var", w[1]) < 0)
		return -1;
	s->vars[s->nvars].name = w[0];
	s->vars[s->nvars].value = n == 2 ? w[1] : "";
	s->nvars++;
	return 0;
}

static int d_dtb(struct parse *p, char **w, int n)
{
	(void)n;
	if (p->s->dtb)
		return fail(p, "dtb: a second dtb line");
	if (check_url(p, "dtb", w[0]) < 0)
		return -1;
	p->s->dtb = w[0];
	return 0;
}

static int d_app(struct parse *p, char **w, int n)
{
	(void)n;
	if (p->s->app)
		return fail(p, "app: a second app line");
	if (check_url(p, "app", w[0]) < 0)
		return -1;
	if (!printable(w[1]) || strlen(w[1]) > 128)
		return fail(p, "app: name '%.40s' is not printable ASCII of at most "
		    "128 bytes", w[1]);
	p->s->app = w[0];
	p->s->app_name = w[1];
	return 0;
}

static int d_arg(struct parse *p, char **w, int n)
{
	struct fb_script *s = p->s;

	(void)n;
	if (s->nargs == FB_MAX_ARGS)
		return fail(p, "arg: more than %d arguments", FB_MAX_ARGS);
	if (decode(p, "arg", w[0]) < 0)
		return -1;
	if (!*w[0] || strchr(w[0], ' ') || strchr(w[0], '\t'))
		return fail(p, "arg: an empty value or one with a blank cannot be "
		    "passed in LoadOptions");
	s->args[s->nargs++] = w[0];
	return 0;
}

static int d_done(struct parse *p, char **w, int n)
{
	(void)n;
	if (p->s->done)
		return fail(p, "done: a second done line");
	if (check_url(p, "done", w[0]) < 0)
		return -1;
	p->s->done = w[0];
	return 0;
}

static const struct directive directives[] = {
	{ .name = "job", .min = 1, .max = 1, .kind = FB_JOB, .fn = d_job },
	{ .name = "idle", .min = 0, .max = 0, .kind = FB_IDLE, .fn = d_idle },
	{ .name = "poll", .min = 1, .max = 1, .kind = FB_POLL, .fn = d_poll },
	{ .name = "var", .min = 1, .max = 2, .kind = FB_JOB, .fn = d_var },
	{ .name = "dtb", .min = 1, .max = 1, .kind = FB_JOB, .fn = d_dtb },
	{ .name = "app", .min = 2, .max = 2, .kind = FB_JOB, .fn = d_app },
	{ .name = "arg", .min = 1, .max = 1, .kind = FB_JOB, .fn = d_arg },
	{ .name = "done", .min = 1, .max = 1, .kind = FB_JOB, .fn = d_done },
};

/* Parses one line's words (w[0] the directive); 0 or -1. */
static int parse_line(struct parse *p, char **w, int n, bool *header)
{
	const struct directive *d = NULL;

	if (!*header) {
		if (strcmp(w[0], "farmboot") != 0)
			return fail(p, "'%.20s': the script must start with "
			    "'farmboot 1'", w[0]);
		if (n != 2 || strcmp(w[1], "1") != 0)
			return fail(p, "farmboot: version %.10s, this loader "
			    "knows 1", n > 1 ? w[1] : "(none)");
		*header = true;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++) {
		if (strcmp(directives[i].name, w[0]) == 0)
			d = &directives[i];
	}
	if (!d)
		return fail(p, "unknown directive '%.20s'", w[0]);
	if (n - 1 < d->min || n - 1 > d->max)
		return fail(p, d->max > d->min ? "%s: %d words after it, want "
		    "%d to %d" : "%s: %d words after it, want %d", d->name, n - 1,
		    d->min, d->max);
	if (p->s->kind != FB_NONE && p->s->kind != d->kind)
		return fail(p, "%s: idle, poll and a job do not mix", d->name);
	if ((d->kind == FB_IDLE || d->kind == FB_POLL) && p->s->kind == d->kind)
		return fail(p, "%s: a second time", d->name);
	if (d->fn == d_job && p->s->kind == FB_JOB && p->s->job)
		return fail(p, "job: a second job line");
	p->s->kind = d->kind;
	return d->fn(p, &w[1], n - 1);
}

int fb_script_parse(char *text, struct fb_script *s, int *line, char *err,
    size_t size)
{
	struct parse p = { .s = s, .line = 0, .err = err, .size = size };
	char *next, *w[WORDS_MAX + 1];
	bool header = false;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	*line = 0;
	for (char *l = text; l && rc == 0; l = next) {
		size_t n;
		int nw;

		p.line++;
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		n = strlen(l);
		if (n && l[n - 1] == '\r')
			l[--n] = '\0';
		if (l[0] == '#')
			continue;
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)l[i] < ' ' && l[i] != '\t') {
				rc = fail(&p, "control byte 0x%02x", l[i]);
				break;
			}
		}
		if (rc)
			break;
		nw = args_split(l, w, WORDS_MAX + 1);
		if (nw == 0)
			continue;
		if (nw > WORDS_MAX)
			rc = fail(&p, "too many words");
		else
			rc = parse_line(&p, w, nw, &header);
	}
	/* A later done line still tells where to report a failure. */
	for (char *l = next; rc && l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(l, "done ", 5) == 0 && !s->done) {
			int nw = args_split(l, w, WORDS_MAX + 1);

			if (nw == 2 && check_url(&(struct parse){ s, 0, NULL, 0 },
			    "done", w[1]) == 0)
				s->done = w[1];
		}
	}
	if (rc) {
		*line = p.line;
		return -1;
	}
	if (!header)
		return fail(&p, "empty script: no 'farmboot 1' line");
	if (s->kind == FB_NONE)
		return fail(&p, "no directive after 'farmboot 1'");
	if (s->kind == FB_JOB) {
		if (!s->job)
			return fail(&p, "a job without a 'job N' line");
		if (!s->app)
			return fail(&p, "job %lu: no app line", s->job);
		if (!s->done)
			return fail(&p, "job %lu: no done line", s->job);
	}
	return 0;
}

int fb_dhcp_option(const unsigned char *pkt, size_t len, int code, char *out,
    size_t size)
{
	size_t i = 240, n = 0;
	int found = 0;

	if (size == 0 || len < 240 || pkt[236] != 99 || pkt[237] != 130 ||
	    pkt[238] != 83 || pkt[239] != 99)
		return -1;
	while (i < len) {
		unsigned c = pkt[i], l;

		if (c == 0) {           /* pad */
			i++;
			continue;
		}
		if (c == 255)           /* end */
			break;
		if (i + 1 >= len || i + 2 + pkt[i + 1] > len)
			return -1;
		l = pkt[i + 1];
		if (c == (unsigned)code) {
			if (n + l >= size)
				return -1;
			for (unsigned k = 0; k < l; k++) {
				unsigned char b = pkt[i + 2 + k];

				if (b < 0x21 || b > 0x7e)
					return -1;
				out[n++] = (char)b;
			}
			found = 1;
		}
		i += 2 + l;
	}
	out[n] = '\0';
	return found && n > 0 ? 0 : -1;
}
