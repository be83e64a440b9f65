#!/bin/sh
# SPDX-License-Identifier: MIT
# test_consumers.sh — programs outside otter's tree build and run against an
# installed otter, found the two ways the README shows: pkg-config and
# CMake's find_package(otter).
#
# Run by `make check` through the TAP driver; Makefile.am exports srcdir,
# top_builddir and the installation directories (prefix, libdir,
# includedir, docdir, mandir; run by hand, srcdir and top_builddir default
# to "." and the others are read from the Makefile). It
#  1. installs this build with `make install DESTDIR=<scratch>` (every file
#     then lies under <scratch>$prefix while naming $prefix: the tree is one
#     moved away from where it was configured for) and checks that the
#     headers, otter.pc, the CMake package config, the man pages, the docs
#     and the examples' sources are there;
#  2. builds tests/install/consumer.c with tests/install/pkgconfig/Makefile
#     (pkg-config, an rpath to the library) and 3. runs it;
#  4. builds it with the CMake project tests/install/cmake
#     (find_package(otter MAJOR.MINOR), otter::otter) and 5. runs it;
#  6. checks that find_package(otter <MAJOR+1>.0) is refused;
#  7, 8. removes the shared library from the tree and builds and runs both
#     again, now against libotter.a alone.
# The CMake steps are skipped when cmake is not installed; the shared or
# static steps when the build made no such library. The consumers get the
# build's compiler and flags (a sanitized build needs them).

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
abs_srcdir=$(cd "$srcdir" && pwd) || exit 1
abs_builddir=$(cd "$top_builddir" && pwd) || exit 1
here=$abs_srcdir/tests/install

echo "1..8"

# The build's settings, as configure wrote them in the Makefile.
mkvar() { sed -n "s/^$1 = //p" "$abs_builddir/Makefile" | head -n 1; }
cc=$(mkvar CC)
cflags=$(mkvar CFLAGS)
ldflags=$(mkvar LDFLAGS)
: "${cc:=cc}"
# The installation directories as make expands them (by hand: from the
# Makefile, expanded here).
if test -z "$prefix" || test -z "$libdir" || test -z "$includedir" ||
	test -z "$docdir" || test -z "$mandir"; then
	for v in prefix exec_prefix libdir includedir datarootdir docdir \
		mandir PACKAGE_TARNAME; do
		eval "$v=\$(mkvar $v)"
	done
	# libdir = ${exec_prefix}/lib, exec_prefix = ${prefix}, ...
	for i in 1 2 3 4; do
		for v in exec_prefix libdir includedir datarootdir docdir mandir; do
			eval "val=\$$v"
			eval "$v=\$(eval echo \"\$val\")"
		done
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/otter-consumers.XXXXXX") || exit 1
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# Interrupted (make check stopped, a closed pipe), still remove the tree.
trap 'exit 1' HUP INT PIPE TERM
dest=$work/dest
root=$dest$prefix
lib=$dest$libdir
run_limit=
command -v timeout > /dev/null 2>&1 && run_limit="timeout 60"

# result RC N DESCRIPTION LOG: TAP line N, "ok" when RC is 0, else "not ok"
# with the end of LOG as comments.
result() {
	rc=$1 n=$2 desc=$3 log=$4
	if test "$rc" -eq 0; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		test -n "$log" && test -f "$log" && tail -n 40 "$log" | sed 's/^/# /'
	fi
}

# links_otter BINARY shared|static: whether BINARY needs libotter.so at
# run time (shared) or not (static). True when readelf cannot tell.
links_otter() {
	command -v readelf > /dev/null 2>&1 || return 0
	if readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libotter\.so'; then
		test "$2" = shared
	else
		test "$2" = static
	fi
}

# 1. Install.
(
	unset MAKEFLAGS MFLAGS
	make -C "$abs_builddir" install DESTDIR="$dest"
) > "$work/install.log" 2>&1
rc=$?
missing=
if test $rc -eq 0; then
	for f in "$includedir"/otter.h "$includedir"/otter/version.h \
		"$includedir"/otter/io.h "$includedir"/otter/proc.h \
		"$includedir"/otter/info.h "$includedir"/otter/timer.h \
		"$libdir"/pkgconfig/otter.pc \
		"$libdir"/cmake/otter/otterConfig.cmake \
		"$libdir"/cmake/otter/otterConfigVersion.cmake \
		"$mandir"/man3/otter.3 "$mandir"/man3/ot_version.3 \
		"$docdir"/README.md "$docdir"/LICENSE "$docdir"/docs/abi.md \
		"$docdir"/docs/tutorial.md "$docdir"/examples/hello.c \
		"$docdir"/examples/kv/kv.h "$docdir"/examples/kv/main.c; do
		test -f "$dest$f" || missing="$missing $f"
	done
	test -n "$missing" && rc=1 &&
		echo "not installed:$missing" >> "$work/install.log"
fi
result $rc 1 "make install DESTDIR=... installs the headers, otter.pc, the CMake package config, man pages, docs and examples" "$work/install.log"
if test $rc -ne 0; then
	echo "Bail out! make install failed"
	exit 0
