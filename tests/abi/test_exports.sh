#!/bin/sh
# SPDX-License-Identifier: MIT
# test_exports.sh — the ABI of libotter is exactly the ot_ symbols.
#
# Run by `make check` through the TAP driver. Makefile.am exports
# top_builddir and NM; run by hand, they default to "." and "nm".
# Every symbol the shared library defines in its dynamic symbol table
# must start with "ot_"; the version node (OTTER_0, type A) is allowed.
# A build without a shared library (--disable-shared) has nothing to check.

top_builddir=${top_builddir:-.}
NM=${NM:-nm}
lib=$top_builddir/.libs/libotter.so

if test ! -e "$lib"; then
	echo "1..0 # SKIP no shared library ($lib)"
	exit 0
fi

echo "1..1"

if ! syms=$($NM -D --defined-only "$lib" 2>&1); then
	echo "not ok 1 - exported symbols of $lib: $NM failed"
	printf '%s\n' "$syms" | sed 's/^/# /'
	exit 0
fi

# nm -D prints "ADDRESS TYPE NAME[@@VERSION]"; keep TYPE and bare NAME.
bad=$(printf '%s\n' "$syms" | awk '
	NF >= 2 {
		type = $(NF - 1); name = $NF; sub(/@.*/, "", name)
		if (type == "A" && name ~ /^OTTER_[0-9]+$/) next  # version node
		if (name !~ /^ot_/) print type " " name
	}')
count=$(printf '%s\n' "$syms" | awk 'NF >= 2 { n = $NF; sub(/@.*/, "", n); if (n ~ /^ot_/) c++ } END { print c + 0 }')

if test -n "$bad"; then
	echo "not ok 1 - $lib exports symbols without the ot_ prefix"
	printf '%s\n' "$bad" | sed 's/^/# not ot_: /'
elif test "$count" -eq 0; then
	echo "not ok 1 - $lib exports no ot_ symbol at all"
	printf '%s\n' "$syms" | sed 's/^/# /'
else
	echo "ok 1 - $lib exports only ot_ symbols ($count)"
fi
exit 0
