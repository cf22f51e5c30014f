UNIT_TESTS += results
test_results_MODS := results util log
