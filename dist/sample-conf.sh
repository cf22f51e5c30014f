#!/bin/sh
# sample-conf.sh - writes the farm.conf that `make install` installs: the
# shipped farm.conf (SRC) with its paths pointing at the installed files.
#
#   dist/sample-conf.sh SRC PREFIX LIBDIR DATADIR STATEDIR > OUT
#
# Keys are matched by name, not by value, so the shipped file's values and
# comments may change freely; a path key the shipped file does not set is
# added at the end of [farm].
set -eu
[ $# -eq 5 ] || { echo "usage: $0 SRC PREFIX LIBDIR DATADIR STATEDIR" >&2; exit 2; }
src=$1 prefix=$2 libdir=$3 datadir=$4 statedir=$5
[ -r "$src" ] || { echo "$0: $src: cannot read" >&2; exit 1; }

awk -v prefix="$prefix" -v libdir="$libdir" -v datadir="$datadir" \
    -v statedir="$statedir" '
function setting(key) {
	if (key == "state_dir") return statedir
	if (key == "suite") return libdir "/guest/unittests.cfg"
	if (key == "tests_dir") return libdir "/guest"
	if (key == "netboot_dir") return libdir "/netboot"
	if (key == "web_dir") return datadir "/web"
	return ""
}
# The path keys [farm] must have that the shipped file did not set: the
# defaults are relative to farm.conf, which is wrong once installed.
function finish_farm(   i, k, n) {
	n = split("state_dir suite tests_dir netboot_dir web_dir", keys, " ")
	for (i = 1; i <= n; i++) {
		k = keys[i]
		if (k in seen)
			continue
		if (k == "web_dir")
			print "# The web page farmd serves at /."
		print k " = " setting(k)
		added = 1
	}
	if (added)
		print ""
	done_farm = 1
}
NR == 1 {
	print "# Installed by `make install` (PREFIX=" prefix ") from farm.conf:"
	print "# the same farm, with paths to the installed files and its state in"
	print "# " statedir ". Check it with `farmd -n -c FILE` after every change;"
	print "# every key is described in farm.conf(5)."
	print "#"
}
/^\[/ {
	if (section == "farm" && !done_farm)
		finish_farm()
	section = ($0 ~ /^\[farm\]/) ? "farm" : "other"
}
section == "farm" && /^[a-z_]+[ \t]*=/ {
	k = $0
	sub(/[ \t]*=.*/, "", k)
	v = setting(k)
	if (v != "") {
		seen[k] = 1
		print k " = " v
		next
	}
}
{ print }
END {
	if (section == "farm" && !done_farm)
		finish_farm()
}' "$src"
