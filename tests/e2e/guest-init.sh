#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the end-to-end guest: load the real iavf driver, bring the VF
# up and move data to and from the host through it.  Every result is a
# line "E2E <key> <value>" on the console for tests/e2e/run.py to check.
. /lib/guest-lib.sh

host=$(arg host)
ip=$(arg ip)
port=$(arg port)
sink=$(arg sink)
eth0_up "$ip"

# Host to guest, then guest to host, each checked by SHA-256 at both ends.
wget -q -O /tmp/rx "http://$host:$port/blob" &&
    say rx-sha "$(sha256sum /tmp/rx | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/tx bs=64k count=64 2>/dev/null
say tx-sha "$(sha256sum /tmp/tx | cut -d' ' -f1)"
nc $host "$sink" < /tmp/tx > /tmp/ack && say tx-ack "$(cat /tmp/ack)"

# A new queue count: iavf reconfigures the VF through a reset.  Debian's
# 6.1 iavf lacks upstream's revert d2806d960e83 ("iavf: Detach device during
# reset task", v6.5): a frame sent while the queue count shrinks reaches a
# freed ring and the kernel oopses in iavf_xmit_frame, on the silicon as
# here, and ethtool -L gives up with EBUSY after 5 s while the reset goes
# on.  On 6.1 the interface is down during the change, as a careful admin
# would have it; 6.12 changes it live.
if [ "$(arg channels)" ]; then
    case "$(uname -r)" in
    6.1.*)
        ip link set eth0 down
        ethtool -L eth0 combined "$(arg channels)"
        wait_for 100 ip link set eth0 up
        ;;
    *)
        ethtool -L eth0 combined "$(arg channels)" || say ethtool-failed
        ;;
    esac
    sleep 1
    wait_for 200 carrier
    say channels "$(ethtool -l eth0 | sed -n '/^Current/,$s/^Combined:[[:space:]]*//p')"
    wget -q -O /tmp/rx3 "http://$host:$port/blob" &&
        say rx-sha-after-channels "$(sha256sum /tmp/rx3 | cut -d' ' -f1)"
fi

# An MTU change makes iavf reset the VF and rebuild everything; the reset
# takes the carrier down and up.
say carrier-changes-before-reset "$(cat /sys/class/net/eth0/carrier_changes)"
ip link set eth0 mtu 9000
sleep 1
wait_for 200 carrier
say carrier-after-reset "$(cat /sys/class/net/eth0/carrier)"
say carrier-changes-after-reset "$(cat /sys/class/net/eth0/carrier_changes)"
wget -q -O /tmp/rx2 "http://$host:$port/blob" &&
    say rx-sha-after-reset "$(sha256sum /tmp/rx2 | cut -d' ' -f1)"
# iavf fetches the VF's counters with GET_STATS every two seconds; a VF
# reset clears them, so they count what crossed the link since the MTU
# change: the last download, its requests and acknowledgements.
sleep 3
for c in rx_bytes rx_packets tx_bytes tx_packets rx_errors tx_errors; do
    say "stat-$c" "$(cat "/sys/class/net/eth0/statistics/$c")"
done
say rx2-size "$(wc -c < /tmp/rx2)"
say done
poweroff -f
