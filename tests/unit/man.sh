#!/bin/bash
# man.sh - the man pages render without warnings and stay true to the code:
#   - man/farmd.8, man/farmctl.1 and man/farm.conf.5 render with `man -l`
#     and groff without a warning;
#   - farmctl.1 has a subsection ".Ss farmctl NAME" for every command of
#     `farmctl --help`, naming each option `farmctl help NAME` lists, and
#     names every global option; it has no subsection for a command that
#     does not exist;
#   - farmd.8 lists every option letter of farmd.c's getopt string;
#   - farm.conf.5 lists every key of config.c's conf_keys[] as an item of
#     the subsection of its section ([farm], [network], [machine NAME]).
# The checks are run once more on pages with a command and a key cut out,
# and must then fail: a check that cannot fail proves nothing.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

if ! command -v groff >/dev/null; then
	echo "1..0 # SKIP groff is not installed (apt-get install groff-base)"
	exit 0
fi
[ -x "$BUILD/farmctl" ] || { echo "Bail out! $BUILD/farmctl is missing: run make"; exit 1; }

PAGES="man/farmd.8 man/farmctl.1 man/farm.conf.5"

# render PAGE: plain ASCII text, lines never wrapped, no overstrikes or
# tabs, for searching.
render() {
	if command -v man >/dev/null; then
		LC_ALL=C MANWIDTH=1000 man -l "$1" 2>/dev/null
	else
		LC_ALL=C groff -mandoc -Tascii -rLL=1000n "$1" 2>/dev/null
	fi | sed -e 's/.\x08//g' | expand
}

# subsection TEXT HEADING: the lines of a rendered subsection (a heading
# at indent 3) up to the next heading or section.
subsection() {
	awk -v h="$2" '
		/^[^ ]/ || /^   [^ ]/ { on = ($0 == "   " h) ; next }
		on' "$1"
}

# has_opt TEXT OPT: TEXT names OPT as an option (not as part of a word).
has_opt() {
	grep -qE -- "(^|[^-[:alnum:]])$2([^-[:alnum:]]|\$)" "$1"
}

# ---- rendering ----
for p in $PAGES; do
	LC_ALL=C.UTF-8 groff -mandoc -ww -z -Tutf8 "$p" >"$t/groff.err" 2>&1
	[ $? -eq 0 ] && [ ! -s "$t/groff.err" ]
	ok $? "$p: groff -mandoc -ww renders it without a warning$(head -c 300 "$t/groff.err" | tr '\n' ' ')"
	if command -v man >/dev/null; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" >"$t/man.out" 2>"$t/man.err"
		[ $? -eq 0 ] && [ ! -s "$t/man.err" ] && [ "$(wc -l <"$t/man.out")" -gt 20 ]
		ok $? "$p: man -l --warnings renders $(wc -l <"$t/man.out") lines, no warning$(head -c 300 "$t/man.err" | tr '\n' ' ')"
	else
		n=$((n + 1)); echo "ok $n - $p: man -l # SKIP man-db is not installed"
	fi
done

# ---- farmctl.1 against farmctl ----
"$BUILD/farmctl" --help >"$t/help" 2>&1
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$t/help")
[ -n "$commands" ]
ok $? "farmctl --help lists commands: $(echo $commands)"

# options_of HELPFILE: every -x and --xx that a help text lists.
options_of() {
	sed -n -e 's/^  \(-[A-Za-z]\), \(--[a-z][a-z-]*\).*/\1\n\2/p' \
	    -e 's/^      \(--[a-z][a-z-]*\).*/\1/p' "$1"
}

# check_farmctl PAGE: prints one line per thing the page misses.
check_farmctl() {
	local text=$t/farmctl.txt c o
	render "$1" >"$text"
	for o in $(options_of "$t/help"); do
		has_opt "$text" "$o" || echo "global option $o"
	done
	for c in $commands; do
		subsection "$text" "farmctl $c" >"$t/sect"
		if [ ! -s "$t/sect" ]; then
			echo "command $c (no .Ss farmctl $c)"
			continue
		fi
		"$BUILD/farmctl" help "$c" >"$t/cmdhelp" 2>&1
		for o in $(options_of "$t/cmdhelp"); do
			has_opt "$t/sect" "$o" || echo "command $c: option $o"
		done
	done
	for c in $(sed -n 's/^   farmctl \([^ ]*\)$/\1/p' "$text"); do
		echo " $commands " | tr '\n' ' ' | grep -q " $c " ||
		    echo "a section for command $c, which farmctl does not have"
	done
}

