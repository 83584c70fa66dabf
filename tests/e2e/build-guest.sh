#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-guest.sh SERIES INIT OUTDIR [MODULE...]: build a small TCG guest
# from Debian packages only: the kernel of SERIES ("6.12" from
# bookworm-backports, "6.1" from bookworm), MODULE... (default: iavf) with
# everything they depend on, busybox-static as userland and INIT as /init
# (with guest-lib.sh in /lib for it to source).
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.  The kernel package and the
# modules taken from it are cached outside the repository.  Programs named
# in GUEST_BIN are added to /bin, with the shared libraries they use; files
# named in GUEST_FILES (plugins a program loads itself, data) are added at
# the same path, with the shared libraries they use.
set -eu

series=$1 init=$2 out=$3
shift 3
[ $# -gt 0 ] || set -- iavf
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vfio-i40evf/guest"

case "$series" in
6.12|6.1) ;;
*) echo "build-guest: unknown kernel series $series (6.12 or 6.1)" >&2; exit 1 ;;
esac

# The image package of that series the metapackage points at (bookworm
# has 6.1, bookworm-backports 6.12; install-deps.sh enabled backports).
pkg=$(apt-cache show linux-image-amd64 2>/dev/null |
      sed -n "s/^Depends: \(linux-image-$series\.[^ ,]*\).*/\1/p" | head -n 1)
[ -n "$pkg" ] || {
    echo "build-guest: no linux-image-amd64 for $series in the apt lists" >&2
    exit 1
}
kver=${pkg#linux-image-}
dir="$cache/$kver"
mkdir -p "$dir"

if [ ! -f "$dir/image.deb" ]; then
    tmp=$(mktemp -d "$cache/dl.XXXXXX")
    (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) || {
        rm -rf "$tmp"
        echo "build-guest: cannot download $pkg" >&2
        exit 1
    }
    mv "$tmp"/*.deb "$dir/image.deb"
    rm -rf "$tmp"
fi

# The modules of this set, decompressed, and their load order.
set_name=$(echo "$@" | tr ' ' '+')
mods="$dir/modules-$set_name"
if [ ! -f "$mods/order" ] || [ ! -f "$dir/vmlinuz" ]; then
    tmp=$(mktemp -d "$cache/x.XXXXXX")
    dpkg-deb -x "$dir/image.deb" "$tmp"
    depmod -b "$tmp" "$kver"
    mkdir -p "$mods"
    : > "$mods/order.tmp"
    for m; do
        modprobe -d "$tmp" -S "$kver" --show-depends "$m"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
    while read -r f; do
        name=$(basename "$f" | sed 's/\.ko.*//')
        case "$f" in
        *.xz) xz -dc "$f" > "$mods/$name.ko" ;;
        *.zst) zstd -dqc "$f" > "$mods/$name.ko" ;;
        *) cp "$f" "$mods/$name.ko" ;;
        esac
        echo "$name.ko" >> "$mods/order.tmp"
    done
    mv "$mods/order.tmp" "$mods/order"
    cp "$tmp/boot/vmlinuz-$kver" "$dir/vmlinuz"
    rm -rf "$tmp"
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" \
         "$root/dev" "$root/tmp" "$root/etc"
cp /bin/busybox ${GUEST_BIN:-} "$root/bin/"
for lib in $(for b in ${GUEST_BIN:-} ${GUEST_FILES:-}; do
                 ldd "$b" 2>/dev/null || true
             done | grep -o '/[^ ]*' | sort -u) ${GUEST_FILES:-}; do
    mkdir -p "$root$(dirname "$lib")"
    cp -RL "$lib" "$root$lib"
done
cp "$mods/"*.ko "$root/lib/modules/"
cp "$mods/order" "$root/lib/modules/order"
cp "$init" "$root/init"
chmod +x "$root/init"
cp "$(dirname "$0")/guest-lib.sh" "$root/lib/"
mkdir -p "$out"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd"
ln -sf "$dir/vmlinuz" "$out/vmlinuz"
echo "$kver"
