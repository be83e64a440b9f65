# SPDX-License-Identifier: MIT
# kv_server.sh — sourced by the observer's shell tests: starts
# examples/kv/kv-server with the given options (and --port 0
# --allow-crash) in $tmp, stops it at exit, and waits without timing.
#
#   kv_start OPTIONS...   sets $server, $port (the KV port) and $http (the
#                         dashboard's, with --http); false if it did not
#                         start (its output is then printed as comments)
#   wait_for CMD...       runs CMD until it succeeds, up to ~20 s
#   result N TEXT [FILE]  "ok N - TEXT" when the last command succeeded,
#                         else "not ok" and FILE ($tmp/last) as comments

tmp=$(mktemp -d) || exit 1
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT

wait_for() {
	n=0
	while ! "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -ge 200 ] && return 1
		sleep 0.1
	done
}

kv_start() {
	"${top_builddir:-.}/examples/kv/kv-server" --port 0 --allow-crash "$@" \
		>"$tmp/out" 2>"$tmp/err" &
	server=$!
	if ! wait_for grep -q "listening on" "$tmp/out"; then
		sed 's/^/# /' "$tmp/out" "$tmp/err"
		return 1
	fi
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/out")
	http=$(sed -n 's|.*dashboard on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/out")
}

result() {
	if [ "$?" = 0 ]; then echo "ok $1 - $2"; else
		echo "not ok $1 - $2"
		sed 's/^/# /' "${3:-$tmp/last}" 2>/dev/null | head -40
	fi
}
