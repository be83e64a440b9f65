#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man.sh: the manual pages match the headers.
#
# Run by `make check` through the TAP driver; Makefile.am exports srcdir
# and top_builddir (run by hand they default to "."). Checks that
#  1. every OT_API function in include/otter/*.h (and *.h.in, the templates
#     of the headers configure makes) has a page, man/<name>.3
#     (its family page, or a one-line .so stub that includes it);
#  2. that page's SYNOPSIS declares the function exactly as the header;
#  3. every stub includes an existing page that declares its function;
#  4. every page and stub is in man/local.mk, so it is installed and
#     shipped (man/mklinks.sh writes the stubs and that list);
#  5. mandoc -Tlint and 6. groff -ww find nothing to say (skipped when
#     they are not installed);
#  7. every example in the pages compiles (skipped without a compiler).

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
man=$srcdir/man
CC=${CC:-cc}
AWK=${AWK:-awk}
decls="$AWK -v mode=man -f $man/decls.awk"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..7"

# report N DESCRIPTION: ok / not ok with the lines of $tmp/bad as comments.
report() {
	if test -s "$tmp/bad"; then
		echo "not ok $1 - $2"
		sed 's/^/# /' "$tmp/bad"
	else
		echo "ok $1 - $2"
	fi
	: > "$tmp/bad"
}

is_stub() {
	test "$(sed -n '$=' "$1")" = 1 && grep -q '^\.so man3/' "$1"
}

# The page a name's manual resolves to: itself, or what its stub includes.
page_of() {
	if is_stub "$man/$1.3"; then
		sed 's|^\.so man3/||' "$man/$1.3"
	else
		echo "$1.3"
	fi
}

: > "$tmp/bad"
# In a build in the source tree, a generated header sits beside its
# template: each declaration counts once.
$AWK -v mode=header -f "$man/decls.awk" "$srcdir"/include/otter/*.h \
	"$srcdir"/include/otter/*.h.in | LC_ALL=C sort -u > "$tmp/header"
sed 's/^[^(]*[ *]\(ot_[a-z0-9_]*\)(.*/\1/' "$tmp/header" > "$tmp/names"
nfn=$(wc -l < "$tmp/names")
test "$nfn" -gt 0 || echo "no OT_API function found in the headers" \
	>> "$tmp/bad"

# 1. A page for every function.
while read -r fn; do
	test -f "$man/$fn.3" ||
		echo "$fn: no man/$fn.3 (run man/mklinks.sh)" >> "$tmp/bad"
done < "$tmp/names"
report 1 "every OT_API function ($nfn) has a manual page"

# 2. Declared there as in the header.
while read -r decl; do
	fn=$(echo "$decl" | sed 's/^[^(]*[ *]\(ot_[a-z0-9_]*\)(.*/\1/')
	test -f "$man/$fn.3" || continue
	page=$(page_of "$fn")
	test -f "$man/$page" || continue
	if ! $decls "$man/$page" | grep -Fqx -e "$decl"; then
		echo "$page does not declare: $decl" >> "$tmp/bad"
		$decls "$man/$page" | grep "[ *]$fn(" |
			sed 's/^/  it has: /' >> "$tmp/bad"
	fi
done < "$tmp/header"
report 2 "each page's SYNOPSIS declares its functions as the headers do"

# 3. Stubs point at a page that declares their function.
for f in "$man"/*.3; do
	is_stub "$f" || continue
	fn=$(basename "$f" .3)
	page=$(page_of "$fn")
	if test ! -f "$man/$page" || is_stub "$man/$page"; then
		echo "$fn.3 includes man3/$page, which is not a page" >> "$tmp/bad"
	elif ! $decls "$man/$page" | grep -q "[ *]$fn("; then
		echo "$fn.3 includes $page, which does not declare $fn" \
			>> "$tmp/bad"
	fi
done
report 3 "every .so stub includes a page that declares its function"

# 4. Every page is installed (listed in man/local.mk).
for f in "$man"/*.3; do
	grep -q "^[	 ]*man/$(basename "$f")\( \\\\\)*$" "$man/local.mk" ||
		echo "man/$(basename "$f") is not in man/local.mk" \
			"(run man/mklinks.sh)" >> "$tmp/bad"
done
report 4 "every page and stub is listed in man/local.mk"

# The family pages (not the stubs), for the lint and the examples.
pages=
for f in "$man"/*.3; do
	is_stub "$f" || pages="$pages $f"
done

# 5, 6. Lint.
if command -v mandoc > /dev/null 2>&1; then
	for f in $pages; do
		mandoc -Tlint "$f" >> "$tmp/bad" 2>&1
	done
	report 5 "mandoc -Tlint finds nothing"
else
	echo "ok 5 # SKIP mandoc is not installed"
fi
if command -v groff > /dev/null 2>&1; then
	for f in $pages; do
		groff -ww -z -man "$f" >> "$tmp/bad" 2>&1
	done
	report 6 "groff -ww -z -man finds nothing"
else
	echo "ok 6 # SKIP groff is not installed"
fi

# 7. The examples compile: each .EX block of EXAMPLES that includes
# <otter.h>, with the roff escapes undone.
printf 'int main(void) { return 0; }\n' > "$tmp/probe.c"
if ! $CC -std=gnu11 -Wall -Werror -fsyntax-only "$tmp/probe.c" \
	> /dev/null 2>&1; then
	echo "ok 7 # SKIP no C compiler ($CC)"
	exit 0
fi
n=0
for f in $pages; do
	$AWK -v out="$tmp/ex.$(basename "$f" .3)" '
		/^\.SH/ { inex = ($0 ~ /^\.SH[ \t]+"?EXAMPLES?"?/); next }
		inex && /^\.EX/ { n++; incode = 1; code = ""; next }
		incode && /^\.EE/ {
			if (code ~ /#include <otter\.h>/)
				printf "%s", code > (out "." n ".c")
			incode = 0
			next
		}
		incode { code = code $0 "\n" }
	' "$f"
done
for c in "$tmp"/ex.*.c; do
	test -f "$c" || continue
	n=$((n + 1))
	sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\&//g' \
	    -e 's/\\e/\\/g' "$c" > "$c.tmp" && mv "$c.tmp" "$c"
	name=$(basename "$c" | sed 's/^ex\.\([^.]*\)\..*/\1/')
	if ! $CC -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
		-I"$top_builddir/include" -I"$srcdir/include" "$c" \
		> "$tmp/cc.out" 2>&1; then
		echo "the example of $name(3) does not compile:" >> "$tmp/bad"
		cat "$tmp/cc.out" >> "$tmp/bad"
	fi
done
test "$n" -gt 0 || echo "no example found" >> "$tmp/bad"
report 7 "the examples of the pages compile ($n)"
exit 0
