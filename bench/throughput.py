#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark (not a test): guest TX and RX throughput of i40e-vf against
QEMU's igb, in the same run, with the same Debian guest kernel, over the
same tap device (virtio-net headers on, so both NICs hand TSO to the host).

The guest sends --mbytes to a TCP sink on the host, then receives as much
from a TCP source; the host times both and counts the tap's packets.
Prints a table of measured Mbit/s and packets/s and the i40e-vf/igb ratio.
Needs root and a build (make).  The tap device, its address and the servers
live in a network namespace of the benchmark's own (tests/e2e/netns.py).
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, 'tests', 'e2e'))
import netns  # noqa: E402
TAP = 'i40evf-bench0'
HOST, GUEST = '192.168.77.1', '192.168.77.2'


def tap_counter(name):
    """rx_packets or tx_packets of the tap, from this namespace's view."""
    with open('/proc/self/net/dev') as f:
        for line in f:
            dev, _, fields = line.partition(':')
            if dev.strip() == TAP:
                return int(fields.split()[1 if name == 'rx_packets' else 9])
    raise RuntimeError('no %s in /proc/self/net/dev' % TAP)


class Timed:
    """One TCP server (sink or source) that times its one connection."""

    def __init__(self, nbytes, send):
        self.nbytes, self.send = nbytes, send
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.result = None
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        conn, _ = self.sock.accept()
        counter = 'tx_packets' if self.send else 'rx_packets'
        pkts0, t0, moved = tap_counter(counter), time.monotonic(), 0
        if self.send:
            chunk = b'\0' * (1 << 20)
            while moved < self.nbytes:
                moved += conn.send(chunk[:self.nbytes - moved])
            conn.shutdown(socket.SHUT_WR)
            conn.recv(1)        # the guest closes once it has it all
        else:
            # Counted to nbytes: a sender reading /dev/zero never ends.
            while moved < self.nbytes:
                data = conn.recv(min(1 << 20, self.nbytes - moved))
                if not data:
                    break
                moved += len(data)
        secs = time.monotonic() - t0
        pkts = tap_counter(counter) - pkts0
        conn.close()
        self.result = (moved * 8 / secs / 1e6, pkts / secs, moved)


def run_vm(qemu, guest, nic, smp, args, timeout):
    nbytes = args.mbytes << 20
    sink, source = Timed(nbytes, False), Timed(nbytes, True)
    append = ('console=ttyS0 quiet panic=-1 bench.ip=%s bench.host=%s '
              'bench.sink=%d bench.source=%d bench.bytes=%d bench.tool=%s' %
              (GUEST, HOST, sink.port, source.port, nbytes, args.tool))
    if args.coalesce is not None:
        append += ' bench.coalesce=%d' % args.coalesce
    cmd = [qemu, '-M', 'q35', '-accel', 'tcg', '-m', '1024', '-smp', str(smp),
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'), '-append', append,
           '-netdev', 'tap,id=n0,ifname=%s,script=no,downscript=no' % TAP,
           '-device', '%s,netdev=n0' % nic] + args.qemu_arg
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=timeout, text=True, errors='replace',
                         preexec_fn=netns.die_with_parent).stdout
    if args.coalesce is not None and \
            'BENCH coalesce %d\n' % args.coalesce not in out:
        sys.exit('%s: ethtool -C did not take:\n%s' % (nic, out[-2000:]))
    if 'BENCH done' not in out or not sink.result or not source.result:
        sys.exit('%s: the guest did not finish:\n%s' % (nic, out[-2000:]))
    if sink.result[2] != nbytes or source.result[2] != nbytes:
        sys.exit('%s: short transfer' % nic)
    return sink.result[:2] + source.result[:2]


def build_guest(kernel, guest):
    """The guest, with both drivers and netpump, from Debian packages."""
    pump = os.path.join(guest, 'netpump')
    subprocess.run(['gcc', '-O2', '-static', '-o', pump,
                    os.path.join(HERE, 'netpump.c')], check=True)
    subprocess.run([os.path.join(SRC, 'tests/e2e/build-guest.sh'),
                    kernel, os.path.join(HERE, 'guest-bench.sh'),
                    guest, 'iavf', 'igb'], check=True,
                   stdout=subprocess.DEVNULL,
                   env=dict(os.environ, GUEST_BIN=pump + ' ' +
                            (shutil.which('ethtool') or '')))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', default=os.path.join(SRC, 'build', 'obj'))
    ap.add_argument('--kernel', default='6.12', help='6.12 or 6.1')
    ap.add_argument('--mbytes', type=int, default=512)
    ap.add_argument('--smp', default='1 2',
                    help='guest vCPU counts to measure, e.g. "1 2"')
    ap.add_argument('--runs', type=int, default=3,
                    help='runs per NIC; the median is reported')
    ap.add_argument('--tool', choices=('netpump', 'nc'), default='netpump',
                    help='guest program: netpump (large writes) or busybox '
                    'nc (small ones)')
    ap.add_argument('--coalesce', type=int, metavar='USECS',
                    help='the same fixed interrupt moderation for both NICs '
                    '(ethtool -C, adaptive off; see guest-bench.sh for '
                    'igb) instead of the drivers\' adaptive defaults')
    ap.add_argument('--qemu-arg', action='append', default=[],
                    help='extra QEMU argument (e.g. -trace ...), repeatable')
    ap.add_argument('--guest', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not netns.inside():
        # The kernel comes from the archive: before the network is left.
        args.guest = tempfile.mkdtemp(prefix='i40evf-bench-')
        build_guest(args.kernel, args.guest)
    netns.enter(['--guest', args.guest])
    try:
        if not netns.add_tap(TAP, HOST + '/24'):
            sys.exit('cannot create the tap device %s' % TAP)
        measure(args)
    finally:
        shutil.rmtree(args.guest, ignore_errors=True)
    return 0


def measure(args):
    qemu = os.path.join(args.build, 'qemu-system-x86_64')
    print('guest linux %s, TCG, tap with vnet headers, one TCP stream, '
          '%d MiB each way, median of %d runs' %
          (args.kernel, args.mbytes, args.runs))
    print('%-6s %-10s %12s %12s %12s %12s' % ('vCPUs', 'NIC', 'TX Mbit/s',
                                              'TX pkt/s', 'RX Mbit/s',
                                              'RX pkt/s'))
    for smp in args.smp.split():
        rows = {}
        for _ in range(args.runs):
            for nic in ('igb', 'i40e-vf'):
                r = run_vm(qemu, args.guest, nic, smp, args, 600)
                rows.setdefault(nic, []).append(r)
        med = {nic: [statistics.median(col) for col in zip(*runs)]
               for nic, runs in rows.items()}
        for nic in ('igb', 'i40e-vf'):
            print('%-6s %-10s %12.0f %12.0f %12.0f %12.0f' %
                  (smp, nic, *med[nic]))
        print('%-6s %-10s %12.2f %12.2f %12.2f %12.2f' %
              (smp, 'ratio',
               *[a / b for a, b in zip(med['i40e-vf'], med['igb'])]))
        sys.stdout.flush()


if __name__ == '__main__':
    sys.exit(main())
