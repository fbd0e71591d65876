#!/bin/sh
# debian-source.sh DEVPKG DIR
#
# Unpacks into DIR the Debian source of the installed package DEVPKG
# (libcjson-dev, say), at exactly the installed version, with Debian's own
# patches applied, so that a library Debian ships only as a shared object
# can be compiled into gt's static commands (Makefile, "Static commands").
# The source comes through apt from the machine's own Debian mirrors, read
# as deb-src, with apt's signature and checksum checks; apt's state goes to
# DIR.apt (removed after), never to /var, so no root is needed and the
# system's apt is left as it was.  Exits 0 with DIR complete (DIR/.done),
# or 1 saying why, leaving nothing behind (the caller then links
# dynamically).
set -eu

[ $# -eq 2 ] || { echo "usage: debian-source.sh DEVPKG DIR" >&2; exit 2; }
pkg=$1 dir=$2
[ -f "$dir/.done" ] && exit 0

fail() {
	echo "debian-source.sh: $pkg: $*" >&2
	rm -rf "$dir" "$dir.apt"
	exit 1
}

for c in apt-get dpkg-query tar patch; do
	command -v "$c" >/dev/null 2>&1 || fail "needs $c"
done
src=$(dpkg-query -W -f '${source:Package}' "$pkg" 2>/dev/null) || fail "not installed"
ver=$(dpkg-query -W -f '${source:Version}' "$pkg" 2>/dev/null) || fail "not installed"
if [ -z "$src" ] || [ -z "$ver" ]; then
	fail "not installed"
fi

rm -rf "$dir" "$dir.apt"
mkdir -p "$dir.apt"
apt=$(cd "$dir.apt" && pwd) # apt reads a relative path under /etc/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/get"
: >"$apt/sources.list"
# the machine's Debian sources, as deb-src (a third-party repository may
# have no sources; only Debian's are read)
for f in /etc/apt/sources.list.d/*.sources; do
	if [ ! -f "$f" ] || ! grep -qi '^URIs:.*debian' "$f"; then
		continue
	fi
	sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^deb[[:space:]]\(.*debian.*\)/deb-src \1/p' "$f" >>"$apt/sources.list"
done
set -- -q -o Dir::Etc::SourceList="$apt/sources.list" \
	-o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists" \
	-o Dir::Cache="$apt/cache" -o Debug::NoLocking=1
# as root apt would hand the download to its _apt user, who cannot write here
[ "$(id -u)" = 0 ] && set -- "$@" -o APT::Sandbox::User=root
apt-get "$@" --error-on=any update >"$apt/log" 2>&1 ||
	fail "apt-get update failed (offline?): $(grep -m 1 '^[EW]:' "$apt/log" || tail -n 1 "$apt/log")"
(cd "$apt/get" && apt-get "$@" source --download-only "$src=$ver") >>"$apt/log" 2>&1 ||
	fail "apt-get source $src=$ver failed: $(tail -n 1 "$apt/log")"

# format 3.0 (quilt): the upstream tarball, debian/ over it, the series
mkdir -p "$dir"
set -- "$apt/get/${src}_"*.orig.tar.*
[ -f "$1" ] || fail "no upstream tarball"
tar -xf "$1" -C "$dir" --strip-components=1 || fail "cannot unpack $1"
set -- "$apt/get/${src}_"*.debian.tar.*
[ -f "$1" ] || fail "no debian tarball"
tar -xf "$1" -C "$dir" || fail "cannot unpack $1"
if [ -f "$dir/debian/patches/series" ]; then
	sed -e 's/#.*//' "$dir/debian/patches/series" | while read -r p opt; do
		[ -n "$p" ] || continue
		patch -d "$dir" -s -f "${opt:--p1}" <"$dir/debian/patches/$p" ||
			{ echo "patch $p failed" >"$dir/.failed"; break; }
	done
	[ ! -f "$dir/.failed" ] || fail "$(cat "$dir/.failed")"
fi
echo "$src $ver" >"$dir/.done"
rm -rf "$apt"
