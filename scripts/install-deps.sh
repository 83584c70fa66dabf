#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install-deps.sh [--check] [build|test|demo|libvirt]: install the Debian
# packages the build (and, with "test", the tests; with "demo", the demo;
# with "libvirt", the libvirt test, which "test" includes) need.
# Idempotent: packages already present are not touched, and apt is only
# called when something is missing.
# Everything comes from Debian's archive.  With --check nothing is installed:
# the missing packages are printed and the exit status is 1 if there are any.
set -eu

check_only=""
[ "${1:-}" = --check ] && { check_only=1; shift; }

# meson >= 1.5 and pycotap are needed by QEMU 10.2 and only exist in
# bookworm-backports on Debian 12.
BACKPORTS_PKGS="meson python3-pycotap"
BUILD_PKGS="ninja-build pkg-config gcc make flex bison python3 python3-venv
  libglib2.0-dev libpixman-1-dev libslirp-dev zlib1g-dev
  libjson-c-dev libcmocka-dev libfdt-dev ccache seabios ipxe-qemu xz-utils dpkg-dev
  gcc-multilib"
# dpdk-dev has dpdk-testpmd; the iavf PMD and the ring mempool are plugins.
TEST_PKGS="busybox-static cpio kmod iproute2 ethtool
  dpdk-dev librte-net-iavf23 librte-mempool-ring23"
# The demo's guest (tests/e2e/build-guest.sh) and its bridge
DEMO_PKGS="busybox-static cpio kmod iproute2"
# tests/libvirt: the daemon with its QEMU driver and virsh, from bookworm
# (9.0), without recommends (no Debian QEMU: the test runs ours); the
# guest and its bridge as the demo's.
LIBVIRT_PKGS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  $DEMO_PKGS"

want=$BUILD_PKGS
[ "${1:-build}" = test ] && want="$BUILD_PKGS $TEST_PKGS $LIBVIRT_PKGS"
[ "${1:-build}" = demo ] && want="$BUILD_PKGS $DEMO_PKGS"
[ "${1:-build}" = libvirt ] && want="$BUILD_PKGS $LIBVIRT_PKGS"

missing() {
    for p in "$@"; do
        dpkg-query -W -f '${db:Status-Status}\n' "$p" 2>/dev/null |
            grep -qx installed || echo "$p"
    done
}

need=$(missing $want)
need_bpo=$(missing $BACKPORTS_PKGS)
if command -v meson >/dev/null 2>&1 &&
   dpkg --compare-versions "$(meson --version)" ge 1.5; then
    need_bpo=$(missing python3-pycotap)
fi
[ -z "$need$need_bpo" ] && exit 0
if [ -n "$check_only" ]; then
    echo $need $need_bpo
    exit 1
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:" $need $need_bpo >&2
    echo "install-deps: run as root, or install them with apt-get" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ -n "$need_bpo" ]; then
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    list=/etc/apt/sources.list.d/vfio-i40evf-backports.sources
    if [ ! -f "$list" ]; then
        cat > "$list" <<EOS
Types: deb
URIs: $("$(dirname "$0")/apt-archive.sh")
Suites: $codename-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    fi
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_get() {
    apt-get "$@" >"$log" 2>&1 || {
        cat "$log" >&2
        echo "install-deps: apt-get $* failed" >&2
        exit 1
    }
}
echo "install-deps: installing" $need $need_bpo
apt_get update
[ -z "$need" ] || apt_get install -y --no-install-recommends $need
[ -z "$need_bpo" ] || apt_get install -y --no-install-recommends \
    -t "$(. /etc/os-release && echo "$VERSION_CODENAME")-backports" $need_bpo
exit 0
