#!/bin/bash
# proxy.t - farmd beside a lab's own DHCP server (`mode = proxy`): the
# test's namespace has a lab interface with a DHCP server of its own (a
# plain dnsmasq that hands out addresses and knows nothing of booting);
# farmd runs dnsmasq as ProxyDHCP on that interface and makes no network
# of its own. A "physical" machine (tests/e2e/physical/power.sh: QEMU with
# OVMF and no option ROM, on a tap of the lab interface, its serial line
# over TCP) PXE-boots through the firmware: the lab's DHCP gives it an
# address, farmd's ProxyDHCP gives it iPXE over TFTP, iPXE asks again and
# gets farm's first stage from the ProxyDHCP, then selftest runs. A second
# machine set to farmboot gets farmboot.efi over TFTP, which finds farmd
# through the URL farmd wrote into the copy it serves.
. "$(dirname "$0")/lib.sh"
HERE=$REPO/tests/e2e/physical
CPORT=7011
SERVER_PIDS=()

# The lab: interface labbr (a bridge, like a lab switch) with farmd's
# address, an IPv6 address for router advertisements, and the lab's own
# DHCP server.
lab_up() {
	in_ns ip link add labbr type bridge &&
	    in_ns ip addr add 10.98.0.1/24 dev labbr &&
	    in_ns ip addr add fd66:6172:6d01::1/64 dev labbr nodad &&
	    in_ns ip link set labbr up || { echo "Bail out! cannot make the lab interface"; exit 1; }
	ip netns exec "$NS" dnsmasq --keep-in-foreground --user=root --group= \
	    --conf-file=/dev/null --port=0 --interface=labbr --bind-interfaces \
	    --except-interface=lo --dhcp-authoritative \
	    --dhcp-range=10.98.0.50,10.98.0.99,255.255.255.0,1h \
	    --dhcp-leasefile="$T/lab-dhcp.leases" --pid-file="$T/lab-dhcp.pid" \
	    --enable-ra --dhcp-range=::,constructor:labbr,ra-only \
	    --log-dhcp --log-facility="$T/lab-dhcp.log" &
	SERVER_PIDS+=($!)
	for sim in rack1 rack2; do
		ip netns exec "$NS" python3 "$HERE/serial-server.py" \
		    --listen "127.0.0.1:$((CPORT + ${#SERVER_PIDS[@]}))" \
		    --line "$T/$sim/serial.sock" >>"$T/serial-$sim.log" 2>&1 &
		SERVER_PIDS+=($!)
	done
}

mkdir -p "$T/rack1" "$T/rack2"
cat >"$T/rack1/config" <<CONF
MAC=52:54:00:f0:00:20
TAP=rack1tap
BRIDGE=labbr
SERIAL=$T/rack1/serial.sock
ROMFILE=
CONF
sed -e 's/00:20/00:21/' -e 's/rack1/rack2/g' "$T/rack1/config" >"$T/rack2/config"

proxy_stop() {
	"$HERE/power.sh" off "$T/rack1" >/dev/null 2>&1
	"$HERE/power.sh" off "$T/rack2" >/dev/null 2>&1
	for p in "${SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	e2e_stop
}

E2E_PRE_FARMD=lab_up
E2E_NETWORK="[network]
mode = proxy
interface = labbr
address = 10.98.0.1/24"
e2e_start "
[machine rack1]
kind = physical
arch = x86_64
mac = 52:54:00:f0:00:20
power_on = $HERE/power.sh on $T/rack1
power_off = $HERE/power.sh off $T/rack1
console = tcp:127.0.0.1:$((CPORT + 1))
boot_timeout = 150

[machine rack2]
kind = physical
arch = x86_64
mac = 52:54:00:f0:00:21
boot = farmboot
power_on = $HERE/power.sh on $T/rack2
power_off = $HERE/power.sh off $T/rack2
console = tcp:127.0.0.1:$((CPORT + 2))
boot_timeout = 150
"
trap proxy_stop EXIT

grep -q "dnsmasq started on labbr (pid [0-9]*), ProxyDHCP" "$T/farmd.log"
ok $? "farmd runs dnsmasq as ProxyDHCP on the lab's interface"
! in_ns ip link show farm0 >/dev/null 2>&1
ok $? "and makes no network of its own (no bridge farm0)"
grep -q "^dhcp-range=10.98.0.0,proxy,255.255.255.0$" "$T/state/dnsmasq.conf"
ok $? "its dnsmasq.conf: a proxy range on the lab's network, no addresses of its own"

out=$(farmctl --json schedule --machine rack1 --wait selftest)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
ok $rc "selftest on a machine whose firmware PXE-boots beside the lab's DHCP server"
id=$(echo "$out" | jq -r '.jobs[0].id')
grep -q "DHCPACK(labbr) 10.98.0.[0-9]* 52:54:00:f0:00:20" "$T/lab-dhcp.log"
ok $? "its address came from the lab's DHCP server"
grep -q "PXE(labbr) 52:54:00:f0:00:20 proxy" "$T/state/dnsmasq.log"
ok $? "its boot information from farmd's ProxyDHCP"
grep -q "sent .*x86_64/ipxe.efi to 10.98.0" "$T/state/dnsmasq.log"
ok $? "the firmware got iPXE over TFTP from farmd's dnsmasq"
farmctl log "$id" | grep -q '^SUMMARY:'
ok $? "the test's console came over TCP"

out=$(farmctl --json schedule --machine rack2 --wait selftest)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
ok $rc "selftest on a machine set to farmboot, beside the lab's DHCP server"
id=$(echo "$out" | jq -r '.jobs[0].id')
grep -q "sent .*x86_64/farmboot.efi to 10.98.0" "$T/state/dnsmasq.log"
ok $? "its firmware got farmboot.efi over TFTP"
farmctl log "$id" | grep -q "farmboot: server http://10.98.0.1:$PORT"
ok $? "farmboot found farmd through the URL in the copy farmd serves (no option 224 in proxy mode)"

e2e_done
