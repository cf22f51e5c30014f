# fuzz.mk - the fuzz harnesses of tests/fuzz/<name>/ (fuzz_<name>.c, its
# seed corpus in corpus/, regression inputs in crashers/), built two ways:
#
#   make fuzz                 each harness under libFuzzer (clang,
#                             -fsanitize=fuzzer,address,undefined), run for
#                             FUZZ_SECONDS (60) each; FUZZ=http runs one.
#                             New inputs go to $(BUILD)/fuzz/corpus/<name>,
#                             crashes to $(BUILD)/fuzz/crashers/<name>/.
#   make fuzz FUZZ_STRICT=1  the same with the known, reported bugs fatal
#                             (tests/fuzz/include/known_bug.h), built in
#                             $(BUILD)/fuzz-strict
#   make fuzz-merge           adds the inputs make fuzz found that reach new
#                             code to tests/fuzz/<name>/corpus (minimised).
#   make fuzz-known           replays each kept crasher with the known bugs
#                             fatal: which reported bugs are still open
#   make unit-tests           replay_<name>: the same harness with a plain
#                             main() (tests/fuzz/replay.c), gcc, ASan and
#                             UBSan; tests/unit/fuzz-replay.sh feeds it every
#                             corpus and crasher file (part of make check).
#
# A harness lists the controller modules it links with: FUZZ_<name>_MODS,
# or other sources (FUZZ_<name>_SRCS) with their own flags
# (FUZZ_<name>_CFLAGS). Other .c files in its folder (stubs) are linked too.

