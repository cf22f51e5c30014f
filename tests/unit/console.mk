# console.mk - unit tests of the consoles (tcp:, telnet:, command:, unix;
# argv splitting, the telnet filter) and of the "command" power backend of
# physical machines.
UNIT_TESTS += console power_cmd
test_console_MODS := console loop proc util log
test_power_cmd_MODS := power power_cmd power_qemu qmp console loop proc util log
