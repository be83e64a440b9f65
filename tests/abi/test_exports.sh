#!/bin/sh
# SPDX-License-Identifier: MIT
# test_exports.sh — the ABI of libotter is exactly the public API: the
# functions the headers declare with OT_API, nothing more (no internal
# ot__ symbol, nothing without the prefix), nothing less.
#
# Run by `make check` through the TAP driver. Makefile.am exports
# top_builddir, srcdir, NM and CC; run by hand they default to ".", ".",
# "nm" and "cc". The version node (OTTER_0, type A) is allowed.
#   1. libotter.so exports exactly the declared functions;
#   2. libotter-dist.so, when built, exports exactly what otter/dist.h
#      and otter/term.h declare (not the ei it is linked with);
#   3. the check itself fails on a library that exports an internal ot__
#      function and an undeclared ot_ one (built here, when cc works).
# A build without a shared library (--disable-shared) has nothing to check.

top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
NM=${NM:-nm}
CC=${CC:-cc}
lib=$top_builddir/.libs/libotter.so

if test ! -e "$lib"; then
	echo "1..0 # SKIP no shared library ($lib)"
	exit 0
fi

echo "1..3"

work=$(mktemp -d "${TMPDIR:-/tmp}/test_exports.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# declared HEADER...: the API they declare, one function name a line, sorted.
declared() {
	awk -v mode=header -f "$srcdir/man/decls.awk" "$@" 2>/dev/null |
		sed 's/(.*//; s/.*[ *]//' | sort -u
}
# otter/dist.h and otter/term.h are libotter-dist's (checked as 2.), not
# libotter's.
declared $(ls "$srcdir"/include/otter/*.h "$top_builddir"/include/otter/*.h 2>/dev/null |
	grep -v '/\(dist\|term\)\.h$') >"$work/declared"

# check_lib LIB [DECLARED]: prints what LIB exports and should not, and what
# is declared (in DECLARED, default $work/declared) and not exported;
# nothing when it is right.
check_lib() {
	if ! $NM -D --defined-only "$1" >"$work/nm" 2>&1; then
		echo "$NM failed:"
		cat "$work/nm"
		return
	fi
	# nm -D prints "ADDRESS TYPE NAME[@@VERSION]"
	awk 'NF >= 2 {
		type = $(NF - 1); name = $NF; sub(/@.*/, "", name)
		if (type == "A" && name ~ /^OTTER_([A-Z]+_)?[0-9]+$/) next  # version node
		print name
	}' "$work/nm" | sort -u >"$work/exported"
	comm -23 "$work/exported" "${2:-$work/declared}" | sed 's/^/exported, not declared: /'
	comm -13 "$work/exported" "${2:-$work/declared}" | sed 's/^/declared, not exported: /'
}

problems=$(check_lib "$lib")
if test -n "$problems"; then
	echo "not ok 1 - $lib exports other than the declared API"
	printf '%s\n' "$problems" | sed 's/^/# /'
else
	echo "ok 1 - $lib exports exactly the declared API ($(wc -l <"$work/declared") functions)"
fi

dist=$top_builddir/.libs/libotter-dist.so
if test -e "$dist"; then
	declared "$srcdir/include/otter/dist.h" "$srcdir/include/otter/term.h" \
		>"$work/declared_dist"
	problems=$(check_lib "$dist" "$work/declared_dist")
	if test -n "$problems"; then
		echo "not ok 2 - $dist exports other than otter/dist.h's and term.h's API"
		printf '%s\n' "$problems" | sed 's/^/# /'
	else
		echo "ok 2 - $dist exports exactly otter/dist.h's and term.h's API"
	fi
else
	echo "ok 2 # SKIP no libotter-dist (configure found no erl_interface)"
fi

# A deliberately bad library: every declared function (so that only the
# two extras differ), an internal one and an undeclared one.
{
	sed 's/.*/void &(void) {}/' "$work/declared"
	echo 'void ot__internal_helper(void) {}'
	echo 'void ot_not_in_any_header(void) {}'
} >"$work/bad.c"
if ! $CC -shared -fPIC -o "$work/libbad.so" "$work/bad.c" 2>"$work/cc.log"; then
	echo "ok 3 # SKIP $CC cannot build a shared library here"
	exit 0
fi
problems=$(check_lib "$work/libbad.so")
case "$problems" in
*"exported, not declared: ot__internal_helper"*"exported, not declared: ot_not_in_any_header"* | \
*"exported, not declared: ot_not_in_any_header"*"exported, not declared: ot__internal_helper"*)
	echo "ok 3 - the check finds an exported ot__ symbol and an undeclared ot_ one"
	;;
*)
	echo "not ok 3 - the check passed a library exporting ot__internal_helper and ot_not_in_any_header"
	printf '%s\n' "$problems" | sed 's/^/# /'
	;;
esac
exit 0
