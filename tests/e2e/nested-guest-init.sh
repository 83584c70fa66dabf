#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the guest that tests/qtest/vfio-i40evf-test runs inside the
# nested tier's L1 (nested.py --iavf): the real iavf driver on a VF passed
# through with vfio-i40evf.  It brings eth0 up at e2e.ip and pings e2e.peer
# five times a second for as long as it runs; the test reads the replies
# ("seq=N"), eth0's carrier changes ("E2E carrier N": an iavf reset takes
# the link down and up) and iavf's and any troubled kernel messages ("E2E
# kmsg ...") on its console, before and after it migrates the guest.
. /lib/guest-lib.sh

eth0_up "$(arg ip)"
say ready
ping -i 0.2 "$(arg peer)" &
while :; do
    dmesg -c | grep -i -E 'iavf|WARNING:|Call Trace|BUG:' |
        sed 's/^/E2E kmsg /'
    echo "E2E carrier $(cat /sys/class/net/eth0/carrier_changes)"
    sleep 1
done
