#!/bin/sh
# SPDX-License-Identifier: MIT
# test_ctx_cross.sh — the AArch64 context switch, built with a cross
# compiler and run under qemu (Debian: gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, qemu-user). Skipped when they are not installed:
# the native suite already covers the switch of the machine it runs on.
srcdir=${srcdir:-.}
cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
	echo "1..0 # SKIP no $cc or qemu-aarch64"
	exit 0
fi
echo "1..1"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
printf '#define _GNU_SOURCE 1\n' > "$dir/config.h"
if "$cc" -O2 -static -I"$dir" -I"$srcdir/src/proc" \
	"$srcdir/tests/proc/ctx_check.c" "$srcdir/src/proc/ctx.c" \
	"$srcdir/src/proc/ctx_aarch64.S" "$srcdir/src/common/panic.c" \
	-o "$dir/ctx_check" 2>"$dir/cc.log" &&
	out=$(qemu-aarch64 "$dir/ctx_check"); then
	echo "ok 1 - aarch64 context switch under qemu: $out"
else
	sed 's/^/# /' "$dir/cc.log"
	echo "not ok 1 - aarch64 context switch under qemu: ${out:-did not build}"
	exit 1
fi
