#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the guest in which tests/e2e/nested.py exercises kernel VFIO:
# bind every X710 VF (8086:154c) to vfio-pci behind the virtual IOMMU,
# bring up the loopback (migrations go over it) and the virtio-net
# interface on the VFs' link (the other end of their frames), and run the
# qtest of vfio-i40evf (e2e.qtest) with the project's QEMU (e2e.qemu),
# killed if it runs longer than e2e.timeout seconds: all of its tests, or
# e2e.only.  With e2e.peer-ip, the peer interface gets that address and
# the qtest the kernel and initramfs of an iavf guest (e2e.guest).
# Results are "E2E <key> <value>" lines on the console.  The qtest's
# output is shown as it comes, and again once it has ended, between
# "E2E tap-begin" and "E2E tap-end", where kernel messages cannot cut it.
. /lib/guest-lib.sh

for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m" || say insmod-failed "$m"
done
ip link set lo up

vfs=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x154c ] ||
        continue
    bdf=$(basename "$d")
    echo vfio-pci > "$d/driver_override"
    echo "$bdf" > /sys/bus/pci/drivers_probe
    group=$(basename "$(readlink "$d/iommu_group")")
    wait_for 50 test -c "/dev/vfio/$group"
    say driver "$bdf $(basename "$(readlink "$d/driver")") group $group"
    vfs="$vfs $bdf"
done

peer=
for n in /sys/class/net/*; do
    [ "$(basename "$(readlink "$n/device/driver")")" = virtio_net ] &&
        peer=$(basename "$n")
done
ip link set "$peer" up
say peer "$peer"
# With an iavf guest (nested.py --iavf) the peer has an address to ping:
# L1's own interface on the outer QEMU's hub, not the machine's
if [ "$(arg peer-ip)" ]; then
    ip addr add "$(arg peer-ip)/24" dev "$peer"
    export VFIO_I40EVF_PEER_IP="$(arg peer-ip)"
    export VFIO_I40EVF_GUEST="$(arg guest | tr , ' ')"
fi

only=$(arg only)
: > /tmp/tap
VFIO_I40EVF_HOSTS="${vfs# }" VFIO_I40EVF_PEER="$peer" \
    QTEST_QEMU_BINARY="$(arg qemu)" \
    timeout "$(arg timeout)" "$(arg qtest)" --tap -k \
    ${only:+-p "$only"} > /tmp/tap 2>&1 &
qtest=$!
tail -f /tmp/tap &
wait $qtest
say qtest-exit $?
kill $!
say tap-begin
cat /tmp/tap
say tap-end
poweroff -f
