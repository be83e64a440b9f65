#!/bin/sh
# SPDX-License-Identifier: MIT
# test_tutorial.sh — every code block of docs/tutorial.md is built and run,
# so that the tutorial cannot drift away from the library.
#
# Run by `make check` through the TAP driver, which exports srcdir and
# top_builddir (run by hand they default to "."). The fenced blocks of the
# tutorial say what they are in their info string:
#
#   ```c file=NAME     source: appended to NAME (blocks with the same NAME
#                      are concatenated in order, so prose may split a file)
#   ```sh              commands: run with sh -e in the directory holding the
#                      sources, once every source has been written; `cc` and
#                      `pkg-config` there build against the library just built
#   ```text output     what the last sh block printed on stdout, exactly
#   ```text stderr     lines the last sh block printed on stderr, each a
#                      whole line, in any order; a line "..." stands for
#                      what is left out, and pids (<0.4.1>) match any pid
#
# Any other block fails the test: nothing in the tutorial goes unchecked.
# The compiler and its flags come from the build's Makefile (CC, CFLAGS,
# LDFLAGS, the project's warnings, plus -Werror); programs are linked with
# libtool against libotter.la, as the tests are.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
doc=$srcdir/docs/tutorial.md

if test ! -f "$doc" || test ! -f "$top_builddir/libotter.la"; then
	echo "1..0 # SKIP no $doc or no $top_builddir/libotter.la"
	exit 0
fi
abs_srcdir=$(cd "$srcdir" && pwd) || exit 1
abs_builddir=$(cd "$top_builddir" && pwd) || exit 1
doc=$abs_srcdir/docs/tutorial.md

# The build's compiler and flags, as configure chose them.
mkvar() { sed -n "s/^$1 = //p" "$abs_builddir/Makefile" | head -n 1; }
tut_cc=$(mkvar CC)
tut_cflags="-std=gnu11 $(mkvar CFLAGS) $(mkvar OT_WARN_CFLAGS) -Werror"
tut_ldflags=$(mkvar LDFLAGS)
: "${tut_cc:=cc}"
# Built with UBSan (--enable-sanitizers=address), the tutorial's NULL
# write would stop the program before it faults: let the fault happen, as
# the project's own crash tests do, and otter trap it.
tut_nosan=
case " $tut_cflags " in
*" -fsanitize="*undefined*) tut_nosan=-fno-sanitize=null ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/otter-tutorial.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Split the document: sources into $work, the other blocks into
# $work/.blocks/, and one manifest line per block: KIND NUMBER LINE INFO.
mkdir "$work/.blocks"
awk -v dir="$work" '
	function flush() {
		close(out)
	}
	!inblock && /^```/ {
		info = substr($0, 4); line = NR; n++
		split(info, w, /[ \t]+/)
		lang = w[1]; attr = w[2]; extra = w[3]
		kind = "bad"
		if (lang == "c" && attr ~ /^file=[A-Za-z0-9_.-]+$/ && extra == "") {
			kind = "file"; out = dir "/" substr(attr, 6)
		} else if (lang == "sh" && attr == "") {
			kind = "sh"; out = dir "/.blocks/" n ".sh"
		} else if (lang == "text" && (attr == "output" || attr == "stderr") && extra == "") {
			kind = attr; out = dir "/.blocks/" n ".txt"
		} else {
			out = "/dev/null"
		}
		if (kind != "file")
			printf "" > out
		print kind, n, line, (kind == "file" ? substr(attr, 6) : info) > (dir "/.blocks/manifest")
		inblock = 1
		next
	}
	inblock && /^```[ \t]*$/ { inblock = 0; flush(); next }
	inblock { print >> out }
	END {
		if (inblock)
			print "bad", n + 1, NR, "(a block that is never closed)" > (dir "/.blocks/manifest")
	}
' "$doc" || exit 1
manifest=$work/.blocks/manifest
touch "$manifest"

nsh=$(grep -c '^sh ' "$manifest")
nchk=$(grep -c '^output \|^stderr ' "$manifest")
echo "1..$((2 + nsh + nchk))"

