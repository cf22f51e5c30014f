# load.mk - the load test: tests/load/loadgen.c acts as N machines against
# a farmd on loopback (tests/unit/load.sh runs it; make check runs the
# quick form, 1000 machines for 10 s).
#
#   make soak                 the long form: SOAK_SECONDS (600) with
#                             SOAK_MACHINES (1000) machines and SOAK_JOBS
#                             (1000, at most one per machine) jobs

SOAK_SECONDS ?= 600
SOAK_MACHINES ?= 1000
SOAK_JOBS ?= 1000

$(BUILD)/tests/load/loadgen: tests/load/loadgen.c mk/load.mk
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -o $@ $<

unit-tests: $(BUILD)/tests/load/loadgen

soak: all $(BUILD)/tests/load/loadgen
	@LOAD_SECONDS=$(SOAK_SECONDS) LOAD_MACHINES=$(SOAK_MACHINES) \
		LOAD_JOBS=$(SOAK_JOBS) tests/unit/load.sh

.PHONY: soak
