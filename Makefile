# farm - network-booted test farm controller.
#
#   make          build farmd, farmctl, the EFI programs and netboot files
#   make check    install what is missing, build, run every test
#   make demo     install what is missing, build, run the shipped farm
#                 (ONCE=1: exit when the sample suite is done)
#   make bench    benchmarks (ratios against their anchors)

BUILD   ?= build
CC      ?= cc
PKGS    := libmicrohttpd sqlite3 jansson nettle
WARN    := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
           -Wshadow -Wwrite-strings -Werror
CFLAGS  ?= -g -O2
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icontroller \
           $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
HOST_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfdt
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer

FARMD_MODS := util log loop errlist config suite db db_web http api api_web boot sched power \
              power_qemu power_cmd console results apps dnsmasq netlab proc lab metrics \
              webhook dtb qmp
FARMD_OBJS := $(FARMD_MODS:%=$(BUILD)/controller/%.o) $(BUILD)/controller/farmd.o
FARMCTL_OBJS := $(BUILD)/controller/farmctl.o $(BUILD)/controller/util.o \
                $(BUILD)/controller/suite.o $(BUILD)/controller/errlist.o \
                $(BUILD)/controller/apps.o

all: $(BUILD)/farmd $(BUILD)/farmctl guest netboot web

$(BUILD)/controller/%.o: controller/%.c $(wildcard controller/*.h)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/farmd: $(FARMD_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/farmctl: $(FARMCTL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl jansson nettle)

web:
	@mkdir -p $(BUILD)/web

include guest/guest.mk
include netboot/netboot.mk
include tests/tests.mk
-include $(wildcard mk/*.mk)

deps:
	@scripts/deps.sh check

check: deps
	@$(MAKE) --no-print-directory all unit-tests
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(if $(ONCE),--once)

bench: all
	@bench/run

clean:
	rm -rf $(BUILD)

.PHONY: all check demo bench clean deps web guest netboot unit-tests