FUZZ_NAMES := $(patsubst tests/fuzz/%/,%,$(dir $(wildcard tests/fuzz/*/fuzz_*.c)))

FUZZ_config_MODS := config errlist util log
FUZZ_suite_MODS := suite errlist util log
FUZZ_results_MODS := results util log
FUZZ_http_MODS := http util log
FUZZ_boot_MODS := boot util log
FUZZ_sched_MODS := sched boot config errlist results db dnsmasq dtb util log
FUZZ_MAX_LEN_results := 65536
FUZZ_MAX_LEN_http := 16384
# The farmboot parser lives in the guest library's world (netboot/netboot.mk
# builds its unit test the same way): its own flags, no controller modules.
FUZZ_farmboot_SRCS := netboot/farmboot_script.c guest/lib/format.c \
	guest/lib/args.c guest/lib/percent.c
FUZZ_farmboot_CFLAGS := -fno-builtin $(GUEST_UNIT_RENAME) -Iguest/lib -Inetboot

FUZZ_SECONDS ?= 60
FUZZ_OUT = $(BUILD)/fuzz$(if $(FUZZ_STRICT),-strict)
FUZZ ?= $(FUZZ_NAMES)
FUZZ_CC ?= clang
FUZZ_LIBS = $(shell pkg-config --libs jansson nettle sqlite3 2>/dev/null) -lfdt

# fuzz_srcs(name): the harness, its folder's other sources, its modules.
fuzz_srcs = tests/fuzz/$(1)/fuzz_$(1).c \
	$(filter-out tests/fuzz/$(1)/fuzz_$(1).c,$(wildcard tests/fuzz/$(1)/*.c)) \
	$(FUZZ_$(1)_MODS:%=controller/%.c) $(FUZZ_$(1)_SRCS)
# fuzz_flags(name): the controller's flags, or the harness's own world.
fuzz_flags = $(if $(FUZZ_$(1)_CFLAGS),-std=c11 $(WARN) -g $(FUZZ_$(1)_CFLAGS),$(HOST_CFLAGS)) \
	-Itests/fuzz/$(1) -Itests/fuzz/include
FUZZ_DEPS = $(wildcard tests/fuzz/*/*.c tests/fuzz/*/*.h controller/*.c controller/*.h \
	netboot/farmboot_script.* guest/lib/*.h guest/lib/format.c guest/lib/args.c \
	guest/lib/percent.c) mk/fuzz.mk

FUZZ_REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)

# The replay main() is the controller's world, whatever the harness's is.
$(BUILD)/tests/fuzz/replay.o: tests/fuzz/replay.c mk/fuzz.mk
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SAN) -O1 -c -o $@ $<

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/replay.o $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(call fuzz_flags,$*) $(SAN) -O1 -fno-sanitize-recover=all -o $@ \
		$(BUILD)/tests/fuzz/replay.o $(call fuzz_srcs,$*) $(FUZZ_LIBS)

# clang is not the compiler the sources are kept warning-free with (gcc
# is): its warnings are shown, not fatal.
$(FUZZ_OUT)/fuzz_%: $(FUZZ_DEPS)
	@mkdir -p $(@D)
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	$(FUZZ_CC) $(filter-out -Werror,$(call fuzz_flags,$*)) -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(if $(FUZZ_STRICT),-DFUZZ_STRICT) -o $@ $(call fuzz_srcs,$*) $(FUZZ_LIBS)

unit-tests: $(FUZZ_REPLAY_BINS)

# The replay programs with the known bugs fatal (FUZZ_STRICT): make
# fuzz-known replays every kept crasher alone and says which still fail,
# i.e. which reported bugs are not fixed yet.
$(BUILD)/tests/fuzz-strict/replay_%: $(BUILD)/tests/fuzz/replay.o $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(call fuzz_flags,$*) $(SAN) -O1 -fno-sanitize-recover=all -DFUZZ_STRICT \
		-o $@ $(BUILD)/tests/fuzz/replay.o $(call fuzz_srcs,$*) $(FUZZ_LIBS)

fuzz-known: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz-strict/replay_%)
	@for n in $(FUZZ_NAMES); do \
		for f in tests/fuzz/$$n/crashers/*; do \
			[ -f "$$f" ] || continue; \
			if ASAN_OPTIONS=detect_leaks=0 $(BUILD)/tests/fuzz-strict/replay_$$n "$$f" \
				>/dev/null 2>$(BUILD)/tests/fuzz-strict/last.err; then \
				echo "fixed:      $$f"; \
			else \
				echo "still open: $$f: $$(grep -m1 -E 'known bug|ERROR' $(BUILD)/tests/fuzz-strict/last.err)"; \
			fi; \
		done; \
	done

fuzz-build: $(FUZZ_BINS)

# Runs each harness (in turn, or side by side with make -j); a crash stops
# make with the harness named and its input kept. Each run's output goes to
# $(FUZZ_OUT)/<name>.log; its last figures are printed at the end.
fuzz: $(FUZZ:%=fuzz-run-%)
	@for n in $(FUZZ); do \
		printf 'fuzz: %-8s %s\n' $$n "$$(grep -E '^Done [0-9]+ runs' $(FUZZ_OUT)/$$n.log)"; \
	done

fuzz-run-%: $(FUZZ_OUT)/fuzz_%
	@mkdir -p $(BUILD)/fuzz/corpus/$* $(FUZZ_OUT)/crashers/$*
	@echo "fuzz: $* for $(FUZZ_SECONDS) s"
	@if ! ASAN_OPTIONS=detect_leaks=1 $(FUZZ_OUT)/fuzz_$* \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-max_len=$(or $(FUZZ_MAX_LEN_$*),4096) \
		-artifact_prefix=$(FUZZ_OUT)/crashers/$*/ \
		$(BUILD)/fuzz/corpus/$* tests/fuzz/$*/corpus >$(FUZZ_OUT)/$*.log 2>&1; then \
		tail -n 40 $(FUZZ_OUT)/$*.log; \
		echo "fuzz: $* crashed; the input is in $(FUZZ_OUT)/crashers/$*/:"; \
		echo "  fix the bug, then keep the input in tests/fuzz/$*/crashers/"; \
		exit 1; \
	fi

fuzz-merge: $(FUZZ:%=$(FUZZ_OUT)/fuzz_%)
	@set -e; for n in $(FUZZ); do \
		[ -d $(BUILD)/fuzz/corpus/$$n ] || continue; \
		$(FUZZ_OUT)/fuzz_$$n -merge=1 tests/fuzz/$$n/corpus \
			$(BUILD)/fuzz/corpus/$$n >$(FUZZ_OUT)/$$n.merge.log 2>&1; \
		echo "fuzz-merge: $$n: $$(ls tests/fuzz/$$n/corpus | wc -l) inputs kept"; \
	done

.PHONY: fuzz fuzz-build fuzz-merge fuzz-known

# farmd built with AddressSanitizer and UndefinedBehaviorSanitizer, for the
# tests that send it hostile input (tests/unit/hostile-http.sh): a memory
# error shows in its log even when the answer looked right. Its modules are
# farmd's (FARMD_MODS), plus power_cmd (mk/physical.mk links it into farmd
# until it joins FARMD_MODS). When the list falls behind farmd's and the
# link fails, make says so and goes on: the test then uses build/farmd.
FARMD_ASAN_SRCS = $(sort $(FARMD_MODS:%=controller/%.c) \
	$(wildcard controller/power_cmd.c)) controller/farmd.c

$(BUILD)/tests/farmd-asan: $(wildcard controller/*.c controller/*.h)
	@mkdir -p $(@D)
	@rm -f $@
	@echo "$(CC) ... $(SAN) -o $@ $(FARMD_ASAN_SRCS)"
	@$(CC) $(HOST_CFLAGS) $(SAN) -O1 -o $@ $(FARMD_ASAN_SRCS) $(HOST_LIBS) || \
	{ echo "fuzz.mk: warning: no ASan farmd (see above); hostile-http.sh uses $(BUILD)/farmd"; \
	  rm -f $@; }

unit-tests: $(BUILD)/tests/farmd-asan
