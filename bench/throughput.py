#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark (not a test): guest TX and RX throughput of two NICs in the
same run, alternating, with the same Debian guest kernel, over the same tap
device (virtio-net headers on, so the NICs hand TSO to the host).  By
default i40e-vf against QEMU's igb; with --nic vfio-user-i40evf,vfio-user-pci
the i40e-vf is served by an x-remote server QEMU (tests/pylib/testbed.py's
VfioUserServer, one per run, on the same tap) and the guest's NIC is the
passthrough device with its mailbox trapped against plain vfio-user-pci.

The guest sends --mbytes to a TCP sink on the host, then receives as much
from a TCP source; the host times both and counts the tap's packets.  Each
guest program of --tool (netpump's large writes, busybox nc's small ones)
is measured in turn.  Prints a table per program of measured Mbit/s and
packets/s and the ratio of the first NIC to the second.  Needs root and a
build (make).  The tap device, its address, the servers and the vfio-user
server QEMUs live in a network namespace of the benchmark's own
(tests/pylib/testbed.py).
"""

import argparse
import copy
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../tests/pylib'))
sys.dont_write_bytecode = True  # nothing written in the source tree
import testbed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TAP = 'i40evf-bench0'
HOST, GUEST = '192.168.77.1', '192.168.77.2'
NETDEV = 'tap,ifname=%s,script=no,downscript=no' % TAP
EMULATED = ('igb', 'i40e-vf')
# Passed through from an x-remote server's i40e-vf over vfio-user
VFIO_USER = ('vfio-user-i40evf', 'vfio-user-pci')
MEM = 1024              # MiB; with a vfio-user NIC the server's memfd size
# MiB each way when --mbytes is not given: nc moves a quarter as fast
MBYTES = {'netpump': 512, 'nc': 128}


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


def run_vm(qemu, guest, nic, smp, mem, args, timeout):
    """One boot of the guest on nic; returns TX Mbit/s, TX pkt/s, RX
    Mbit/s, RX pkt/s."""
    if nic in VFIO_USER:
        with testbed.VfioUserServer(qemu, NETDEV, nic) as server:
            if server.error:
                sys.exit('%s: %s' % (nic, server.error))
            res, out = boot_vm(qemu, guest, nic, server.nic_args, smp, mem,
                               args, timeout)
        if server.error:
            sys.exit('%s: %s\n%s' % (nic, server.error, server.log[-2000:]))
    else:
        res, out = boot_vm(qemu, guest, nic,
                           ['-netdev', NETDEV + ',id=n0',
                            '-device', '%s,netdev=n0' % nic],
                           smp, mem, args, timeout)
    if res is None:
        sys.exit('%s: %s' % (nic, out))
    return res


def boot_vm(qemu, guest, nic, nic_args, smp, mem, args, timeout):
    """(the measured numbers, or None and why) of one boot."""
    nbytes = args.mbytes << 20
    sink, source = Timed(nbytes, False), Timed(nbytes, True)
    append = ('console=ttyS0 quiet panic=-1 bench.ip=%s bench.host=%s '
              'bench.sink=%d bench.source=%d bench.bytes=%d bench.tool=%s' %
              (GUEST, HOST, sink.port, source.port, nbytes, args.tool))
    if args.coalesce is not None:
        append += ' bench.coalesce=%d' % args.coalesce
    cmd = [qemu, '-M', 'q35', '-accel', 'tcg', '-m', str(mem),
           '-smp', str(smp),
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'), '-append', append] + \
        nic_args + args.qemu_arg
    out = testbed.run_to_end(cmd, timeout)
    if args.coalesce is not None and \
            'BENCH coalesce %d\n' % args.coalesce not in out:
        return None, 'ethtool -C did not take:\n' + out[-2000:]
    if 'BENCH done' not in out or not sink.result or not source.result:
        return None, 'the guest did not finish:\n' + out[-2000:]
    if sink.result[2] != nbytes or source.result[2] != nbytes:
        return None, 'short transfer'
    return sink.result[:2] + source.result[:2], out


def build_guest(kernel, guest):
    """The guest, with both drivers and netpump, from Debian packages."""
    pump = os.path.join(guest, 'netpump')
    subprocess.run(['gcc', '-O2', '-static', '-o', pump,
                    os.path.join(HERE, 'netpump.c')], check=True)
    kver, log = testbed.build_guest(
        kernel, os.path.join(HERE, 'guest-bench.sh'), guest, ('iavf', 'igb'),
        bins=(pump, shutil.which('ethtool') or ''))
    if not kver:
        sys.exit('bench: cannot build the guest\n' + log)


def main():
    ap = testbed.parser(__doc__)
    ap.add_argument('--kernel', default='6.12', help='6.12 or 6.1')
    ap.add_argument('--nic', default='i40e-vf,igb',
                    help='the two NICs to compare, A,B: the ratio is A/B '
                    '(of %s)' % ', '.join(EMULATED + VFIO_USER))
    ap.add_argument('--mbytes', type=int,
                    help='MiB each way (default: %s)' %
                    ', '.join('%d for %s' % (m, t) for t, m in MBYTES.items()))
    ap.add_argument('--smp', default='1 2',
                    help='guest vCPU counts to measure, e.g. "1 2"')
    ap.add_argument('--runs', type=int, default=3,
                    help='runs per NIC; the median is reported')
    ap.add_argument('--tool', default='netpump,nc',
                    help='guest programs to measure, in turn: netpump '
                    '(large writes), busybox nc (1 KiB writes, one TCP '
                    'stream like an ordinary program)')
    ap.add_argument('--coalesce', type=int, metavar='USECS',
                    help='the same fixed interrupt moderation for both NICs '
                    '(ethtool -C, adaptive off) instead of the drivers\' '
                    'adaptive defaults')
    ap.add_argument('--each', action='store_true',
                    help='also print every run\'s numbers as it ends')
    ap.add_argument('--qemu-arg', action='append', default=[],
                    help='extra QEMU argument (e.g. -trace ...), repeatable')
    ap.add_argument('--guest', help=argparse.SUPPRESS)
    args = testbed.parse(ap, 'bench')
    nics = args.nic.split(',')
    if len(nics) != 2 or nics[0] == nics[1] or \
            set(nics) - set(EMULATED + VFIO_USER):
        ap.error('--nic: two different NICs of %s' %
                 ', '.join(EMULATED + VFIO_USER))
    args.tools = args.tool.split(',')
    if not args.tools or set(args.tools) - set(MBYTES):
        ap.error('--tool: a comma-separated list of %s' % ', '.join(MBYTES))
    if not testbed.inside():
        # The kernel comes from the archive: before the network is left.
        args.guest = tempfile.mkdtemp(prefix='i40evf-bench-')
        build_guest(args.kernel, args.guest)
    testbed.enter(['--guest', args.guest])
    try:
        if not testbed.add_tap(TAP, HOST + '/24'):
            sys.exit('cannot create the tap device %s' % TAP)
        measure(args)
    finally:
        shutil.rmtree(args.guest, ignore_errors=True)
    return 0


def measure(args):
    for tool in args.tools:
        one = copy.copy(args)
        one.tool, one.mbytes = tool, args.mbytes or MBYTES[tool]
        measure_tool(one)


def measure_tool(args):
    qemu = args.qemu
    nic_a, nic_b = args.nic.split(',')
    # The server maps guest RAM: a memfd of testbed.GUEST_MEM, for both NICs
    mem = testbed.GUEST_MEM if {nic_a, nic_b} & set(VFIO_USER) else MEM
    print('guest linux %s, TCG, %d MiB, tap with vnet headers, one TCP '
          'stream, %s, %d MiB each way, median of %d runs alternating' %
          (args.kernel, mem, args.tool, args.mbytes, args.runs))
    print('%-6s %-17s %12s %12s %12s %12s' % ('vCPUs', 'NIC', 'TX Mbit/s',
                                              'TX pkt/s', 'RX Mbit/s',
                                              'RX pkt/s'))
    for smp in args.smp.split():
        rows = {}
        for _ in range(args.runs):
            for nic in (nic_b, nic_a):
                r = run_vm(qemu, args.guest, nic, smp, mem, args, 600)
                rows.setdefault(nic, []).append(r)
                if args.each:
                    print('#%-5s %-17s %12.0f %12.0f %12.0f %12.0f' %
                          (smp, nic, *r), flush=True)
        med = {nic: [statistics.median(col) for col in zip(*runs)]
               for nic, runs in rows.items()}
        for nic in (nic_b, nic_a):
            print('%-6s %-17s %12.0f %12.0f %12.0f %12.0f' %
                  (smp, nic, *med[nic]))
        print('%-6s %-17s %12.2f %12.2f %12.2f %12.2f' %
              (smp, 'ratio',
               *[a / b for a, b in zip(med[nic_a], med[nic_b])]))
        sys.stdout.flush()


if __name__ == '__main__':
    sys.exit(main())
