# bench.mk - the helpers of `make bench` (bench/run, issue 7): the two
# sides of the ingest benchmark and the storm client. make unit-tests builds them too, so that
# tests/unit/bench-smoke.sh (make check) runs every benchmark once, tiny.
#
#   make bench                all benchmarks, one JSON line each
#   BENCH_SMALL=1 bench/run   the tiny form

BENCH_BINS := $(BUILD)/bench/ingest-post $(BUILD)/bench/ingest-sqlite $(BUILD)/bench/storm

$(BUILD)/bench/ingest-post: bench/ingest-post.c mk/bench.mk
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -o $@ $< -lpthread

$(BUILD)/bench/storm: bench/storm.c mk/bench.mk
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -o $@ $< -lpthread

$(BUILD)/bench/ingest-sqlite: bench/ingest-sqlite.c mk/bench.mk
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -o $@ $< \
		$(shell pkg-config --cflags --libs sqlite3 2>/dev/null || echo -lsqlite3)

bench: $(BENCH_BINS)
unit-tests: $(BENCH_BINS)