fi
version=$(sed -n 's/^#define OTTER_VERSION_STRING "\(.*\)"$/\1/p' \
	"$dest$includedir/otter/version.h")
want=$(echo "$version" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
next_major=$(($(echo "$version" | sed 's/\..*//') + 1))

has_shared=no has_static=no
ls "$lib"/libotter.so* > /dev/null 2>&1 && has_shared=yes
test -f "$lib/libotter.a" && has_static=yes
has_cmake=no
command -v cmake > /dev/null 2>&1 && has_cmake=yes

# pkg_build DIR [PKG_CONFIG_FLAGS]: builds the Makefile project in DIR,
# against the installed tree (PKG_CONFIG_SYSROOT_DIR: what otter.pc says
# is under $dest; the system-directory filters off, so that even a build
# for /usr finds the scratch tree first).
pkg_build() {
	mkdir -p "$1" && (
		cd "$1" &&
		unset MAKEFLAGS MFLAGS &&
		PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest \
		PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 \
		make -f "$here/pkgconfig/Makefile" VPATH="$here" \
			PKG_CONFIG="pkg-config $2" CC="$cc" CFLAGS="$cflags" \
			LDFLAGS="$ldflags -Wl,-rpath,$lib"
	) > "$1.log" 2>&1
}

# cmake_build DIR VERSION: configures and builds the CMake project in DIR,
# asking for otter VERSION, the installed tree first in the search path.
cmake_build() {
	(
		unset MAKEFLAGS MFLAGS
		CC=$cc CFLAGS=$cflags LDFLAGS=$ldflags cmake \
			-S "$here/cmake" -B "$1" -DOTTER_WANT="$2" \
			-DCMAKE_PREFIX_PATH="$root" &&
		cmake --build "$1"
	) > "$1.log" 2>&1
}

# run_consumer BINARY LOG: runs it; it must say what it did.
run_consumer() {
	$run_limit "$1" > "$2" 2>&1 && grep -q "^otter $version: " "$2"
}

# 2, 3. pkg-config.
if test $has_shared = yes; then
	pkg_build "$work/pc"
	result $? 2 "pkg-config: the Makefile project builds against the installed otter" "$work/pc.log"
	run_consumer "$work/pc/consumer" "$work/pc.run" && links_otter "$work/pc/consumer" shared
	result $? 3 "pkg-config: the program runs with libotter.so (rpath), ot_version() = $version" "$work/pc.run"
else
	echo "ok 2 # SKIP no shared library was built"
	echo "ok 3 # SKIP no shared library was built"
fi

# 4, 5, 6. CMake.
if test $has_cmake = no; then
	for n in 4 5 6; do echo "ok $n # SKIP cmake is not installed"; done
elif test $has_shared = no; then
	for n in 4 5; do echo "ok $n # SKIP no shared library was built"; done
else
	cmake_build "$work/cm" "$want"
	result $? 4 "CMake: find_package(otter $want) and otter::otter build against the installed otter" "$work/cm.log"
	run_consumer "$work/cm/consumer" "$work/cm.run" && links_otter "$work/cm/consumer" shared
	result $? 5 "CMake: the program runs with libotter.so, ot_version() = $version" "$work/cm.run"
fi
if test $has_cmake = yes; then
	if cmake_build "$work/cm-next" "$next_major.0"; then
		echo "not ok 6 - CMake: find_package(otter $next_major.0) is refused by otter $version"
	elif grep -q "otterConfig.cmake, version: $version" "$work/cm-next.log"; then
		echo "ok 6 - CMake: find_package(otter $next_major.0) is refused by otter $version"
	else
		echo "not ok 6 - CMake: find_package(otter $next_major.0) failed, but not for its version"
		tail -n 40 "$work/cm-next.log" | sed 's/^/# /'
	fi
fi

# 7, 8. The static library alone.
if test $has_static = no; then
	echo "ok 7 # SKIP no static library was built"
	echo "ok 8 # SKIP no static library was built"
	exit 0
fi
rm -f "$lib"/libotter.so*
pkg_build "$work/pc-static" --static &&
	run_consumer "$work/pc-static/consumer" "$work/pc-static.run" &&
	links_otter "$work/pc-static/consumer" static
rc=$?
cat "$work/pc-static.run" >> "$work/pc-static.log" 2>/dev/null
result $rc 7 "pkg-config --static: builds and runs with libotter.a alone" "$work/pc-static.log"
if test $has_cmake = no; then
	echo "ok 8 # SKIP cmake is not installed"
else
	cmake_build "$work/cm-static" "$want" &&
		run_consumer "$work/cm-static/consumer" "$work/cm-static.run" &&
		links_otter "$work/cm-static/consumer" static
	rc=$?
	cat "$work/cm-static.run" >> "$work/cm-static.log" 2>/dev/null
	result $rc 8 "CMake: otter::otter links libotter.a alone (with libbsd and Threads), and runs" "$work/cm-static.log"
fi
exit 0
