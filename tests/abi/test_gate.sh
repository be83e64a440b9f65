#!/bin/sh
# SPDX-License-Identifier: MIT
# test_gate.sh — every public function of the process runtime goes through
# the gate that keeps foreign threads out of a runtime being shut down
# (src/proc/gate.h).
#
# Run by `make check` through the TAP driver (Makefile.am exports srcdir;
# run by hand it defaults to "."). Each OT_API function that the proc
# layer's headers declare (include/otter/proc.h and those split from it:
# io.h, info.h, timer.h) must be defined in src/proc/api.c, where
# every definition passes ot__gate_enter(), or be named in api.c's list of
# functions that touch nothing of the runtime. A public function added to
# src/proc without its door in api.c fails here.

srcdir=${srcdir:-.}
AWK=${AWK:-awk}
api=$srcdir/src/proc/api.c
headers="proc.h io.h info.h timer.h"

echo "1..2"

declared=$(for h in $headers; do
		$AWK -v mode=header -f "$srcdir/man/decls.awk" "$srcdir/include/otter/$h"
	done |
	$AWK '{ if (match($0, /ot_[a-z0-9_]*\(/))
			print substr($0, RSTART, RLENGTH - 1) }')
defined=$(sed -n 's/^[a-z_]*[ *]*\(ot_[a-z0-9_]*\)(.*/\1/p' "$api")
listed=$(sed -n 's/^ \*   \(ot_.*\)/\1/p' "$api" | tr ' ' '\n' | grep '^ot_')

missing=
for f in $declared; do
	if ! printf '%s\n' $defined $listed | grep -qx "$f"; then
		missing="$missing $f"
	fi
done
if test -n "$missing"; then
	echo "not ok 1 - public functions of the proc layer ($headers) without a door in src/proc/api.c"
	for f in $missing; do echo "# $f"; done
else
	echo "ok 1 - every public function of the proc layer ($headers) is in src/proc/api.c or its list"
fi

# Every door in api.c passes the gate: as many ot__gate_enter() calls as
# definitions.
n_defs=$(printf '%s\n' $defined | grep -c .)
n_gates=$(grep -c 'ot__gate_enter()' "$api")
if test "$n_defs" -ne "$n_gates"; then
	echo "not ok 2 - $n_defs functions in src/proc/api.c, $n_gates pass the gate"
else
	echo "ok 2 - the $n_defs functions of src/proc/api.c pass the gate"
fi
exit 0
