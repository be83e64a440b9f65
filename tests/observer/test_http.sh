#!/bin/sh
# SPDX-License-Identifier: MIT
# test_http.sh — the observer's dashboard in headless Chromium, against a
# running program: examples/kv/kv-server --http 127.0.0.1:0, its page
# from the source tree (OTTER_OBSERVER_DATA). The page loads its script,
# reads the JSON API and draws the tree (the KV supervisors and workers as
# SVG nodes), the process table and the history; after the registry is
# CRASHed, the restart shows in the tree (its count) and in the history.
# No timing: Chromium's virtual time runs the page's timers, and each
# wait polls until what it waits for is there (bounded).
# Skipped without chromium: a TAP plan of 0 with SKIP, and exit status 0
# (automake's TAP driver, which runs the shell tests, takes the plan;
# it would count the simple driver's exit 77 as an error).
# Run by `make check`.
srcdir=${srcdir:-.}
chromium=$(command -v chromium || command -v chromium-browser)
if [ -z "$chromium" ]; then
	echo "1..0 # SKIP chromium is not installed"
	exit 0
fi
echo "1..5"
. "$srcdir/tests/observer/kv_server.sh"
# The page's DOM once its script has run (virtual time: its first
# refreshes happen at once).
dom() {
	timeout 90 "$chromium" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/profile" --virtual-time-budget=3000 \
		--dump-dom "http://127.0.0.1:$http/" >"$tmp/dom" 2>"$tmp/chromium.err"
}
OTTER_OBSERVER_DATA=$srcdir/data/observer
export OTTER_OBSERVER_DATA
if ! kv_start --observer "$tmp/kv.sock" --http 127.0.0.1:0; then
	echo "Bail out! kv-server did not start"
	exit 1
fi

dom && grep -q 'id="status" class="status">live, updated' "$tmp/dom"
result 1 "the page loads, its script runs and reaches the API" "$tmp/dom"

grep -q '<g class="node supervisor" data-id="bucket_sup"' "$tmp/dom" &&
	grep -q '<g class="node worker" data-id="registry"' "$tmp/dom" &&
	grep -q '<path class="edge"' "$tmp/dom"
result 2 "the tree is drawn as a tree: SVG nodes and edges" "$tmp/dom"

grep -q '<td>kv.registry</td>' "$tmp/dom" &&
	grep -q 'id="ps-summary" class="summary">[0-9]* of [0-9]* by memory' "$tmp/dom"
result 3 "the process table" "$tmp/dom"

# CRASH the registry (the KV protocol, here with the shell's own tools:
# python3 when there is one).
crash() {
	python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"CRASH registry segv\n")
s.close()
PY
}
restarted() {
	dom && grep -q 'data-id="registry".*restarts: 1<' "$tmp/dom"
}
if command -v python3 >/dev/null 2>&1; then
	crash
	wait_for restarted
	result 4 "a CRASH: the registry's restart count in the tree" "$tmp/dom"
	grep -q 'id="history-summary" class="summary">[1-9][0-9]* crash(es), [1-9][0-9]* restart(s)' "$tmp/dom" &&
		grep -q '<li class="restart">.* restart kv.sup registry' "$tmp/dom" &&
		grep -q '<li class="crash">.* crash kv.registry {crash,SIGSEGV' "$tmp/dom"
	result 5 "a CRASH: in the history" "$tmp/dom"
else
	echo "ok 4 # SKIP no python3 (the KV client)"
	echo "ok 5 # SKIP no python3 (the KV client)"
fi
