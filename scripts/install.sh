#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install.sh OBJ [PREFIX]: install the built emulator (make install) under
# $DESTDIR$PREFIX (PREFIX default /usr/local):
#
#   bin/qemu-system-x86_64-i40evf      the emulator (a link to the next)
#   lib/vfio-i40evf/bin/qemu-system-x86_64
#   lib/vfio-i40evf/bin/subprojects/libvfio-user/lib/libvfio-user.so.0
#   lib/vfio-i40evf/share/qemu/        firmware and option ROMs
#   share/doc/vfio-i40evf/             README, device docs, example XML
#
# The build is relocatable: the binary finds its firmware in ../share/qemu
# and libvfio-user in its RUNPATH ($ORIGIN/subprojects/libvfio-user/lib),
# both relative to where it really is (links resolved).  So everything
# lives in a directory of its own, nothing clashes with Debian's QEMU (or
# another QEMU in the prefix), the prefix need not be the one configure
# baked in, and a DESTDIR tree works where it is unpacked.  The firmware
# is copied from the build's bundle (Debian's SeaBIOS and iPXE, the option
# ROMs built from source).  Nothing else on the machine is changed.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 OBJ [PREFIX]" >&2; exit 1; }
obj=$1
prefix=${2:-/usr/local}
src=$(cd "$(dirname "$0")/.." && pwd)
dest=${DESTDIR:-}
case "$prefix" in
/*) ;;
*) echo "install: PREFIX must be an absolute path, not $prefix" >&2; exit 1 ;;
esac

die() {
    echo "install: $*" >&2
    exit 1
}

binary=$obj/qemu-system-x86_64
libvfio=$obj/subprojects/libvfio-user/lib/libvfio-user.so.0
bundle=$(find "$obj/qemu-bundle" -type d -path '*/share/qemu' 2>/dev/null |
         head -n 1)
[ -x "$binary" ] || die "no $binary: build first (make)"
[ -n "$bundle" ] || die "no firmware bundle in $obj/qemu-bundle: run make"
for f in bios-256k.bin linuxboot_dma.bin; do
    [ -e "$bundle/$f" ] || die "no $f in $bundle: run make"
done

# The library goes where the binary's RUNPATH names; should the build
# ever link it differently, stop rather than install a binary that
# cannot start.
needs_libvfio=""
if readelf -d "$binary" | grep -q 'NEEDED.*libvfio-user'; then
    needs_libvfio=1
    readelf -d "$binary" |
        grep -q 'RUNPATH.*\[\$ORIGIN/subprojects/libvfio-user/lib\]' ||
        die "$binary does not look for libvfio-user in" \
            "\$ORIGIN/subprojects/libvfio-user/lib; install.sh needs updating"
    [ -e "$libvfio" ] || die "no $libvfio: run make"
fi

priv=$dest$prefix/lib/vfio-i40evf
docs=$dest$prefix/share/doc/vfio-i40evf
install -d "$priv/bin" "$priv/share/qemu" "$dest$prefix/bin" "$docs"
install -m 755 "$binary" "$priv/bin/qemu-system-x86_64"
if [ -n "$needs_libvfio" ]; then
    install -d "$priv/bin/subprojects/libvfio-user/lib"
    install -m 644 "$libvfio" \
        "$priv/bin/subprojects/libvfio-user/lib/libvfio-user.so.0"
fi
# The bundle's files are links into the build and into Debian's packages:
# copy what they point at; a link to nothing (a file this build has no
# use for) is left out.
for f in "$bundle"/*; do
    if [ -f "$f" ]; then
        install -m 644 "$f" "$priv/share/qemu/"
    fi
done
ln -sfn ../lib/vfio-i40evf/bin/qemu-system-x86_64 \
    "$dest$prefix/bin/qemu-system-x86_64-i40evf"
install -m 644 "$src/README.rst" "$src/docs/system/devices/vfio-i40evf.rst" \
    "$src/docs/system/devices/i40e-vf.rst" \
    "$src/docs/system/devices/vfio-i40evf-libvirt.xml" \
    "$src/docs/system/devices/vfio-i40evf-libvirt-hostdev.xml" "$docs/"
echo "install: $prefix/bin/qemu-system-x86_64-i40evf${dest:+ (under $dest)}"
