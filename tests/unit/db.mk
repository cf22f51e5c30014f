UNIT_TESTS += db
test_db_MODS := db results util log
