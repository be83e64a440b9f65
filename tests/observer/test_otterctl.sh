#!/bin/sh
# SPDX-License-Identifier: MIT
# test_otterctl.sh — otterctl(1) against a running program: the KV example
# (examples/kv/kv-server --observer PATH). tree, ps, info, state, --json,
# errors, top -n; a bucket created shows in the tree, CRASHed it shows in
# the history and leaves (buckets are temporary children); the registry
# CRASHed and killed is restarted, and its restart count rises. No timing:
# each wait polls until what it waits for is there (bounded).
# The KV client is python3 (skipped without). Run by `make check`.
srcdir=${srcdir:-.}
ctl=${top_builddir:-.}/tools/otterctl
. "$srcdir/tests/observer/kv_server.sh"
N=10
echo "1..$N"
skip_all() {
	i=1
	while [ $i -le $N ]; do
		echo "ok $i # SKIP $1"
		i=$((i + 1))
	done
	exit 0
}
[ -x "$ctl" ] || skip_all "otterctl not built (configure --disable-otterctl)"
sock=$tmp/kv.sock
ctl() { "$ctl" -s "$sock" "$@"; }
tree_has() { ctl tree >"$tmp/last" 2>&1 && grep -q -- "$1" "$tmp/last"; }

kv_start --observer "$sock" || skip_all "kv-server did not start"

ctl tree >"$tmp/last" 2>&1 && grep -q "registry .* worker running restarts 0  kv.registry" "$tmp/last" &&
	grep -q "bucket_sup .* supervisor running" "$tmp/last" &&
	grep -q "^kv <0\.[0-9]*\.[0-9]*> supervisor" "$tmp/last"
result 1 "tree: the KV tree from its root, with restart counts"

ctl ps sort=mailbox limit=3 >"$tmp/last" 2>&1 && grep -q "(3 of [0-9]* processes, by mailbox)" "$tmp/last"
result 2 "ps sort=mailbox limit=3"

ctl info kv.registry >"$tmp/last" 2>&1 && grep -q "^behaviour *gen_server" "$tmp/last" &&
	grep -q "^name *kv.registry" "$tmp/last"
result 3 "info NAME"

ctl --json tree >"$tmp/last" 2>&1 && grep -q '^{"supervisors":[0-9]*,"roots":\[' "$tmp/last" &&
	{ ! command -v python3 >/dev/null || python3 -m json.tool "$tmp/last" >/dev/null; }
result 4 "--json prints the reply as it is (valid JSON)"

ctl info nobody.here >"$tmp/last" 2>&1
st=$?
"$ctl" -s "$tmp/none.sock" tree >>"$tmp/last" 2>&1
st2=$?
[ $st = 1 ] && [ $st2 = 2 ] && grep -q "no process is registered as nobody.here (OT_ENOPROC)" "$tmp/last"
result 5 "errors: a name nobody has (1), no socket (2)"

ctl top -n 2 >"$tmp/last" 2>&1 && [ "$(grep -c 'otterctl top' "$tmp/last")" = 2 ] &&
	grep -q "$(printf '\033')\[2J" "$tmp/last" && grep -q "MSGS/S" "$tmp/last"
result 6 "top -n 2: two screens"

# The KV protocol, from python3.
kvsend() {
	python3 - "$port" "$@" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rwb")
for line in sys.argv[2:]:
    f.write(line.encode() + b"\n"); f.flush()
    if not line.startswith("CRASH"):
        print(f.readline().decode().strip())
PY
}
if command -v python3 >/dev/null 2>&1; then
	kvsend "CREATE shopping" "PUT shopping milk 1" >"$tmp/last" 2>&1 &&
		wait_for tree_has "\[bucket shopping\]"
	result 7 "a new bucket shows in the tree, labelled"
	kvsend "CRASH shopping segv" >/dev/null 2>&1
	wait_for sh -c "'$ctl' -s '$sock' --json history | grep -q '\"crashes_total\":[1-9]'" &&
		ctl history >"$tmp/last" 2>&1 && grep -q "crash .*SIGSEGV" "$tmp/last" &&
		wait_for sh -c "! '$ctl' -s '$sock' tree | grep -q 'bucket shopping'"
	result 8 "CRASH a bucket: in the history, and gone (temporary)"
	kvsend "CRASH registry segv" >/dev/null 2>&1
	wait_for tree_has "registry .* restarts 1 " &&
		ctl history >"$tmp/last" 2>&1 && grep -q "restart .*registry" "$tmp/last"
	result 9 "CRASH the registry: restarted, its count is 1"
else
	echo "ok 7 # SKIP no python3 (the KV client)"
	echo "ok 8 # SKIP no python3 (the KV client)"
	ctl kill kv.registry >/dev/null 2>&1 && wait_for tree_has "registry .* restarts 1 "
	result 9 "kill the registry: restarted, its count is 1"
fi

before=$(ctl tree | sed -n 's/.*registry .* restarts \([0-9]*\) .*/\1/p')
ctl kill kv.registry >"$tmp/last" 2>&1 && grep -q "^killed <0\." "$tmp/last" &&
	wait_for tree_has "registry .* restarts $((before + 1)) " &&
	ctl state kv.registry >"$tmp/last" 2>&1 && grep -q "registry" "$tmp/last"
result 10 "kill: restarted once more; state NAME"
