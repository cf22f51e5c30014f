# dtb.mk - unit test of the job's device tree (libfdt; -lfdt is in HOST_LIBS).
UNIT_TESTS += dtb
test_dtb_MODS := dtb util log
