#!/bin/bash
# install.sh - `make install` into a temporary DESTDIR with PREFIX=/usr puts
# every file where docs/operating.md says, the installed farmd checks and
# runs the installed configuration (its paths moved into DESTDIR, QEMU user
# networking, a free loopback port), answers the API and serves the
# installed web page, the installed bash completion finds its machines,
# farmd stops on SIGTERM, an edited farm.conf survives a new install and
# uninstall, and `make uninstall` removes everything else install made.
# The systemd unit is checked with `systemd-analyze verify` when systemd
# is installed.
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BUILD=${BUILD:-build}
t=$(mktemp -d /tmp/farm-install.XXXXXX)
dest=$t/dest
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$t"
}
trap cleanup EXIT
n=0
nfail=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		nfail=$((nfail + 1))
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

for f in "$BUILD/farmd" "$BUILD/farmctl"; do
	[ -x "$f" ] || { echo "Bail out! $f is missing: run make"; exit 1; }
done

# ---- make install ----
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr BUILD="$BUILD" \
    >"$t/install.log" 2>&1
rc=$?
ok $rc "make install DESTDIR=\$tmp PREFIX=/usr$( [ $rc -ne 0 ] && tail -5 "$t/install.log" | tr '\n' ' ')"

# Every file install must have made, the lists of programs taken from the
# build, so that a new test program or web file is expected too.
{
	echo usr/sbin/farmd
	echo usr/bin/farmctl
	echo usr/lib/farm/guest/unittests.cfg
	(cd "$BUILD/guest" && ls -d */*.efi) | sed 's|^|usr/lib/farm/guest/|'
	(cd "$BUILD/netboot" && find . -path '*/obj' -prune -o -type f -print) |
	    sed 's|^\./|usr/lib/farm/netboot/|'
	(cd "$BUILD/web" && find . -path ./node_modules -prune -o -type f \
	    ! -name 'package*.json' -print) | sed 's|^\./|usr/share/farm/web/|'
	echo usr/share/farm/farm.conf.sample
	echo usr/share/man/man1/farmctl.1
	echo usr/share/man/man5/farm.conf.5
	echo usr/share/man/man8/farmd.8
	echo usr/share/bash-completion/completions/farmctl
	echo usr/lib/systemd/system/farmd.service
	echo etc/farm/farm.conf
} | sort >"$t/expected"
missing=$(while read -r f; do [ -f "$dest/$f" ] || echo "$f"; done <"$t/expected")
[ -z "$missing" ]
ok $? "the $(wc -l <"$t/expected") expected files are installed${missing:+; missing: $(echo $missing)}"
grep -q 'usr/lib/farm/guest/x86_64/selftest.efi' "$t/expected" &&
    grep -q 'usr/lib/farm/netboot/x86_64/setvar.efi' "$t/expected" &&
    grep -q 'usr/share/farm/web/index.html' "$t/expected"
ok $? "the expected files include selftest.efi, setvar.efi and index.html"
(cd "$dest" && find . -type f -o -type l) | sed 's|^\./||' | sort >"$t/installed"
extra=$(comm -13 "$t/expected" "$t/installed")
[ -z "$extra" ]
ok $? "nothing else is installed (no objects, libraries, node_modules)${extra:+: $(echo $extra | head -c 300)}"
[ -x "$dest/usr/sbin/farmd" ] && [ -x "$dest/usr/bin/farmctl" ] &&
    [ "$(stat -c %a "$dest/etc/farm/farm.conf")" = 640 ] &&
    [ "$(stat -c %a "$dest/usr/lib/farm/guest/unittests.cfg")" = 644 ]
ok $? "programs are executable, farm.conf is 0640 (it may hold the API token)"

# ---- the installed farm.conf ----
conf=$dest/etc/farm/farm.conf
want="state_dir = /var/lib/farm
suite = /usr/lib/farm/guest/unittests.cfg
tests_dir = /usr/lib/farm/guest
netboot_dir = /usr/lib/farm/netboot
web_dir = /usr/share/farm/web"
wrong=$(echo "$want" | while read -r line; do grep -qxF "$line" "$conf" || echo "$line;"; done)
[ -z "$wrong" ]
ok $? "the installed farm.conf points at the installed files and /var/lib/farm${wrong:+; lacks: $wrong}"
bad=$(grep -E '^[a-z_]+ *= *(build|guest|state|web)(/|$)' "$conf" | tr '\n' ' ')
[ -z "$bad" ]
ok $? "the installed farm.conf has no path into a source tree${bad:+: $bad}"

# ---- the systemd unit ----
unit=$dest/usr/lib/systemd/system/farmd.service
grep -qx 'ExecStart=/usr/sbin/farmd -c /etc/farm/farm.conf' "$unit" &&
    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" && ! grep -q '@' "$unit"
ok $? "the unit runs /usr/sbin/farmd -c /etc/farm/farm.conf, reloads with SIGHUP, no @VAR@ left"
if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart's program exists and that the
	# Documentation= pages are found by man: point both into DESTDIR.
	sed -e "s|/usr/sbin/farmd|$dest/usr/sbin/farmd|g" -e "s|/etc/farm/|$dest/etc/farm/|g" \
	    "$unit" >"$t/farmd.service"
	MANPATH=$dest/usr/share/man systemd-analyze verify "$t/farmd.service" >"$t/verify" 2>&1
	ok $? "systemd-analyze verify accepts the unit, man:farmd(8) etc. found$(tr '\n' ' ' <"$t/verify" | head -c 400)"
else
	skip "systemd-analyze verify" "systemd is not installed"
fi
if command -v man >/dev/null; then
	MANPATH=$dest/usr/share/man man -w farmd farmctl farm.conf >/dev/null 2>&1
	ok $? "man finds farmd(8), farmctl(1) and farm.conf(5) under \$PREFIX/share/man"
else
	skip "man finds the pages" "man-db is not installed"
fi

# ---- the installed farmd on the installed configuration ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|= /usr/|= $dest/usr/|" -e "s|^state_dir = /var/lib/farm|state_dir = $t/state|" \
    -e "s|^listen = .*|listen = 127.0.0.1:$port|" -e "s|^mode = .*|mode = user|" \
    "$conf" >"$t/farm.conf"
"$dest/usr/sbin/farmd" -n -c "$t/farm.conf" >"$t/check" 2>&1
ok $? "installed farmd -n passes the installed farm.conf (paths in \$tmp, mode = user): $(head -c 300 "$t/check")"
grep -q "suite $dest/usr/lib/farm/guest/unittests.cfg" "$t/check"
ok $? "and reads the installed suite"

"$dest/usr/sbin/farmd" -c "$t/farm.conf" >"$t/farmd.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
	grep -q 'ready:' "$t/farmd.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "ready: http://127.0.0.1:$port/" "$t/farmd.log"
ok $? "installed farmd starts on 127.0.0.1:$port$(grep -q ready: "$t/farmd.log" || tail -5 "$t/farmd.log" | tr '\n' ' ')"

url=http://127.0.0.1:$port
"$dest/usr/bin/farmctl" -s "$url" --json machines >"$t/machines" 2>&1
[ $? -eq 0 ] && grep -q '"name": "vm-x86"' "$t/machines"
ok $? "GET /api/v1/machines answers (installed farmctl --json machines): $(tr -d ' \n' <"$t/machines" | head -c 120)"
if command -v curl >/dev/null; then
	curl -sf "$url/" >"$t/index.html"
	cmp -s "$t/index.html" "$dest/usr/share/farm/web/index.html"
	ok $? "GET / serves the installed web page ($dest/usr/share/farm/web/index.html)"
else
	skip "GET / serves the installed web page" "curl is not installed"
fi

# The installed completion, run as bash-completion would, against this
# farmd: the commands from farmctl --help, the machines from the API.
cat >"$t/complete.sh" <<EOF
source "$dest/usr/share/bash-completion/completions/farmctl"
comp() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); _farmctl; echo "\${COMPREPLY[*]}"; }
comp "$dest/usr/bin/farmctl" ""
comp "$dest/usr/bin/farmctl" sch
comp "$dest/usr/bin/farmctl" schedule --w
comp "$dest/usr/bin/farmctl" -s "$url" schedule --machine ""
comp "$dest/usr/bin/farmctl" --server="$url" jobs -m vm
comp "$dest/usr/bin/farmctl" -s "$url" machine set ""
comp "$dest/usr/bin/farmctl" -s "$url" machine set vm-x86 ""
EOF
bash "$t/complete.sh" >"$t/complete.out" 2>&1
sed -n 1p "$t/complete.out" | grep -q 'schedule.*jobs.*machines.*cancel'
ok $? "completion: farmctl <TAB> lists the commands: $(sed -n 1p "$t/complete.out")"
[ "$(sed -n 2p "$t/complete.out")" = schedule ] && [ "$(sed -n 3p "$t/complete.out")" = --wait ]
ok $? "completion: 'sch' -> schedule, 'schedule --w' -> --wait"
[ "$(sed -n 4p "$t/complete.out")" = "vm-x86 vm-arm" ] && [ "$(sed -n 5p "$t/complete.out")" = "vm-x86 vm-arm" ]
ok $? "completion: --machine <TAB> asks the server given by -s/--server=: $(sed -n 4,5p "$t/complete.out" | tr '\n' ' ')"
[ "$(sed -n 6p "$t/complete.out")" = "vm-x86 vm-arm" ] && [ "$(sed -n 7p "$t/complete.out")" = "maintenance online" ]
ok $? "completion: machine set <TAB> -> vm-x86 vm-arm, then maintenance online: $(sed -n 6,7p "$t/complete.out" | tr '\n' ' ')"

