# sched.mk - the table-driven unit test of the scheduler's decisions
# (tests/unit/test_sched.c): the real sched, db (sqlite in memory), boot,
# results and config modules, with power, consoles and the loop's timers
# played by the sched fuzz harness's stubs. The stubs are compiled in from
# tests/fuzz/sched/, not copied, so a change to power.h or console.h is
# made there once. tests.mk's rule links controller modules only: the
# stubs come in through this target's flags. They know one machine, so the
# test wraps four of their functions at link time to give each machine its
# own console and power-on failures.
UNIT_TESTS += sched
test_sched_MODS := sched boot config errlist results db dnsmasq dtb util log
TEST_SCHED_STUBS := tests/fuzz/sched/stubs.c tests/fuzz/sched/stub_events.c
$(BUILD)/tests/unit/test_sched: $(TEST_SCHED_STUBS) tests/fuzz/sched/stubs.h
$(BUILD)/tests/unit/test_sched: HOST_CFLAGS += -Itests/fuzz/sched $(TEST_SCHED_STUBS)
$(BUILD)/tests/unit/test_sched: HOST_LIBS += -Wl,--wrap=power_new,--wrap=power_on \
	-Wl,--wrap=console_unix,--wrap=console_open
