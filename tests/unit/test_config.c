/*
 * test_config.c - farm.conf: every key and its default, every kind of
 * error with its exact file:line message, the shipped farm.conf, hostile
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

/* Parses text that must be valid; fails the test with the errors if not. */
static struct farm_conf *
ok_dir(const char *dir, const char *text)
{
	char *cause = NULL;
	struct farm_conf *c = config_parse("t.conf", dir, text, &cause);

	if (c == NULL) {
		print_error("unexpected errors:\n%s\n", cause);
		free(cause);
		fail();
	}
	assert_null(cause);
	return c;
}

static struct farm_conf *
ok(const char *text)
{
	return ok_dir(".", text);
}

/* Parses text that must be rejected with exactly these errors. */
static void
bad(const char *text, const char *want)
{
	char *cause = NULL;
	struct farm_conf *c = config_parse("t.conf", ".", text, &cause);

	if (c != NULL) {
		config_free(c);
		print_error("accepted, expected:\n%s\n", want);
		fail();
	}
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

/* A valid qemu machine section to build tests on. */
#define VM "[machine vm]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00:01\n"
/* A valid physical machine section. */
#define HW "[machine hw]\nkind = physical\narch = aarch64\nmac = 00:1b:21:aa:bb:cc\n" \
	"power_on = ipmitool chassis power on\n"

static void
test_shipped(void **state)
{
	char *cause = NULL;
	struct farm_conf *c;
	const struct machine_conf *m;
	const char *src = getenv("FARM_SRCDIR");

	(void)state;
	if (access("farm.conf", R_OK) != 0 && src != NULL)
		assert_int_equal(chdir(src), 0);
	c = config_load("farm.conf", &cause);
	if (c == NULL)
		print_error("%s\n", cause);
	assert_non_null(c);
	assert_string_equal(c->path, "farm.conf");
	assert_string_equal(c->dir, ".");
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_string_equal(c->state_dir, "state");
	assert_null(c->api_token);
	assert_string_equal(c->suite, "guest/unittests.cfg");
	assert_string_equal(c->tests_dir, "build/guest");
	assert_string_equal(c->netboot_dir, "build/netboot");
	assert_int_equal(c->max_upload, 64LL << 20);
	assert_int_equal(c->mode, NET_LAB);
	assert_string_equal(c->bridge, "farm0");
	assert_string_equal(c->address, "10.99.0.1");
	assert_int_equal(c->prefix, 24);
	assert_string_equal(c->dhcp_start, "10.99.0.100");
	assert_string_equal(c->dhcp_end, "10.99.0.199");
	assert_string_equal(c->server_url, "http://10.99.0.1:8080");
	assert_string_equal(c->ipxe[0], "/usr/lib/ipxe/ipxe.efi");
	assert_null(c->ipxe[1]);
	assert_int_equal(c->nmachines, 2);

	m = config_machine(c, "vm-x86");
	assert_non_null(m);
	assert_string_equal(m->name, "vm-x86");
	assert_int_equal(m->kind, MACHINE_QEMU);
	assert_string_equal(m->arch, "x86_64");
	assert_string_equal(m->mac, "52:54:00:f0:00:01");
	assert_int_equal(m->memory, 256);
	assert_int_equal(m->cpus, 1);
	assert_string_equal(m->qemu_machine, "q35");
	assert_string_equal(m->cpu, "max");
	assert_string_equal(m->accel, "auto");
	assert_string_equal(m->qemu, "qemu-system-x86_64");
	assert_string_equal(m->firmware, "/usr/share/OVMF/OVMF_CODE_4M.fd");
	assert_string_equal(m->firmware_vars, "/usr/share/OVMF/OVMF_VARS_4M.fd");
	assert_string_equal(m->nic_rom, "/usr/lib/ipxe/qemu/efi-virtio.rom");
	assert_int_equal(m->ntags, 3);
	assert_string_equal(m->tags[0], "arch=x86_64");
	assert_string_equal(m->tags[1], "fast");
	assert_string_equal(m->tags[2], "smoke");
	assert_int_equal(m->nqemu_args, 0);
	assert_null(m->power_on);
	assert_null(m->console);
	assert_int_equal(m->boot_timeout, 60);
	assert_int_equal(m->fetch_timeout, 30);
	assert_int_equal(m->output_timeout, 30);
	assert_int_equal(m->job_timeout, 300);
	assert_int_equal(m->always_on, 0);
	assert_int_equal(m->snapshot, 1);
	assert_int_equal(m->boot, BOOT_IPXE);
	assert_null(m->dtb);
	assert_true(m->line > 1);

	/* vm-arm: AAVMF, no ROM, farmboot.efi (the farm has no arm64 iPXE). */
	m = config_machine(c, "vm-arm");
	assert_non_null(m);
	assert_string_equal(m->arch, "aarch64");
	assert_string_equal(m->qemu_machine, "virt");
	assert_string_equal(m->qemu, "qemu-system-aarch64");
	assert_string_equal(m->firmware, "/usr/share/AAVMF/AAVMF_CODE.fd");
	assert_string_equal(m->firmware_vars, "/usr/share/AAVMF/AAVMF_VARS.fd");
	assert_null(m->nic_rom);
	assert_int_equal(m->boot, BOOT_FARMBOOT);
	assert_string_equal(m->tags[0], "arch=aarch64");
	config_free(c);
}

/* boot and dtb per machine, iPXE per arch: defaults follow what the farm
 * has; iPXE where the farm has none is an error with its line. */
static void
test_boot_loader(void **state)
{
	struct farm_conf *c;
	char *cause = NULL;

	(void)state;
	c = config_parse("t.conf", "/srv/farm",
	    "[network]\nipxe_aarch64 = /srv/ipxe/arm64.efi\nipxe_x86_64 = none\n"
	    "[machine a]\nkind = physical\narch = aarch64\nmac = 00:00:00:00:00:01\n"
	    "power_on = true\ndtb = dtbs/board.dtb\n"
	    "[machine b]\nkind = physical\narch = aarch64\nmac = 00:00:00:00:00:02\n"
	    "power_on = true\nboot = farmboot\n"
	    "[machine c]\nkind = physical\narch = x86_64\nmac = 00:00:00:00:00:03\n"
	    "power_on = true\n", &cause);
	if (c == NULL)
		print_error("%s\n", cause);
	assert_non_null(c);
	assert_string_equal(c->ipxe[1], "/srv/ipxe/arm64.efi");
	assert_null(c->ipxe[0]);
	assert_int_equal(config_machine(c, "a")->boot, BOOT_IPXE);
	assert_string_equal(config_machine(c, "a")->dtb, "/srv/farm/dtbs/board.dtb");
	assert_int_equal(config_machine(c, "b")->boot, BOOT_FARMBOOT);
	assert_int_equal(config_machine(c, "c")->boot, BOOT_FARMBOOT);
	config_free(c);

	c = config_parse("t.conf", "/srv/farm",
	    "[machine a]\nkind = physical\narch = aarch64\nmac = 00:00:00:00:00:01\n"
	    "power_on = true\nboot = ipxe\n"
	    "[machine b]\nkind = physical\narch = x86_64\nmac = 00:00:00:00:00:02\n"
	    "power_on = true\nboot = pxelinux\n", &cause);
	assert_null(c);
	assert_non_null(strstr(cause, "t.conf:1: machine a: boot = ipxe, but the farm"
	    " has no iPXE for aarch64 (set [network] ipxe_aarch64)"));
	assert_non_null(strstr(cause, "t.conf:12: boot: unknown boot \"pxelinux\""
	    " (ipxe or farmboot)"));
	free(cause);
}

/* mode = proxy: dnsmasq beside the lab's DHCP server, on interface. */
static void
test_proxy_mode(void **state)
{
	struct farm_conf *c;
	char *cause = NULL;

	(void)state;
	c = config_parse("t.conf", "/srv/farm", "[network]\nmode = proxy\n"
	    "interface = enp3s0\naddress = 192.168.50.10/24\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->mode, NET_PROXY);
	assert_string_equal(c->interface, "enp3s0");
	assert_string_equal(c->server_url, "http://192.168.50.10:8080");
	config_free(c);

	c = config_parse("t.conf", "/srv/farm", "[network]\nmode = proxy\n", &cause);
	assert_null(c);
	assert_non_null(strstr(cause, "t.conf:2: mode = proxy needs interface"));
	free(cause);
	c = config_parse("t.conf", "/srv/farm", "[network]\nmode = lab\n"
	    "interface = eth0\n", &cause);
	assert_null(c);
	assert_non_null(strstr(cause, "t.conf:3: interface is for mode = proxy"));
	free(cause);
	c = config_parse("t.conf", "/srv/farm", "[network]\nmode = relay\n", &cause);
	assert_null(c);
	assert_non_null(strstr(cause, "unknown mode \"relay\" (lab, proxy, external"
	    " or user)"));
	free(cause);
}

/* An empty file is a farm with every default and no machines. */
static void
test_defaults(void **state)
{
	struct farm_conf *c = ok("");

	(void)state;
	assert_string_equal(c->path, "t.conf");
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_string_equal(c->state_dir, "state");
	assert_null(c->api_token);
	assert_string_equal(c->suite, "guest/unittests.cfg");
	assert_string_equal(c->tests_dir, "build/guest");
	assert_string_equal(c->netboot_dir, "build/netboot");
	assert_int_equal(c->max_upload, 64LL << 20);
	assert_int_equal(c->mode, NET_LAB);
	assert_string_equal(c->bridge, "farm0");
	assert_string_equal(c->address, "10.99.0.1");
	assert_int_equal(c->prefix, 24);
	assert_string_equal(c->dhcp_start, "10.99.0.100");
	assert_string_equal(c->dhcp_end, "10.99.0.199");
	assert_string_equal(c->server_url, "http://10.99.0.1:8080");
	assert_int_equal(c->nmachines, 0);
	config_free(c);
}

static void
test_farm_keys(void **state)
{
	struct farm_conf *c = ok_dir("/etc/farm",
	    "[farm]\n"
	    "listen = 0.0.0.0:9000\n"
	    "state_dir = /var/lib/farm\n"
	    "api_token = s3cret-T0ken#1\n"
	    "suite = suites/all.cfg\n"
	    "tests_dir = ../guest\n"
	    "netboot_dir = netboot\n"
	    "max_upload = 1G\n");

	(void)state;
	assert_string_equal(c->dir, "/etc/farm");
	assert_string_equal(c->listen_host, "0.0.0.0");
	assert_int_equal(c->listen_port, 9000);
	assert_string_equal(c->state_dir, "/var/lib/farm");
	assert_string_equal(c->api_token, "s3cret-T0ken#1");
	assert_string_equal(c->suite, "/etc/farm/suites/all.cfg");
	assert_string_equal(c->tests_dir, "/etc/farm/../guest");
	assert_string_equal(c->netboot_dir, "/etc/farm/netboot");
	assert_int_equal(c->max_upload, 1LL << 30);
	/* the default port follows listen */
	assert_string_equal(c->server_url, "http://10.99.0.1:9000");
	config_free(c);

	/* defaults resolve against the directory too */
	c = ok_dir("/etc/farm/", "[farm]\nlisten = [::1]:80\nmax_upload = 65536\n");
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 80);
	assert_string_equal(c->state_dir, "/etc/farm/state");
	assert_string_equal(c->suite, "/etc/farm/guest/unittests.cfg");
	assert_int_equal(c->max_upload, 65536);
	config_free(c);

	c = ok("[farm]\nlisten = localhost:8080\nmax_upload = 512K\napi_token =\n");
	assert_string_equal(c->listen_host, "localhost");
	assert_int_equal(c->max_upload, 512 * 1024);
	assert_null(c->api_token);
	config_free(c);
}

static void
test_network_keys(void **state)
{
	struct farm_conf *c = ok(
	    "[network]\n"
	    "mode = lab\n"
	    "bridge = lab-br.0\n"
	    "address = 192.168.7.254/23\n"
	    "dhcp_range = 192.168.6.10 , 192.168.7.200\n"
	    "server_url = https://farm.example.org:8443/farm/\n");

	(void)state;
	assert_int_equal(c->mode, NET_LAB);
	assert_string_equal(c->bridge, "lab-br.0");
	assert_string_equal(c->address, "192.168.7.254");
	assert_int_equal(c->prefix, 23);
	assert_string_equal(c->dhcp_start, "192.168.6.10");
	assert_string_equal(c->dhcp_end, "192.168.7.200");
	assert_string_equal(c->server_url, "https://farm.example.org:8443/farm");
	config_free(c);

	c = ok("[network]\nmode = user\n");
	assert_int_equal(c->mode, NET_USER);
	assert_string_equal(c->server_url, "http://10.0.2.2:8080");
	config_free(c);

	c = ok("[farm]\nlisten = 10.1.2.3:8081\n[network]\nmode = external\n"
	    "address = 10.1.2.3/16\n");
	assert_int_equal(c->mode, NET_EXTERNAL);
	assert_string_equal(c->server_url, "http://10.1.2.3:8081");
	/* a /16 gets .100-.199 of its first /24 */
	assert_string_equal(c->dhcp_start, "10.1.0.100");
	assert_string_equal(c->dhcp_end, "10.1.0.199");
	config_free(c);

	/* a network smaller than a /24 gets its upper half */
	c = ok("[network]\naddress = 10.5.5.1/28\n");
	assert_string_equal(c->dhcp_start, "10.5.5.8");
	assert_string_equal(c->dhcp_end, "10.5.5.14");
	config_free(c);

	/* [network] before [farm] still sees listen's port */
	c = ok("[network]\nmode = user\n[farm]\nlisten = 127.0.0.1:7000\n");
	assert_string_equal(c->server_url, "http://10.0.2.2:7000");
	config_free(c);

	/* outside lab mode the range may contain the address: nothing uses it */
	c = ok("[network]\nmode = external\naddress = 10.99.0.150/24\n");
	config_free(c);
}

static void
test_qemu_machine(void **state)
{
	struct farm_conf *c = ok_dir("/srv/farm",
	    "[machine big.vm_1]\n"
	    "kind = qemu\n"
	    "arch = x86_64\n"
	    "mac = 52-54-00-AB-CD-EF\n"
	    "memory = 2G\n"
	    "cpus = 4\n"
	    "qemu_machine = pc,accel=tcg\n"
	    "cpu = Skylake-Client,+x2apic\n"
	    "accel = tcg\n"
	    "qemu = /opt/qemu/bin/qemu-system-x86_64\n"
	    "firmware = fw/CODE.fd\n"
	    "vars = /fw/VARS.fd\n"
	    "nic_rom = roms/ipxe.rom\n"
	    "qemu_args = -device  isa-debug-exit,iobase=0xf4,iosize=0x4\t-no-reboot\n"
	    "tags = fast big pool=a\n"
	    "boot_timeout = 2m\n"
	    "fetch_timeout = 45s\n"
	    "output_timeout = 10\n"
	    "job_timeout = 1h\n"
	    "always_on = yes\n"
	    "snapshot = no\n");
	const struct machine_conf *m = &c->machines[0];

	(void)state;
	assert_int_equal(c->nmachines, 1);
	assert_string_equal(m->name, "big.vm_1");
	assert_int_equal(m->line, 1);
	assert_string_equal(m->mac, "52:54:00:ab:cd:ef");
	assert_int_equal(m->memory, 2048);
	assert_int_equal(m->cpus, 4);
	assert_string_equal(m->qemu_machine, "pc,accel=tcg");
	assert_string_equal(m->cpu, "Skylake-Client,+x2apic");
	assert_string_equal(m->accel, "tcg");
	assert_string_equal(m->qemu, "/opt/qemu/bin/qemu-system-x86_64");
	assert_string_equal(m->firmware, "/srv/farm/fw/CODE.fd");
	assert_string_equal(m->firmware_vars, "/fw/VARS.fd");
	assert_string_equal(m->nic_rom, "/srv/farm/roms/ipxe.rom");
	assert_int_equal(m->nqemu_args, 3);
	assert_string_equal(m->qemu_args[0], "-device");
	assert_string_equal(m->qemu_args[1], "isa-debug-exit,iobase=0xf4,iosize=0x4");
	assert_string_equal(m->qemu_args[2], "-no-reboot");
	assert_null(m->qemu_args[3]);
	assert_int_equal(m->ntags, 4);
	assert_string_equal(m->tags[0], "arch=x86_64");
	assert_string_equal(m->tags[1], "fast");
	assert_string_equal(m->tags[3], "pool=a");
	assert_int_equal(m->boot_timeout, 120);
	assert_int_equal(m->fetch_timeout, 45);
	assert_int_equal(m->output_timeout, 10);
	assert_int_equal(m->job_timeout, 3600);
	assert_int_equal(m->always_on, 1);
	assert_int_equal(m->snapshot, 0);
	config_free(c);

	/* aarch64 defaults: AAVMF, virt, no iPXE ROM */
	c = ok("[machine a]\nkind = qemu\narch = aarch64\nmac = 52:54:00:00:00:02\n");
	m = &c->machines[0];
	assert_string_equal(m->qemu_machine, "virt");
	assert_string_equal(m->qemu, "qemu-system-aarch64");
	assert_string_equal(m->firmware, "/usr/share/AAVMF/AAVMF_CODE.fd");
	assert_string_equal(m->firmware_vars, "/usr/share/AAVMF/AAVMF_VARS.fd");
	assert_null(m->nic_rom);
	assert_int_equal(m->ntags, 1);
	assert_string_equal(m->tags[0], "arch=aarch64");
	config_free(c);

	/* arm64 is aarch64; nic_rom = none turns the ROM off; a bare qemu name
	 * stays a name; relative qemu paths resolve; arch=<arch> in tags is
	 * not repeated */
	c = ok_dir("/d", "[machine a]\nkind = qemu\narch = arm64\nmac = 52:54:00:00:00:02\n"
	    "[machine b]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00:03\n"
	    "nic_rom = none\nqemu = qemu-kvm\ntags = arch=x86_64 x\n"
	    "[machine c]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00:04\n"
	    "nic_rom =\nqemu = bin/qemu\nalways_on = off\n");
	assert_string_equal(c->machines[0].arch, "aarch64");
	assert_null(c->machines[1].nic_rom);
	assert_string_equal(c->machines[1].qemu, "qemu-kvm");
	assert_int_equal(c->machines[1].ntags, 2);
	assert_string_equal(c->machines[1].tags[0], "arch=x86_64");
	assert_string_equal(c->machines[1].tags[1], "x");
	assert_null(c->machines[2].nic_rom);
	assert_string_equal(c->machines[2].qemu, "/d/bin/qemu");
	assert_int_equal(c->machines[2].always_on, 0);
	assert_int_equal(c->machines[2].snapshot, 1);
	config_free(c);
}

static void
test_physical_machine(void **state)
{
	struct farm_conf *c = ok(
	    "[machine rack3-seattle]\n"
	    "kind = physical\n"
	    "arch = aarch64\n"
	    "mac = 00:1b:21:aa:bb:cc\n"
	    "power_on = ipmitool -I lanplus -H bmc3 -U lab -E chassis power on\n"
	    "power_off = ipmitool -I lanplus -H bmc3 -U lab -E chassis power off\n"
	    "power_cycle = ipmitool -I lanplus -H bmc3 -U lab -E chassis power cycle\n"
	    "console = tcp:serial-server:7003\n"
	    "boot_timeout = 3m\n"
	    "[machine b]\nkind = physical\narch = x86_64\nmac = 00:1b:21:aa:bb:cd\n"
	    "power_on = /usr/local/bin/on b\nconsole = telnet:[fe80::1]:2001\n"
	    "[machine c]\nkind = physical\narch = x86_64\nmac = 00:1b:21:aa:bb:ce\n"
	    "power_on = on c\nconsole = command:ipmitool sol activate\n");
	const struct machine_conf *m = &c->machines[0];

	(void)state;
	assert_int_equal(m->kind, MACHINE_PHYSICAL);
	assert_string_equal(m->power_on,
	    "ipmitool -I lanplus -H bmc3 -U lab -E chassis power on");
	assert_string_equal(m->power_off,
	    "ipmitool -I lanplus -H bmc3 -U lab -E chassis power off");
	assert_string_equal(m->power_cycle,
	    "ipmitool -I lanplus -H bmc3 -U lab -E chassis power cycle");
	assert_string_equal(m->console, "tcp:serial-server:7003");
	assert_int_equal(m->boot_timeout, 180);
	assert_int_equal(m->job_timeout, 300);
	/* no QEMU settings on a physical machine */
	assert_int_equal(m->memory, 0);
	assert_int_equal(m->cpus, 0);
	assert_null(m->qemu);
	assert_null(m->firmware);
	assert_null(m->nic_rom);
	assert_int_equal(m->ntags, 1);
	assert_string_equal(m->tags[0], "arch=aarch64");
	assert_string_equal(c->machines[1].console, "telnet:[fe80::1]:2001");
	assert_null(c->machines[1].power_off);
	assert_string_equal(c->machines[2].console, "command:ipmitool sol activate");
	config_free(c);
}

static void
test_times(void **state)
{
	static const struct { const char *text; int secs; } good[] = {
		{ "60", 60 }, { "60s", 60 }, { "2m", 120 }, { "1h", 3600 }, { "1d", 86400 },
		{ "7d", 604800 }, { "1", 1 },
	};
	static const char *const nogood[] = { "0", "-1", "2x", "8d", "1.5m", "m", "",
		"604801", "99999999999999999999" };
	char text[256], want[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct farm_conf *c;

		snprintf(text, sizeof(text), VM "job_timeout = %s\n", good[i].text);
		c = ok(text);
		assert_int_equal(c->machines[0].job_timeout, good[i].secs);
		config_free(c);
	}
	for (i = 0; i < ARRAY_SIZE(nogood); i++) {
		snprintf(text, sizeof(text), VM "boot_timeout = %s\n", nogood[i]);
		snprintf(want, sizeof(want), "t.conf:5: boot_timeout: %s is not a time "
		    "from 1s to 604800s (as in 60, 60s, 2m)", nogood[i]);
		bad(text, want);
	}
}

static void
test_numbers(void **state)
{
	(void)state;
	bad(VM "memory = 512K\n",
	    "t.conf:5: memory: 512K is not a size from 32 to 1048576 MiB (as in 256 or 2G)");
	bad(VM "memory = 16\n",
	    "t.conf:5: memory: 16 is not a size from 32 to 1048576 MiB (as in 256 or 2G)");
	bad(VM "memory = 2T\n",
	    "t.conf:5: memory: 2T is not a size from 32 to 1048576 MiB (as in 256 or 2G)");
	bad(VM "cpus = 0\n", "t.conf:5: cpus: 0 is not a number from 1 to 256");
	bad(VM "cpus = 257\n", "t.conf:5: cpus: 257 is not a number from 1 to 256");
	bad(VM "cpus = 2 \t# two\ncpus=x\n",
	    "t.conf:6: duplicate key cpus (first at line 5)");
	bad("[farm]\nmax_upload = 100\n", "t.conf:2: max_upload: 100 is not a size "
	    "from 1024 to 17179869184 bytes (as in 64M)");
	bad("[farm]\nmax_upload = 64MB\n", "t.conf:2: max_upload: 64MB is not a size "
	    "from 1024 to 17179869184 bytes (as in 64M)");
	bad(VM "always_on = maybe\n", "t.conf:5: always_on: maybe is not yes or no");
	bad(VM "snapshot = later\n", "t.conf:5: snapshot: later is not yes or no");
}

static void
test_syntax(void **state)
{
	struct farm_conf *c;

	(void)state;
	/* comments at the start, after values, in both styles; CRLF; tabs;
	 * '#' without a blank before it is part of the value */
	c = ok("# farm\r\n"
	    "; also a comment\r\n"
	    "\t[farm]   # section comment\r\n"
	    "  listen\t=\t127.0.0.1:8080   # trailing\r\n"
	    "api_token = a#b;c ; comment\r\n"
	    "\r\n"
	    "[ machine   vm ]\n"
	    "kind=qemu\n"
	    "arch =x86_64\n"
	    "mac= 52:54:00:00:00:01\n"
	    "tags = x\t# y z\n");
	assert_string_equal(c->api_token, "a#b;c");
	assert_int_equal(c->nmachines, 1);
	assert_string_equal(c->machines[0].name, "vm");
	assert_int_equal(c->machines[0].ntags, 2);
	config_free(c);

	/* no newline at the end */
	c = ok("[farm]\nlisten = 127.0.0.1:1");
	assert_int_equal(c->listen_port, 1);
	config_free(c);

	bad("listen = 127.0.0.1:8080\n", "t.conf:1: listen: key outside a section "
	    "(start with [farm], [network] or [machine NAME])");
	bad("[farm]\nlisten 127.0.0.1:8080\n",
	    "t.conf:2: expected \"key = value\" or a [section]");
	bad("[farm]\n= x\n", "t.conf:2: bad key \"\"");
	bad("[farm]\nListen = x\n", "t.conf:2: bad key \"Listen\"");
	bad("[farm\n", "t.conf:1: section header without ]");
	bad("[farm] x\n", "t.conf:1: text after the section header");
	bad("[farm x]\n", "t.conf:1: [farm] takes no name");
	bad("[network 2]\n", "t.conf:1: [network] takes no name");
	bad("[machines]\n", "t.conf:1: unknown section [machines] (farm, network or "
	    "machine NAME)");
	bad("[]\n", "t.conf:1: unknown section [] (farm, network or machine NAME)");
	bad("[machine]\n", "t.conf:1: [machine] needs a name, as in [machine vm-x86]");
	bad("[machine -vm]\n", "t.conf:1: bad machine name \"-vm\" (1 to 63 letters, "
	    "digits and ._-, starting with a letter or digit)");
	bad("[machine a b]\n", "t.conf:1: bad machine name \"a b\" (1 to 63 letters, "
	    "digits and ._-, starting with a letter or digit)");
	bad("[machine a/b]\n", "t.conf:1: bad machine name \"a/b\" (1 to 63 letters, "
	    "digits and ._-, starting with a letter or digit)");
	/* 63 characters are fine, 64 are not */
	c = ok("[machine aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"
	    "kind = qemu\narch = x86_64\nmac = 52:54:00:00:00:01\n");
	config_free(c);
	bad("[machine aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
	    "t.conf:1: bad machine name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa\" (1 to 63 letters, digits and ._-, starting with a letter "
	    "or digit)");
	/* the keys under a bad header give no more errors */
	bad("[frm]\nlisten = nonsense\nfoo = bar\n",
	    "t.conf:1: unknown section [frm] (farm, network or machine NAME)");
}

static void
test_unknown_and_misplaced(void **state)
{
	(void)state;
	bad("[farm]\nlisen = 127.0.0.1:8080\n", "t.conf:2: unknown key \"lisen\" in [farm]");
	bad("[network]\nrange = x\n", "t.conf:2: unknown key \"range\" in [network]");
	bad(VM "ram = 256\n", "t.conf:5: unknown key \"ram\" in [machine vm]");
	bad("[farm]\nmemory = 256\n",
	    "t.conf:2: memory: belongs in [machine NAME], not in [farm]");
	bad("[farm]\nbridge = br0\n", "t.conf:2: bridge: belongs in [network], not in [farm]");
	bad("[network]\nstate_dir = /x\n",
	    "t.conf:2: state_dir: belongs in [farm], not in [network]");
	bad(VM "listen = 1.2.3.4:5\n",
	    "t.conf:5: listen: belongs in [farm], not in [machine vm]");
	bad(VM "power_on = on\n", "t.conf:5: power_on: only for kind = physical "
	    "machines, and vm is kind = qemu");
	bad(VM "console = tcp:a:1\n", "t.conf:5: console: only for kind = physical "
	    "machines, and vm is kind = qemu");
	bad(HW "memory = 256\n", "t.conf:6: memory: only for kind = qemu machines, "
	    "and hw is kind = physical");
	bad(HW "qemu_args = -s\n", "t.conf:6: qemu_args: only for kind = qemu "
	    "machines, and hw is kind = physical");
	/* kind may come after the keys it decides on */
	bad("[machine late]\nmemory = 256\npower_on = on\nkind = physical\narch = x86_64\n"
	    "mac = 00:1b:21:aa:bb:cc\n", "t.conf:2: memory: only for kind = qemu "
	    "machines, and late is kind = physical");
}

static void
test_duplicates(void **state)
{
	(void)state;
	bad("[farm]\n[network]\n[farm]\n",
	    "t.conf:3: duplicate section [farm] (first at line 1)");
	bad("[network]\n\n[network]\nmode = user\n",
	    "t.conf:3: duplicate section [network] (first at line 1)");
	bad("[farm]\nsuite = a\nsuite = b\n",
	    "t.conf:3: duplicate key suite (first at line 2)");
	bad(VM VM, "t.conf:5: duplicate machine vm (first at line 1)");
	bad(VM "[machine vm2]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00:01\n",
	    "t.conf:8: mac 52:54:00:00:00:01 is also machine vm's (line 4)");
	/* the same MAC written differently */
	bad(VM HW "[machine z]\nkind = qemu\narch = x86_64\nmac = 52-54-00-00-00-01\n",
	    "t.conf:13: mac 52:54:00:00:00:01 is also machine vm's (line 4)");
	bad(VM "tags = a b a\n", "t.conf:5: tags: tag a given twice");
}

static void
test_values(void **state)
{
	(void)state;
	bad("[farm]\nlisten = 127.0.0.1\n",
	    "t.conf:2: listen: expected HOST:PORT, not 127.0.0.1");
	bad("[farm]\nlisten = :8080\n", "t.conf:2: listen: expected HOST:PORT, not :8080");
	bad("[farm]\nlisten = 127.0.0.1:0\n",
	    "t.conf:2: listen: port 0 is not a number from 1 to 65535");
	bad("[farm]\nlisten = 127.0.0.1:65536\n",
	    "t.conf:2: listen: port 65536 is not a number from 1 to 65535");
	bad("[farm]\nlisten = 127.0.0.1:http\n",
	    "t.conf:2: listen: port http is not a number from 1 to 65535");
	bad("[farm]\nlisten = bad_host:80\n", "t.conf:2: listen: bad host name bad_host");
	bad("[farm]\nlisten = [::g]:80\n", "t.conf:2: listen: bad IPv6 address [::g]");
	bad("[farm]\nstate_dir =\n", "t.conf:2: state_dir: empty path");
	bad("[farm]\napi_token = two words\n", "t.conf:2: api_token: only printable "
	    "ASCII without blanks, quotes or backslashes");

	bad("[network]\nmode = bridge\n",
	    "t.conf:2: mode: unknown mode \"bridge\" (lab, proxy, external or user)");
	bad("[network]\nbridge = a-very-long-bridge\n", "t.conf:2: bridge: "
	    "\"a-very-long-bridge\" is not an interface name (at most 15 letters, "
	    "digits and ._-)");
	bad("[network]\nbridge = br/0\n", "t.conf:2: bridge: \"br/0\" is not an "
	    "interface name (at most 15 letters, digits and ._-)");
	bad("[network]\naddress = 10.99.0.1\n",
	    "t.conf:2: address: 10.99.0.1 has no prefix length (as in 10.99.0.1/24)");
	bad("[network]\naddress = 10.99.0.256/24\n",
	    "t.conf:2: address: 10.99.0.256 is not an IPv4 address");
	bad("[network]\naddress = 10.99.0/24\n",
	    "t.conf:2: address: 10.99.0 is not an IPv4 address");
	bad("[network]\naddress = 10.99.0.1/31\n",
	    "t.conf:2: address: prefix length 31 is not a number from 8 to 30");
	bad("[network]\naddress = 10.99.0.1/\n",
	    "t.conf:2: address: prefix length  is not a number from 8 to 30");
	bad("[network]\naddress = 10.99.0.0/24\n", "t.conf:2: address: 10.99.0.0 is "
	    "the network address of its network, not a host");
	bad("[network]\naddress = 10.99.0.255/24\n", "t.conf:2: address: 10.99.0.255 is "
	    "the broadcast address of its network, not a host");
	bad("[network]\ndhcp_range = 10.99.0.100\n",
	    "t.conf:2: dhcp_range: expected START,END, not 10.99.0.100");
	bad("[network]\ndhcp_range = 10.99.0.100,x\n",
	    "t.conf:2: dhcp_range: x is not an IPv4 address");
	bad("[network]\ndhcp_range = 10.99.0.200,10.99.0.100\n",
	    "t.conf:2: dhcp_range: start 10.99.0.200 is after end 10.99.0.100");
	bad("[network]\ndhcp_range = 10.98.0.100,10.98.0.199\n", "t.conf:2: dhcp_range: "
	    "10.98.0.100,10.98.0.199 is not inside the network 10.99.0.1/24");
	bad("[network]\naddress = 10.99.0.1/24\ndhcp_range = 10.99.0.100,10.99.1.5\n",
	    "t.conf:3: dhcp_range: 10.99.0.100,10.99.1.5 is not inside the network "
	    "10.99.0.1/24");
	bad("[network]\ndhcp_range = 10.99.0.100,10.99.0.255\n", "t.conf:2: dhcp_range: "
	    "10.99.0.100,10.99.0.255 is not inside the network 10.99.0.1/24");
	bad("[network]\ndhcp_range = 10.99.0.0,10.99.0.5\n", "t.conf:2: dhcp_range: "
	    "10.99.0.0,10.99.0.5 is not inside the network 10.99.0.1/24");
	bad("[network]\ndhcp_range = 10.99.0.1,10.99.0.5\n", "t.conf:2: dhcp_range: "
	    "10.99.0.1,10.99.0.5 contains farmd's own address 10.99.0.1");
	/* the derived range may hit the address: reported at address */
	bad("[network]\naddress = 10.99.0.150/24\n", "t.conf:2: dhcp_range: "
	    "10.99.0.100,10.99.0.199 contains farmd's own address 10.99.0.150");
	bad("[network]\nserver_url = ftp://x\n",
	    "t.conf:2: server_url: ftp://x does not start with http:// or https://");
	bad("[network]\nserver_url = http://a\"b\n", "t.conf:2: server_url: http://a\"b "
	    "is not a URL of letters, digits and .-_~:/%[]");
	bad("[network]\nserver_url = http://\n", "t.conf:2: server_url: http:// is not "
	    "a URL of letters, digits and .-_~:/%[]");

	bad("[machine m]\nkind = vm\narch = x86_64\nmac = 52:54:00:00:00:01\n",
	    "t.conf:2: kind: unknown kind \"vm\" (qemu or physical)");
	bad("[machine m]\nkind = qemu\narch = riscv64\nmac = 52:54:00:00:00:01\n",
	    "t.conf:3: arch: unknown arch \"riscv64\" (x86_64 or aarch64)");
	bad("[machine m]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00\n",
	    "t.conf:4: mac: 52:54:00:00:00 is not a MAC address (as in 52:54:00:f0:00:01)");
	bad("[machine m]\nkind = qemu\narch = x86_64\nmac = 52:54:00:00:00:0g\n",
	    "t.conf:4: mac: 52:54:00:00:00:0g is not a MAC address (as in "
	    "52:54:00:f0:00:01)");
	bad("[machine m]\nkind = qemu\narch = x86_64\nmac = 01:00:5e:00:00:01\n",
	    "t.conf:4: mac: 01:00:5e:00:00:01 is a multicast address, not a NIC's");
	bad("[machine m]\nkind = qemu\narch = x86_64\nmac = 00:00:00:00:00:00\n",
	    "t.conf:4: mac: 00:00:00:00:00:00 is not a usable MAC address");
	bad(VM "accel = hvf\n", "t.conf:5: accel: unknown accel \"hvf\" (auto, kvm or tcg)");
	bad(VM "cpu = max host\n", "t.conf:5: cpu: expected one word of letters, digits "
	    "and ._,=+-, not \"max host\"");
	bad(VM "qemu_machine =\n", "t.conf:5: qemu_machine: expected one word of "
	    "letters, digits and ._,=+-, not \"\"");
	bad(VM "qemu = my qemu\n", "t.conf:5: qemu: expected one program name or path");
	bad(VM "firmware =\n", "t.conf:5: firmware: empty path");
	bad(VM "tags = fast sm@ke\n", "t.conf:5: tags: bad word \"sm@ke\" (a tag is up "
	    "to 64 letters, digits and ._=-)");
	bad(VM "tags = arch=aarch64\n", "t.conf:5: tags: arch=aarch64 contradicts "
	    "arch = x86_64");
	bad(HW "power_off =\n", "t.conf:6: power_off: empty value");
	bad(HW "console = serial:/dev/ttyS0\n", "t.conf:6: console: \"serial:/dev/ttyS0\" "
	    "is not tcp:HOST:PORT, telnet:HOST:PORT or command:CMD");
	bad(HW "console = tcp:host\n", "t.conf:6: console: expected HOST:PORT, not host");
	bad(HW "console = telnet:h:0\n",
	    "t.conf:6: console: port 0 is not a number from 1 to 65535");
	bad(HW "console = command:\n", "t.conf:6: console: command: needs a command");
}

static void
test_required(void **state)
{
	(void)state;
	bad("\n[machine m]\n", "t.conf:2: machine m: kind is required (qemu or physical)\n"
	    "t.conf:2: machine m: arch is required (x86_64 or aarch64)\n"
	    "t.conf:2: machine m: mac is required");
	bad("[machine m]\nkind = physical\narch = x86_64\nmac = 00:1b:21:aa:bb:cc\n"
	    "console = tcp:cs:7001\n",
	    "t.conf:1: machine m: power_on is required for a physical machine");
	/* a bad value counts as given: no second error for it */
	bad("[machine m]\nkind = qemu\narch = sparc\nmac = 52:54:00:00:00:01\n",
	    "t.conf:3: arch: unknown arch \"sparc\" (x86_64 or aarch64)");
}

/* All errors are reported, in line order, one per line. */
static void
test_all_errors(void **state)
{
	(void)state;
	bad("[farm]\n"
	    "listen = 127.0.0.1:99999\n"
	    "listen = x\n"
	    "foo = bar\n"
	    "[network]\n"
	    "mode = bogus\n"
	    "[machine b]\n"
	    "power_on = on\n"
	    "kind = qemu\n"
	    "arch = x86_64\n"
	    "[wat]\n"
	    "junk\n",
	    "t.conf:2: listen: port 99999 is not a number from 1 to 65535\n"
	    "t.conf:3: duplicate key listen (first at line 2)\n"
	    "t.conf:4: unknown key \"foo\" in [farm]\n"
	    "t.conf:6: mode: unknown mode \"bogus\" (lab, proxy, external or user)\n"
	    "t.conf:7: machine b: mac is required\n"
	    "t.conf:8: power_on: only for kind = physical machines, and b is kind = qemu\n"
	    "t.conf:11: unknown section [wat] (farm, network or machine NAME)\n"
	    "t.conf:12: expected \"key = value\" or a [section]");
}

static void
test_lookup(void **state)
{
	struct farm_conf *c = ok(VM HW);
	const struct machine_conf *vm, *hw;
	char arch_x86[] = "arch=x86_64", arch_arm[] = "arch=aarch64", big[] = "big",
	    nope[] = "nope";
	char *fast_x86[] = { arch_x86 };
	char *two[] = { arch_arm, big };
	char *none[] = { nope };

	(void)state;
	vm = config_machine(c, "vm");
	hw = config_machine(c, "hw");
	assert_non_null(vm);
	assert_non_null(hw);
	assert_null(config_machine(c, "vm2"));
	assert_ptr_equal(config_machine_by_mac(c, "52:54:00:00:00:01"), vm);
	assert_ptr_equal(config_machine_by_mac(c, "52-54-00-00-00-01"), vm);
	assert_ptr_equal(config_machine_by_mac(c, "00:1B:21:AA:BB:CC"), hw);
	assert_null(config_machine_by_mac(c, "00:1b:21:aa:bb:cd"));
	assert_null(config_machine_by_mac(c, "junk"));
	assert_true(config_machine_matches(vm, NULL, 0));
	assert_true(config_machine_matches(vm, fast_x86, 1));
	assert_false(config_machine_matches(hw, fast_x86, 1));
	assert_false(config_machine_matches(hw, two, 2));
	assert_true(config_machine_matches(hw, two, 1));
	assert_false(config_machine_matches(vm, none, 1));
	config_free(c);

	c = ok(HW "tags = big\n");
	assert_true(config_machine_matches(&c->machines[0], two, 2));
	config_free(c);
}

static char *
write_temp(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_load(void **state)
{
	char tmpl[] = "/tmp/test_config.XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *cause = NULL, *want;
	struct farm_conf *c;
	static const char text[] = "[farm]\nstate_dir = st\n[machine a]\nkind = qemu\n"
	    "arch = aarch64\nmac = 52:54:00:00:00:09\nfirmware = code.fd\n";
	static const char binary[] = "[farm]\nlisten = 1.2.3.4:5\n\0\x01\x02";

	(void)state;
	assert_non_null(dir);
	path = write_temp(dir, "farm.conf", text, sizeof(text) - 1);
	c = config_load(path, &cause);
	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->dir, dir);
	want = xasprintf("%s/st", dir);
	assert_string_equal(c->state_dir, want);
	free(want);
	want = xasprintf("%s/code.fd", dir);
	assert_string_equal(c->machines[0].firmware, want);
	free(want);
	config_free(c);
	unlink(path);
	free(path);

	path = write_temp(dir, "bin.conf", binary, sizeof(binary) - 1);
	assert_null(config_load(path, &cause));
	want = xasprintf("%s:3: NUL byte (binary file?)", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);

	path = xasprintf("%s/missing.conf", dir);
	assert_null(config_load(path, &cause));
	want = xasprintf("%s: No such file or directory", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	/* cause may be NULL */
	assert_null(config_load("/nonexistent/farm.conf", NULL));
	assert_null(config_parse("x", ".", "[bad", NULL));
	config_free(NULL);
	rmdir(dir);
}

static void
test_hostile(void **state)
{
	struct buf b = {0};
	char *cause = NULL;
	size_t i, n;
	uint32_t seed = 12345;
	char tmpl[] = "/tmp/test_config.XXXXXX", *dir, *path, *want;

	(void)state;
	/* control bytes */
	bad("[farm]\nlisten = 1.2.3.4:5\x01\n\x7f\n",
	    "t.conf:2: control character in line (binary file?)\n"
	    "t.conf:3: control character in line (binary file?)");
	/* a huge line */
	buf_adds(&b, "[farm]\napi_token = ");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'a');
	bad(b.data, "t.conf:2: line is 100012 bytes long (at most 4096)");
	buf_free(&b);

	/* more errors than are shown */
	buf_adds(&b, "[farm]\n");
	for (i = 0; i < 150; i++)
		buf_printf(&b, "k%zu = v\n", i);
	assert_null(config_parse("t.conf", ".", b.data, &cause));
	for (i = 0, n = 0; cause[i]; i++)
		n += cause[i] == '\n';
	assert_int_equal(n, 100);
	assert_non_null(strstr(cause, "t.conf:2: unknown key \"k0\" in [farm]\n"));
	assert_non_null(strstr(cause, "\nt.conf: 50 more errors not shown"));
	free(cause);
	buf_free(&b);

	/* too many machines */
	for (i = 0; i < 1100; i++)
		buf_printf(&b, "[machine m%zu]\nkind = qemu\narch = x86_64\n"
		    "mac = 52:54:00:00:%02zx:%02zx\n", i, i >> 8, i & 255);
	assert_null(config_parse("t.conf", ".", b.data, &cause));
	assert_string_equal(cause, "t.conf:4097: more than 1024 machines");
	free(cause);
	buf_free(&b);

	/* 1024 machines are fine */
	for (i = 0; i < 1024; i++)
		buf_printf(&b, "[machine m%zu]\nkind = qemu\narch = x86_64\n"
		    "mac = 52:54:00:00:%02zx:%02zx\n", i, i >> 8, i & 255);
	{
		struct farm_conf *c = ok(b.data);

		assert_int_equal(c->nmachines, 1024);
		config_free(c);
	}
	buf_free(&b);

	/* a file too big to be a farm.conf */
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	for (i = 0; i < 110000; i++)
		buf_adds(&b, "# comment\n");
	path = write_temp(dir, "big.conf", b.data, b.len);
	assert_null(config_load(path, &cause));
	want = xasprintf("%s: 1100000 bytes is too big for a farm.conf (at most 1048576)",
	    path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);
	rmdir(dir);
	buf_free(&b);

	/* random text made of farm.conf's own pieces: never a crash */
	for (i = 0; i < 3000; i++) {
		static const char *const pieces[] = {
			"[farm]", "[network]", "[machine a]", "[machine b]", "\n", " = ", "=",
			"kind", "qemu", "physical", "arch", "x86_64", "mac",
			"52:54:00:00:00:01", "listen", "1.2.3.4:5", "address", "10.0.0.1/8",
			"dhcp_range", "10.0.0.5,10.0.0.9", "tags", "#", ";", " ", "\t", "[",
			"]", "power_on", "memory", "256", "\r", "\xff", "mode", "user",
		};
		struct farm_conf *c;
		size_t j, len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 60;
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf_adds(&b, pieces[(seed >> 16) % ARRAY_SIZE(pieces)]);
		}
		cause = NULL;
		c = config_parse("r.conf", ".", b.data ? b.data : "", &cause);
		assert_true((c == NULL) != (cause == NULL));
		config_free(c);
		free(cause);
		buf_reset(&b);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_boot_loader),
		cmocka_unit_test(test_proxy_mode),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_farm_keys),
		cmocka_unit_test(test_network_keys),
		cmocka_unit_test(test_qemu_machine),
		cmocka_unit_test(test_physical_machine),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_unknown_and_misplaced),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
