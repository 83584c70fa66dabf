#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the demo's guest: load the NIC drivers (iavf, virtio-net), bring
# up whichever NIC the VM has, then run flows against the peer until the
# peer ends the TCP stream; the VM is live-migrated meanwhile.  Results are
# "DEMO <key> <value>" lines on the console (flows prints most of them);
# last come the kernel's log lines about the NIC since the traffic began,
# its warnings, oopses and mailbox errors since boot (quiet keeps them off
# the console) and the link's carrier changes at the start and at the end
# of the traffic (a reset of iavf takes the carrier down and up), so that
# demo/demo.py can tell whether the driver reset its VF.
. /lib/guest-lib.sh
say() { echo "DEMO $*"; }
arg() { sed -n "s/.*demo\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

eth0_up "$(arg ip)"

echo "demo: traffic starts" > /dev/kmsg
say carrier-changes-start "$(cat /sys/class/net/eth0/carrier_changes)"
flows "$(arg host)" "$(arg tcp)" "$(arg udp)" "$(arg pps)" "$(arg bps)" \
      "$(arg limit)"
say flows-exit "$?"
say carrier-changes-end "$(cat /sys/class/net/eth0/carrier_changes)"
dmesg | sed -n '/demo: traffic starts/,$p' | sed 1d |
    grep -i -e iavf -e virtio -e eth0 -e 'demo:' | while read -r line; do
        say kernel "$line"
    done
dmesg | grep -e 'WARNING:' -e 'Call Trace' -e 'BUG:' -e 'PF returned error' \
    -e 'ARQ Overflow' -e 'Kernel panic' | while read -r line; do
        say trouble "$line"
    done
say done
poweroff -f