# 1. Every block is of a kind this test checks.
bad=$(grep '^bad ' "$manifest")
if test -n "$bad"; then
	echo "not ok 1 - every code block in docs/tutorial.md is checked"
	printf '%s\n' "$bad" | while read -r kind n line info; do
		echo "# line $line: \`\`\`$info is none of: c file=NAME, sh, text output, text stderr"
	done
else
	echo "ok 1 - every code block in docs/tutorial.md is checked ($(wc -l < "$manifest") blocks)"
fi

# 2. Every source file is built: named by a sh block, or #included.
unused=
for f in $(awk '$1 == "file" { print $4 }' "$manifest" | sort -u); do
	if ! cat "$work"/.blocks/*.sh 2>/dev/null | grep -q -F "$f" &&
		! grep -q -F "#include \"$f\"" "$work"/*.c 2>/dev/null; then
		unused="$unused $f"
	fi
done
if test -n "$unused"; then
	echo "not ok 2 - every source file in docs/tutorial.md is built; not:$unused"
else
	echo "ok 2 - every source file in docs/tutorial.md is built"
fi

# What the sh blocks find first in PATH: a cc and a pkg-config that build
# against the library just built.
mkdir "$work/.bin"
cat > "$work/.bin/cc" <<EOF
#!/bin/sh
exec "$abs_builddir/libtool" --quiet --mode=link --tag=CC $tut_cc \\
	$tut_cflags $tut_ldflags $tut_nosan "\$@" "$abs_builddir/libotter.la"
EOF
cat > "$work/.bin/pkg-config" <<EOF
#!/bin/sh
case " \$* " in
*" --cflags "*) echo "-I$abs_builddir/include -I$abs_srcdir/include" ;;
*) echo ;;
esac
EOF
chmod +x "$work/.bin/cc" "$work/.bin/pkg-config"
run_limit=
if command -v timeout >/dev/null 2>&1; then
	run_limit="timeout 120"
fi

# Pids differ from run to run: <0.4.1> becomes <pid> before comparing.
nopids() { sed 's/<0\.[0-9][0-9]*\.[0-9][0-9]*>/<pid>/g' "$@"; }

# 3. The sh blocks, in order, each followed by its output checks.
t=2
last=
while read -r kind n line info; do
	case $kind in
	sh)
		t=$((t + 1))
		last=$n
		desc=$(head -n 1 "$work/.blocks/$n.sh")
		(cd "$work" && PATH="$work/.bin:$PATH" $run_limit sh -e ".blocks/$n.sh") \
			> "$work/.blocks/$n.out" 2> "$work/.blocks/$n.err"
		rc=$?
		if test $rc -eq 0; then
			echo "ok $t - line $line: $desc"
		else
			echo "not ok $t - line $line: $desc (exit status $rc)"
			sed 's/^/# stderr: /' "$work/.blocks/$n.err" | head -n 60
		fi
		;;
	output)
		t=$((t + 1))
		if test -z "$last"; then
			echo "not ok $t - line $line: an output block with no sh block before it"
		elif cmp -s "$work/.blocks/$n.txt" "$work/.blocks/$last.out"; then
			echo "ok $t - line $line: the output is as shown"
		else
			echo "not ok $t - line $line: the output is not as shown"
			diff -u "$work/.blocks/$n.txt" "$work/.blocks/$last.out" |
				sed 's/^/# /'
		fi
		;;
	stderr)
		t=$((t + 1))
		missing=
		if test -n "$last"; then
			nopids "$work/.blocks/$last.err" > "$work/.blocks/$last.errn"
			missing=$(nopids "$work/.blocks/$n.txt" | while IFS= read -r want; do
				test "$want" = "..." && continue
				grep -q -x -F -e "$want" "$work/.blocks/$last.errn" ||
					printf '%s\n' "$want"
			done)
		fi
		if test -z "$last"; then
			echo "not ok $t - line $line: a stderr block with no sh block before it"
		elif test -n "$missing"; then
			echo "not ok $t - line $line: stderr lacks lines shown"
			printf '%s\n' "$missing" | sed 's/^/# missing: /'
			sed 's/^/# stderr: /' "$work/.blocks/$last.err" | head -n 60
		else
			echo "ok $t - line $line: stderr has the lines shown"
		fi
		;;
	esac
done < "$manifest"
exit 0
