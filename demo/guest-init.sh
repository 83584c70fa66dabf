#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the demo's guest: load the NIC drivers (iavf, virtio-net), bring
# up whichever NIC the VM has, then run flows against the peer until the
# peer ends the TCP stream; the VM is live-migrated meanwhile.  Results are
# "DEMO <key> <value>" lines on the console (flows prints most of them);
# last come the kernel's log lines about the NIC since the traffic began,
# so that demo/demo.py can tell whether the driver reset its VF.
. /lib/guest-lib.sh
say() { echo "DEMO $*"; }
arg() { sed -n "s/.*demo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

eth0_up "$(arg ip)"

echo "demo: traffic starts" > /dev/kmsg
flows "$(arg host)" "$(arg tcp)" "$(arg udp)" "$(arg pps)" "$(arg bps)" \
      "$(arg limit)"
say flows-exit "$?"
dmesg | sed -n '/demo: traffic starts/,$p' | sed 1d |
    grep -i -e iavf -e virtio -e eth0 -e 'demo:' | while read -r line; do
        say kernel "$line"
    done
say done
poweroff -f
