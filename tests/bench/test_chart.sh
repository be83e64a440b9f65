#!/bin/sh
# SPDX-License-Identifier: MIT
# test_chart.sh — bench/run's chart (bench/chart.py) on canned figures, no
# timing: the SVG is well-formed, has one bar per valid ratio in its
# peer's colour and on the side of 1 the ratio is on, leaves malformed
# lines out (saying so), and refuses an input with nothing to draw.
# Skipped without python3. Run by `make check` through the TAP driver.
srcdir=${srcdir:-.}
chart=$srcdir/bench/chart.py
echo "1..4"
if ! command -v python3 >/dev/null 2>&1; then
	for i in 1 2 3 4; do echo "ok $i # SKIP no python3"; done
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

printf '%s\n' 'call_s1 erlang 2.61' 'call_s1 go 1.5' 'spawn_s1 erlang 0.5' \
	'spawn_s1 go nan' 'not a figure' 'crash_s1 erlang -3' >"$tmp/in"
if python3 "$chart" <"$tmp/in" >"$tmp/out.svg" 2>"$tmp/err" &&
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' \
		"$tmp/out.svg"; then
	echo "ok 1 - a well-formed SVG"
else
	echo "not ok 1 - a well-formed SVG"
	sed 's/^/# /' "$tmp/err"
fi

# Bars carry a <title> "fig: Nx peer"; the three valid ratios, in colour.
bars=$(grep -c '<title>' "$tmp/out.svg")
erl=$(grep -c 'fill="#a2003e"><title>' "$tmp/out.svg")
go=$(grep -c 'fill="#00add8"><title>' "$tmp/out.svg")
if [ "$bars" = 3 ] && [ "$erl" = 2 ] && [ "$go" = 1 ]; then
	echo "ok 2 - one bar per valid ratio, in its peer's colour"
else
	echo "not ok 2 - bars: $bars (erlang $erl, go $go), want 3 (2, 1)"
fi

# Ahead (2.61) starts at the line at 1 and goes right; behind (0.5) ends there.
python3 - "$tmp/out.svg" >"$tmp/sides" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
one = float(re.search(r'<line x1="([0-9.]+)"[^>]*stroke="#333"', svg).group(1))
for m in re.finditer(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"[^>]*><title>([^<]*)</title>', svg):
    x, w, t = float(m.group(1)), float(m.group(2)), m.group(3)
    side = "right" if abs(x - one) < 0.2 else "left" if abs(x + w - one) < 0.2 else "?"
    print(t, side)
PY
if grep -q '^call_s1: 2.61x erlang right$' "$tmp/sides" &&
	grep -q '^spawn_s1: 0.5x erlang left$' "$tmp/sides"; then
	echo "ok 3 - ahead goes right of 1, behind left"
else
	echo "not ok 3 - sides of the bars"
	sed 's/^/# /' "$tmp/sides"
fi

left=$(grep -c 'left out' "$tmp/err")
if [ "$left" = 3 ] && ! printf '' | python3 "$chart" >/dev/null 2>&1; then
	echo "ok 4 - malformed lines left out (3), an empty input refused"
else
	echo "not ok 4 - malformed lines said: $left (want 3), or empty input drawn"
fi
