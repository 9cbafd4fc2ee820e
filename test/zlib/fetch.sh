#!/usr/bin/env bash
# fetch.sh CACHE_DIR
#
# Fetches zlib's Debian source package (bookworm, 1:1.2.13.dfsg-1) once
# and unpacks it, Debian's patches applied, into CACHE_DIR/zlib-1.2.13;
# prints that directory. apt runs with private options only (its own
# sources list, lists and cache under a temporary folder): the system's apt
# configuration is neither read for sources nor changed. apt checks the
# files against the signed Sources index and dpkg-source against the .dsc.
# Nothing enters the repository. Exit 77 (skip) when the package cannot be
# fetched (no network, no apt-get or dpkg-source), with the reason on
# stderr; exit 1 on any other failure.
set -euo pipefail

prog=${0##*/}
skip() { printf '%s: SKIP: %s\n' "$prog" "$*" >&2; exit 77; }
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $prog CACHE_DIR"
cache=$(realpath -m -- "$1")
src=$cache/zlib-1.2.13
version=1:1.2.13.dfsg-1
mirror=http://deb.debian.org/debian     # /etc/apt/sources.list.d's mirror
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p -- "$cache"
exec 8>"$cache/.fetch.lock"        # one fetch at a time (parallel tests)
flock 8
if [ -f "$src/.moat-fetched" ]; then
    printf '%s\n' "$src"
    exit 0
fi
for tool in apt-get dpkg-source; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "$tool not found (apt-get install -y apt dpkg-dev)"
done
[ -r "$keyring" ] || skip "no $keyring (apt-get install debian-archive-keyring)"
tmp=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
mkdir -p "$tmp/etc" "$tmp/lists/partial" "$tmp/cache/archives/partial" \
    "$tmp/src"
printf 'deb-src [signed-by=%s] %s bookworm main\n' "$keyring" "$mirror" \
    >"$tmp/etc/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$tmp/etc/sources.list"
          -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
          -o APT::Sandbox::User=root -o Acquire::Retries=1
          -o Acquire::http::Timeout=20 -q)
if ! apt-get "${apt_opts[@]}" update >"$tmp/log" 2>&1 ||
        grep -q '^[WE]:' "$tmp/log"; then
    tail -n 5 "$tmp/log" >&2
    skip "apt-get update of $mirror bookworm (deb-src) failed: no network?"
fi
if ! (cd "$tmp/src" && apt-get "${apt_opts[@]}" source --download-only \
        "zlib=$version") >"$tmp/log" 2>&1; then
    tail -n 5 "$tmp/log" >&2
    skip "apt-get source zlib=$version failed"
fi
(cd "$tmp/src" && dpkg-source -x "zlib_${version#1:}.dsc" zlib) \
    >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "dpkg-source -x failed"; }
touch "$tmp/src/zlib/.moat-fetched"
rm -rf -- "$src"
mv -- "$tmp/src/zlib" "$src"
printf '%s: unpacked zlib %s into %s\n' "$prog" "$version" "$src" >&2
printf '%s\n' "$src"
