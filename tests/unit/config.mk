# config.mk - unit tests of farm.conf (config) and unittests.cfg (suite).
UNIT_TESTS += config suite
test_config_MODS := config errlist util log
test_suite_MODS := suite errlist util log
