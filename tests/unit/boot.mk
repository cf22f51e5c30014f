# boot.mk - unit tests of the boot scripts and the dnsmasq configuration.
UNIT_TESTS += boot dnsmasq
test_boot_MODS := boot util log
test_dnsmasq_MODS := dnsmasq util log
