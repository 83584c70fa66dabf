#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-guest.sh SERIES [INIT]: build a small guest for TCG from Debian
# packages only: the kernel of SERIES ("6.12" from bookworm-backports,
# "6.1" from bookworm), the modules the real iavf driver needs, and
# busybox-static as userland, with INIT as /init.  Prints the directory
# holding vmlinuz and initrd.  Kernels are cached outside the repository.
set -eu

series=$1
init=${2:-$(dirname "$0")/guest-init.sh}
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

if [ ! -f "$dir/vmlinuz" ]; then
    tmp=$(mktemp -d "$cache/dl.XXXXXX")
    (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) || {
        rm -rf "$tmp"
        echo "build-guest: cannot download $pkg" >&2
        exit 1
    }
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    depmod -b "$tmp/root" "$kver"
    # iavf and what it needs, in load order (libie and libeth on 6.12).
    modprobe -d "$tmp/root" -S "$kver" --show-depends iavf |
        awk '$1 == "insmod" { print $2 }' > "$tmp/mods"
    mkdir -p "$dir/modules"
    : > "$dir/modules.order"
    while read -r m; do
        name=$(basename "$m" | sed 's/\.ko.*//')
        case "$m" in
        *.xz) xz -dc "$m" > "$dir/modules/$name.ko" ;;
        *.zst) zstd -dqc "$m" > "$dir/modules/$name.ko" ;;
        *) cp "$m" "$dir/modules/$name.ko" ;;
        esac
        echo "$name.ko" >> "$dir/modules.order"
    done < "$tmp/mods"
    cp "$tmp/root/boot/vmlinuz-$kver" "$dir/vmlinuz.tmp"
    mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
    rm -rf "$tmp"
fi

# The initrd is cheap: rebuild it so that edits to INIT take effect.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" \
         "$root/dev" "$root/tmp" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
cp "$dir/modules/"*.ko "$root/lib/modules/"
cp "$dir/modules.order" "$root/lib/modules/order"
cp "$init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/initrd.tmp"
mv "$dir/initrd.tmp" "$dir/initrd"
echo "$dir"
