# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by the end-to-end guests' /init (build-guest.sh puts it in
# /lib): busybox's applets, the kernel's file systems, and the helpers the
# scripts share.  Results are "E2E <key> <value>" lines on the console.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "E2E $*"; }
arg() { sed -n "s/.*e2e\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

wait_for() {    # wait_for TENTHS CMD...: poll until CMD succeeds
    n=$1; shift
    while [ "$n" -gt 0 ]; do
        "$@" 2>/dev/null && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

carrier() { [ "$(cat /sys/class/net/eth0/carrier)" = 1 ]; }

eth0_up() {     # eth0_up IP: load the NIC's modules, eth0 up at IP/24
    for m in $(cat /lib/modules/order); do
        insmod "/lib/modules/$m" || say insmod-failed "$m"
    done
    wait_for 100 test -e /sys/class/net/eth0
    say driver "$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
    ip link set eth0 up
    wait_for 200 carrier
    say carrier "$(cat /sys/class/net/eth0/carrier)"
    ip addr add "$1/24" dev eth0
}
