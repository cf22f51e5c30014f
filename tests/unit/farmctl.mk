# farmctl.mk - unit test of farmctl's pure pieces (tests/unit/test_farmctl.c
# includes controller/farmctl.c whole). farmctl links with libcurl, which
# the other modules' HOST_LIBS do not carry.
UNIT_TESTS += farmctl
test_farmctl_MODS := util suite errlist apps
$(BUILD)/tests/unit/test_farmctl: HOST_LIBS += $(shell pkg-config --libs libcurl)
