/*
 * fuzz_results.c - libFuzzer entry for results.c, the parsers of what a
 * machine under test sends: console bytes and the results POST body.
 *
 * For each input it checks, besides the sanitizers' own checks, that the
 * console parser gives the same cases and state whether the bytes come
 * whole or in pieces (the sizes are taken from the input itself), that
 * every case name is valid UTF-8 within RESULTS_MAX_LINE, and that every
 * outcome rule gives an answer with a one-line reason. The same bytes then
 * go to the POST parser; a body it accepts must read the same through
 * jansson alone (its fast path may take only what jansson would).
 *
 * Build and run (not part of make check yet):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Icontroller tests/fuzz/results/fuzz_results.c controller/results.c \
 *       controller/util.c controller/log.c -ljansson -lnettle \
 *       -o build/fuzz_results
 *   build/fuzz_results -max_len=65536 tests/fuzz/results/corpus
 * Keep any crasher it finds in corpus/ as a regression case.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What a parse saw, folded into a hash so two parses compare cheaply. */
struct digest {
	uint64_t hash;
	int n;
};

static void
fold(struct digest *d, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		d->hash ^= p[i];
		d->hash *= 0x100000001b3ULL;
	}
}

static void
on_case(void *arg, const struct testcase *tc)
{
	struct digest *d = arg;
	size_t len = strlen(tc->name);
	json_t *j;

	if (len > RESULTS_MAX_LINE || tc->seq != d->n + 1 || tc->message[0] != '\0')
		abort();
	j = json_stringn(tc->name, len);
	if (j == NULL)
		abort();        /* not valid UTF-8: could not be stored */
	json_decref(j);
	d->n++;
	fold(d, &tc->status, sizeof(tc->status));
	fold(d, tc->name, len + 1);
}

/* Feeds data in pieces whose sizes come from the data (step 0: whole). */
static void
parse(const uint8_t *data, size_t size, size_t step, struct digest *d,
    struct results_state *st)
{
	struct results_parser *p = results_new(on_case, d);
	size_t off = 0, n;

	while (off < size) {
		n = step == 0 ? size : 1 + (data[off] + step) % (step * 8);
		if (n > size - off)
			n = size - off;
		results_feed(p, data + off, n);
		off += n;
	}
	results_finish(p);
	*st = *results_state(p);
	/* abort_message is compared by content, then the parser goes. */
	if (st->abort_message != NULL)
		fold(d, st->abort_message, strlen(st->abort_message) + 1);
	st->abort_message = NULL;
	results_free(p);
}

/* The same state, field by field (the struct has padding). */
static int
same_state(const struct results_state *a, const struct results_state *b)
{
	return a->ncases == b->ncases && a->npass == b->npass &&
	    a->nfail == b->nfail && a->nxpass == b->nxpass &&
	    a->nxfail == b->nxfail && a->nskip == b->nskip &&
	    a->ninfo == b->ninfo && a->summary_seen == b->summary_seen &&
	    a->sum_total == b->sum_total && a->sum_failed == b->sum_failed &&
	    a->sum_xfailed == b->sum_xfailed &&
	    a->sum_skipped == b->sum_skipped && a->exit_seen == b->exit_seen &&
	    a->exit_status == b->exit_status && a->abort_seen == b->abort_seen &&
	    a->partial_line == b->partial_line && a->any_output == b->any_output;
}

/* Every end of a job gives a result and a one-line reason. */
static void
outcomes(const struct results_state *st)
{
	static const struct {
		enum end_reason end;
		int status;
	} ends[] = {
		{ END_EXIT_LINE, 1 }, { END_EXIT_LINE, 4 }, { END_POST, 0 },
		{ END_QEMU_EXIT, 0 }, { END_QEMU_EXIT, 1 }, { END_QEMU_EXIT, 127 },
		{ END_QEMU_EXIT, 300 }, { END_RETURNED, 0 }, { END_RETURNED, 14 },
		{ END_TIMEOUT, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		char *reason = NULL;
		int code;
		enum job_result r;

		r = results_outcome(st, ends[i].end, ends[i].status, &code, &reason);
		if (reason == NULL || strchr(reason, '\n') != NULL ||
		    job_result_name(r) == NULL)
			abort();
		free(reason);
	}
}

/* 1 when jansson alone (results_parse_post_json) reads the body as post,
 * which results_parse_post accepted, possibly by its fast path. */
static int
same_post(const char *body, size_t size, const struct results_post *post)
{
	struct results_post ref;
	char *cause = NULL;
	size_t i;
	int same;

	if (results_parse_post_json(body, size, &ref, &cause) != 0) {
		free(cause);
		return 0;
	}
	same = ref.ncases == post->ncases && ref.have_summary == post->have_summary &&
	    ref.total == post->total && ref.failed == post->failed &&
	    ref.xfailed == post->xfailed && ref.skipped == post->skipped &&
	    ref.exit_code == post->exit_code && ref.aborted == post->aborted;
	for (i = 0; same && i < ref.ncases; i++)
		same = ref.cases[i].seq == post->cases[i].seq &&
		    ref.cases[i].status == post->cases[i].status &&
		    strcmp(ref.cases[i].name, post->cases[i].name) == 0 &&
		    strcmp(ref.cases[i].message, post->cases[i].message) == 0;
	results_post_clear(&ref);
	return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole = { 0xcbf29ce484222325ULL, 0 };
	struct results_state st, st2;
	struct results_post post;
	char *cause = NULL;
	size_t step;

	parse(data, size, 0, &whole, &st);
	for (step = 1; step <= 3; step++) {
		struct digest d = { 0xcbf29ce484222325ULL, 0 };

		parse(data, size, step, &d, &st2);
		if (d.hash != whole.hash || d.n != whole.n ||
		    !same_state(&st, &st2))
			abort();        /* pieces parsed differently from the whole */
	}
	outcomes(&st);

	if (results_parse_post((const char *)data, size, &post, &cause) == 0) {
		if (cause != NULL || post.ncases > RESULTS_MAX_CASES)
			abort();
		if (!same_post((const char *)data, size, &post))
			abort();        /* the fast path took what jansson reads otherwise */
		results_state_from_post(&post, &st);
		outcomes(&st);
		results_post_clear(&post);
	} else {
		if (cause == NULL || post.cases != NULL)
			abort();
		free(cause);
	}
	return 0;
}
