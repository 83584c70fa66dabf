#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the DPDK guest: bind the VF to vfio-pci (behind the virtual
# IOMMU; iavf is never loaded) and run DPDK's testpmd on it with the iavf
# poll-mode driver: 2 RX queues and 1 TX queue, a first burst sent at start
# (--tx-first), then every frame received on RX queue 0 sent back with the
# VF's address as source and the host's (e2e.peer) as destination.  Results
# are "E2E <key> <value>" lines on the console for tests/e2e/dpdk.py;
# testpmd's own output follows between "E2E testpmd-log" and
# "E2E testpmd-end".
. /lib/guest-lib.sh

finish() {
    say done
    poweroff -f
}

for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m" || say insmod-failed "$m"
done

# The VF: Intel 8086:154c.
bdf=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x154c ] &&
        bdf=$(basename "$d")
done
[ -n "$bdf" ] || { say no-vf; finish; }
echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"
echo "$bdf" > /sys/bus/pci/drivers_probe
say driver "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")"
group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
wait_for 50 test -c "/dev/vfio/$group"

# testpmd's memory without hugepages; its PMDs are plugins (-d).  The
# periodic port statistics tell when forwarding runs; SIGINT stops it and
# prints the forwarding statistics, then testpmd closes the port.
mkdir -p /var/run
plugins=
for p in $(arg pmds | tr , ' '); do plugins="$plugins -d $p"; done
running() { [ ! -e /tmp/pmd.rc ]; }
(
    dpdk-testpmd -l 0-1 -n 1 --no-huge -m 192 --no-shconf --no-telemetry \
        $plugins -a "$bdf" --log-level=pmd.net.iavf.*:info -- \
        --rxq=2 --txq=1 --rxd=256 --txd=256 --total-num-mbufs=2048 \
        --forward-mode=mac --eth-peer="0,$(arg peer)" \
        --auto-start --tx-first --stats-period=1 > /tmp/pmd 2>&1 < /dev/null
    echo $? > /tmp/pmd.rc
) &
forwarding() { ! running || grep -q "Port statistics" /tmp/pmd; }
if wait_for 900 forwarding && running; then
    say forwarding
    # Until the frames the host sends have come in, at most 20 s.
    want=$(arg frames)
    n=200
    while [ "$n" -gt 0 ] && running; do
        rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' /tmp/pmd | tail -n 1)
        [ "${rx:-0}" -ge "$want" ] && break
        sleep 0.1
        n=$((n - 1))
    done
    sleep 1
fi
pmd=$(pidof dpdk-testpmd)
[ -z "$pmd" ] || kill -INT $pmd
wait_for 300 eval '! running' || kill -KILL $pmd
say testpmd-exit "$(cat /tmp/pmd.rc)"
say testpmd-log
cat /tmp/pmd
say testpmd-end
finish
