#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the benchmark guest: whatever NIC it has (iavf or igb bound),
# send e2e.bytes to the host's sink, then receive as much from its source.
# The host does the timing; this side only moves data.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
arg() { sed -n "s/.*bench\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m"; done
n=100
while [ ! -e /sys/class/net/eth0 ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
ip link set eth0 up
n=100
while [ "$(cat /sys/class/net/eth0/carrier)" != 1 ] && [ $n -gt 0 ]; do
    sleep 0.1; n=$((n-1))
done
ip addr add "$(arg ip)/24" dev eth0
# Optionally the same fixed interrupt moderation on every NIC (igb pairs TX
# with RX, so rx-usecs sets both).
if [ "$(arg coalesce)" ]; then
    ethtool -C eth0 adaptive-rx off adaptive-tx off 2>/dev/null
    ethtool -C eth0 rx-usecs "$(arg coalesce)" 2>/dev/null
    ethtool -C eth0 tx-usecs "$(arg coalesce)" 2>/dev/null
    [ "$(ethtool -c eth0 | sed -n 's/^rx-usecs: *//p')" = "$(arg coalesce)" ] &&
        echo "BENCH coalesce $(arg coalesce)"
fi
echo "BENCH driver $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
if [ "$(arg tool)" = nc ]; then
    # busybox nc: small reads and writes, as an ordinary program does.
    # The host closes the connection once it has counted the bytes.
    nc "$(arg host)" "$(arg sink)" < /dev/zero
    nc "$(arg host)" "$(arg source)" > /dev/null
else
    netpump send "$(arg host)" "$(arg sink)" "$(arg bytes)"
    netpump recv "$(arg host)" "$(arg source)"
fi
echo "BENCH done"
poweroff -f