kill -TERM "$pid"
for _ in $(seq 1 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	ok 1 "installed farmd stops on SIGTERM (still running after 10 s)"
else
	wait "$pid"
	rc=$?
	pid=
	[ "$rc" -eq 0 ] && grep -q 'stopped' "$t/farmd.log"
	ok $? "installed farmd stops on SIGTERM, status $rc"
fi

# ---- an admin's farm.conf is theirs ----
echo "# edited by the admin" >>"$conf"
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr BUILD="$BUILD" \
    >"$t/install2.log" 2>&1
[ $? -eq 0 ] && tail -1 "$conf" | grep -q 'edited by the admin' &&
    grep -q 'farm.conf exists: kept' "$t/install2.log"
ok $? "a second make install keeps the edited farm.conf and says so"

# ---- make uninstall ----
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/usr >"$t/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=\$tmp PREFIX=/usr"
left=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||')
[ "$left" = etc/farm/farm.conf ]
ok $? "uninstall removes every installed file but the edited farm.conf${left:+ (left: $(echo $left | head -c 300))}"
[ ! -e "$dest/usr/lib/farm" ] && [ ! -e "$dest/usr/share/farm" ]
ok $? "uninstall removes \$PREFIX/lib/farm and \$PREFIX/share/farm"

# An unedited farm.conf goes too, and /etc/farm with it; default PREFIX.
dest2=$t/dest2
make --no-print-directory -s install DESTDIR="$dest2" BUILD="$BUILD" >"$t/install3.log" 2>&1 &&
    grep -qx 'ExecStart=/usr/local/sbin/farmd -c /etc/farm/farm.conf' \
    "$dest2/usr/local/lib/systemd/system/farmd.service" &&
    grep -qx 'suite = /usr/local/lib/farm/guest/unittests.cfg' "$dest2/etc/farm/farm.conf" &&
    grep -q '/usr/local/lib/farm/guest' "$dest2/usr/local/share/man/man8/farmd.8"
ok $? "default PREFIX is /usr/local: unit, farm.conf and man pages say so"
make --no-print-directory -s uninstall DESTDIR="$dest2" >"$t/uninstall2.log" 2>&1
left=$(cd "$dest2" && find . -type f -o -type l | sed 's|^\./||')
[ -z "$left" ] && [ ! -e "$dest2/etc/farm" ]
ok $? "uninstall of an unedited install leaves no file and no /etc/farm${left:+ (left: $(echo $left | head -c 300))}"

echo "1..$n"
[ "$nfail" -eq 0 ]
