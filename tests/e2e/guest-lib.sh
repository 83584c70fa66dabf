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