check_farmctl man/farmctl.1 >"$t/missing"
[ ! -s "$t/missing" ]
ok $? "farmctl.1 names every command and option of farmctl$(sed 's/^/; missing: /' "$t/missing" | tr -d '\n')"

# ---- farmd.8 against farmd.c ----
letters=$(grep -o 'getopt(argc, argv, "[^"]*"' controller/farmd.c | head -1 |
    sed 's/.*"\([^"]*\)"/\1/; s/://g')
[ -n "$letters" ]
ok $? "farmd.c's getopt string has options: $letters"

check_farmd() {
	local text=$t/farmd.txt l
	render "$1" >"$text"
	for l in $(echo "$letters" | sed 's/./& /g'); do
		grep -qE -- "^     -$l( |\$)" "$text" || echo "option -$l"
	done
}
check_farmd man/farmd.8 >"$t/missing"
[ ! -s "$t/missing" ]
ok $? "farmd.8 lists every option of farmd$(sed 's/^/; missing: /' "$t/missing" | tr -d '\n')"

# ---- farm.conf.5 against config.c ----
sed -n '/^static const struct conf_key conf_keys\[\] = {/,/^};/p' controller/config.c |
    sed -n 's/.*\.name = "\([a-z0-9_]*\)", *\.where = \(IN_[A-Z]*\).*/\1 \2/p' >"$t/keys"
[ "$(wc -l <"$t/keys")" -gt 10 ]
ok $? "config.c's key table has $(wc -l <"$t/keys") keys"

check_conf() {
	local text=$t/conf.txt key where sect
	render "$1" >"$text"
	while read -r key where; do
		case $where in
		IN_FARM) sect="[farm]" ;;
		IN_NETWORK) sect="[network]" ;;
		*) sect="[machine NAME]" ;;
		esac
		subsection "$text" "$sect" >"$t/sect"
		grep -qE "^     $key( |\$)" "$t/sect" || echo "$sect $key"
	done <"$t/keys"
}
check_conf man/farm.conf.5 >"$t/missing"
[ ! -s "$t/missing" ]
ok $? "farm.conf.5 lists every key of config.c in its section$(sed 's/^/; missing: /' "$t/missing" | tr -d '\n')"

# ---- the checks can fail ----
awk '/^\.Ss farmctl cancel$/ { skip = 1; next } skip && /^\.S[sh] / { skip = 0 } !skip' \
    man/farmctl.1 >"$t/cut.1"
sed 's/\\-priority/\\-prio/g' "$t/cut.1" >"$t/cut2.1"
check_farmctl "$t/cut2.1" >"$t/missing"
grep -q "^command cancel" "$t/missing" && grep -q "option --priority" "$t/missing"
ok $? "the farmctl check fails on a page without cancel and --priority: $(tr '\n' ';' <"$t/missing")"

grep -v '^\.It Cm always_on ' man/farm.conf.5 | sed 's/^\.It Cm listen /.It Cm lissen /' >"$t/cut.5"
check_conf "$t/cut.5" >"$t/missing"
grep -qx "\[machine NAME\] always_on" "$t/missing" && grep -qx "\[farm\] listen" "$t/missing"
ok $? "the farm.conf check fails on a page without always_on and listen: $(tr '\n' ';' <"$t/missing")"

grep -v '^\.It Fl n$' man/farmd.8 >"$t/cut.8"
check_farmd "$t/cut.8" >"$t/missing"
grep -qx "option -n" "$t/missing"
ok $? "the farmd check fails on a page without -n: $(tr '\n' ';' <"$t/missing")"

echo "1..$n"
