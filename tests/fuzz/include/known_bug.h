/*
 * known_bug.h - how a harness states a contract that the controller does
 * not keep yet. KNOWN_BUG(id, cond, what): when cond holds, the contract is
 * broken by a bug that is reported and has a fix described in
 * docs/reliability.md ("Open bugs", by id). Built with -DFUZZ_STRICT (make
 * fuzz FUZZ_STRICT=1) the harness aborts there like on any other broken
 * contract; otherwise it says so once and goes on, so the fuzzer keeps
 * looking for the bugs nobody knows yet and make check stays usable while
 * the fix is pending. When the fix lands, the KNOWN_BUG becomes a plain
 * check.
 */
#ifndef FUZZ_KNOWN_BUG_H
#define FUZZ_KNOWN_BUG_H

#include <stdio.h>
#include <stdlib.h>

#ifdef FUZZ_STRICT
#define KNOWN_BUG(id, cond, what)                                              \
	do {                                                                   \
		if (cond) {                                                    \
			fprintf(stderr, "known bug %s: %s\n", id, what);        \
			abort();                                               \
		}                                                              \
	} while (0)
#else
#define KNOWN_BUG(id, cond, what)                                              \
	do {                                                                   \
		static int said_;                                              \
		if ((cond) && !said_) {                                        \
			said_ = 1;                                             \
			fprintf(stderr, "known bug %s (not fatal without"       \
			    " FUZZ_STRICT): %s\n", id, what);                  \
		}                                                              \
	} while (0)
#endif

#endif
