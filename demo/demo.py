#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The project's demo (make demo): live migration of a VM whose X710 VF is
passed through with vfio-user-i40evf, under verified traffic, next to a
plain VM migrated the same way.

Two "hosts", each an x-remote QEMU serving an emulated X710 VF (i40e-vf)
over vfio-user, provisioned as a management layer would: the same
administrative MAC, a VSI of their own.  Their tap devices share a bridge
with the peer, this process, all in a network namespace of the demo's own
(tests/pylib/testbed.py) that the kernel deletes when the demo ends.

The VM (a Debian kernel with the real iavf driver, under TCG) runs on host
A's VF with -device vfio-user-i40evf.  Its /init (guest-init.sh) runs flows
(flows.c) against the peer: a TCP stream of checksummed, numbered records
each way, and numbered, checksummed UDP datagrams each way.  After a few
seconds the VM is migrated with QMP 'migrate' to the same command line on
host B's VF (-incoming), traffic runs on there for a few more seconds, and
the peer ends the streams.  The same guest on virtio-net is migrated the
same way for a baseline.

Prints a table: query-migrate's downtime and bytes, the UDP datagrams
sent, received, lost, duplicated and corrupted, whether the TCP stream
arrived intact both ways, whether the guest's driver reset its VF (from
evidence: the device's counters before and after the switchover, the
guest's carrier_changes, its kernel's warnings; missing evidence counts
as a reset), whether every queue pair on the destination is handed back
to the guest's rings or still relayed; then each VM's timeline around
the switchover (QMP events, the guest kernel's log lines about its NIC,
the first frames of each kind on the destination's tap, where the
streams stopped and resumed), and x-query-vfio-i40evf on both sides;
--json FILE writes the same results to FILE (tests/e2e/migration.py and
bench/migration.py read it).  Exits 1 if the traffic broke (corrupted or
duplicated data, the TCP connection lost or its stream damaged, loss
outside the migration, nothing received after it), the guest's driver
reset its NIC (or nothing shows it did not), the guest did not report,
or a migration failed, 2 if the demo could not run.  Needs root.
"""

import argparse
import bisect
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../tests/pylib'))
sys.dont_write_bytecode = True  # nothing written in the source tree
import testbed  # noqa: E402

BRIDGE = 'i40evf-demo'
PEER = '192.168.78.1'
TCP_PORT, UDP_PORT = 5000, 5001
MIGRATION_PORT = 4444           # on the namespace's loopback
MEM = 512                       # MiB, a shared memfd the servers map
VF_MAC = testbed.VF_MAC         # the administrative MAC of both VFs
VSI_A, VSI_B = 7, 9
SCENARIOS = {
    # name: guest address, MAC of the plain VM's NIC
    'vf': ('192.168.78.2', VF_MAC),
    'plain': ('192.168.78.3', '52:54:00:78:00:03'),
}
PPS = 500                       # UDP datagrams a second, each way
BPS = 1 << 20                   # TCP bytes a second, each way
TCP_MAGIC, UDP_MAGIC = 0x54534544, 0x55534544
TCP_PAYLOAD, UDP_PAYLOAD = 1400, 200
BOOT_TIMEOUT = 120              # boot to the guest's connection
MIGRATION_TIMEOUT = 60
END_TIMEOUT = 30                # the guest's report after the streams end
LOSS_GRACE = 5.0                # s after the switchover loss is allowed in
TCPI_BYTES_ACKED = 120          # offset in struct tcp_info


class DemoError(testbed.Error):
    """The demo could not run (not: the traffic broke)."""


tail = testbed.tail


def crc_record(header, payload):
    return struct.pack('<I', zlib.crc32(payload, zlib.crc32(header)))


class Peer:
    """The guest's counterpart on the bridge: the TCP stream's server and
    the UDP datagrams' other end, both ways, at flows' rates; records when
    everything was sent and arrived, and with sample, how much of its TCP
    stream the guest has acknowledged (TCP_INFO, every 10 ms)."""

    def __init__(self, guest_ip, sample=False):
        self.listener = socket.create_server((PEER, TCP_PORT))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((PEER, UDP_PORT))
        self.udp.settimeout(0.2)
        self.guest = (guest_ip, UDP_PORT)
        self.conn = None
        self.stop_udp = threading.Event()
        self.stop_tcp = threading.Event()
        self.stop_rx = threading.Event()
        # TCP, peer to guest: (time, bytes sent so far) per record
        self.tcp_tx = [(0.0, 0)]
        self.tcp_tx_crc = 0
        # TCP, guest to peer
        self.tcp_rx_bytes = 0
        self.tcp_rx_crc = 0
        self.tcp_rx_records = 0
        self.tcp_rx_bad = []
        self.tcp_rx_times = []          # (time, bytes so far) per recv
        self.tcp_eof = False
        self.error = None               # of any of its threads
        # UDP, peer to guest: send time of each sequence number
        self.udp_tx_times = []
        self.udp_tx_errors = 0
        # UDP, guest to peer
        self.udp_rx = {}                # sequence number: arrival time
        self.udp_rx_dup = 0
        self.udp_rx_corrupt = 0
        self.threads = []
        self.t0 = None
        self.sample = sample
        self.acked = []                 # (time, bytes)
        self.t_end = None               # when the peer stopped sending
        self.sampling = threading.Event()

    def accept(self, vm, timeout):
        """Waits for the guest's TCP connection, then starts the traffic."""
        end = time.monotonic() + timeout
        self.listener.settimeout(1)
        while self.conn is None:
            try:
                self.conn, _ = self.listener.accept()
            except socket.timeout:
                if not vm.is_running():
                    raise DemoError('the VM exited with %s before its '
                                    'traffic began:\n%s' %
                                    (vm.exitcode(), tail(vm.output())))
                if time.monotonic() > end:
                    raise DemoError('the guest did not connect within %ds:'
                                    '\n%s' % (timeout, tail(vm.output())))
        self.listener.close()
        self.conn.settimeout(None)
        self.t0 = time.monotonic()
        for fn in (self.tcp_send, self.tcp_recv, self.udp_send,
                   self.udp_recv):
            t = threading.Thread(target=self.guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)
        if self.sample:
            self.acked.append((self.t0, 0))
            threading.Thread(target=self.sample_acked, daemon=True).start()

    def sample_acked(self):
        while not self.sampling.wait(0.01):
            try:
                info = self.conn.getsockopt(socket.IPPROTO_TCP,
                                            socket.TCP_INFO, 256)
            except OSError:
                break
            if len(info) >= TCPI_BYTES_ACKED + 8:
                self.acked.append((time.monotonic(), struct.unpack_from(
                    '<Q', info, TCPI_BYTES_ACKED)[0]))

    def guard(self, fn):
        try:
            fn()
        except OSError as e:
            self.error = self.error or '%s: %s' % (fn.__name__, e)

    def tcp_send(self):
        seq, sent = 0, 0
        while not self.stop_tcp.is_set():
            due = (time.monotonic() - self.t0) * BPS
            if sent >= due:
                time.sleep(0.01)
                continue
            payload = random.randbytes(TCP_PAYLOAD)
            header = struct.pack('<IIQ', TCP_MAGIC, TCP_PAYLOAD, seq)
            record = header + payload + crc_record(header, payload)
            self.conn.sendall(record)
            self.tcp_tx_crc = zlib.crc32(record, self.tcp_tx_crc)
            seq += 1
            sent += len(record)
            self.tcp_tx.append((time.monotonic(), sent))
        self.conn.shutdown(socket.SHUT_WR)

    def tcp_recv(self):
        buf = b''
        while True:
            data = self.conn.recv(1 << 16)
            if not data:
                break
            self.tcp_rx_crc = zlib.crc32(data, self.tcp_rx_crc)
            self.tcp_rx_bytes += len(data)
            self.tcp_rx_times.append((time.monotonic(), self.tcp_rx_bytes))
            buf += data
            while len(buf) >= 16 and not self.tcp_rx_bad[3:]:
                magic, length, seq = struct.unpack_from('<IIQ', buf)
                if magic != TCP_MAGIC or length > 65536:
                    self.tcp_rx_bad.append('bad header at record %d' %
                                           self.tcp_rx_records)
                    buf = b''
                    break
                if len(buf) < 16 + length + 4:
                    break
                if seq != self.tcp_rx_records or \
                        crc_record(buf[:16], buf[16:16 + length]) != \
                        buf[16 + length:20 + length]:
                    self.tcp_rx_bad.append('record %d (expected %d)' %
                                           (seq, self.tcp_rx_records))
                self.tcp_rx_records = seq + 1
                buf = buf[20 + length:]
        self.tcp_eof = True
        self.conn.close()

    def udp_send(self):
        slots = 0
        while not self.stop_udp.is_set():
            due = int((time.monotonic() - self.t0) * PPS)
            if slots >= due:
                time.sleep(0.001)
                continue
            slots = max(slots, due - 50)  # after a stall, no burst
            for _ in range(slots, due):
                seq = len(self.udp_tx_times)
                body = struct.pack('<Q', seq) + random.randbytes(UDP_PAYLOAD)
                dgram = struct.pack('<II', UDP_MAGIC, zlib.crc32(body)) + body
                try:
                    self.udp.sendto(dgram, self.guest)
                    self.udp_tx_times.append(time.monotonic())
                except OSError:
                    self.udp_tx_errors += 1
            slots = due

    def udp_recv(self):
        while not self.stop_rx.is_set():
            try:
                d = self.udp.recv(2048)
            except socket.timeout:
                continue
            now = time.monotonic()
            if len(d) < 16 or struct.unpack_from('<I', d)[0] != UDP_MAGIC \
                    or struct.unpack_from('<I', d, 4)[0] != zlib.crc32(d[8:]):
                self.udp_rx_corrupt += 1
                continue
            seq = struct.unpack_from('<Q', d, 8)[0]
            if seq in self.udp_rx:
                self.udp_rx_dup += 1
            else:
                self.udp_rx[seq] = now

    def end_streams(self, timeout):
        """Stops sending, the UDP first; waits for the guest's stream to
        end (it ends it once ours has)."""
        self.t_end = time.monotonic()
        self.sampling.set()
        self.stop_udp.set()
        self.stop_tcp.set()
        for t in self.threads[:1] + self.threads[2:3]:
            t.join(timeout)
        self.threads[1].join(timeout)

    def samples(self):
        """The time series bench/migration.py measures (--samples)."""
        return {'t0': self.t0, 't-end': self.t_end, 'acked': self.acked,
                'tcp-rx': self.tcp_rx_times,
                'udp-rx': sorted(self.udp_rx.values()),
                'udp-tx': self.udp_tx_times}

    def close(self):
        self.sampling.set()
        self.stop_rx.set()
        self.stop_udp.set()
        self.stop_tcp.set()
        for t in self.threads:
            t.join(5)
        self.udp.close()
        if self.conn is None:
            self.listener.close()


class Sniffer:
    """What crosses the destination's tap device after the migration, from
    and to the guest, until the guest's first UDP datagram from there: the
    first frame of each kind, and every ARP frame."""

    PKT_OUTGOING = 4                    # sll_pkttype: to the guest

    def __init__(self, ifname, guest_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(0x0003))     # ETH_P_ALL
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.2)
        self.mac = bytes.fromhex(guest_mac.replace(':', ''))
        self.seen = []                  # (time, what)
        self.kinds = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            try:
                frame, addr = self.sock.recvfrom(1 << 16)
            except socket.timeout:
                continue
            except OSError:
                break
            now = time.monotonic()
            to_guest = addr[2] == self.PKT_OUTGOING
            if not to_guest and frame[6:12] != self.mac:
                continue
            kind = describe(frame)
            if kind.startswith('ARP') or (kind, to_guest) not in self.kinds:
                self.kinds.add((kind, to_guest))
                self.seen.append((now, '%s the guest on host B\'s tap: %s' %
                                  ('to' if to_guest else 'from', kind)))
            if not to_guest and kind.startswith('UDP'):
                break
        self.sock.close()

    def close(self):
        self.done.set()
        self.thread.join(5)


def describe(frame):
    """A frame's kind, in a few words."""
    ethertype = struct.unpack_from('!H', frame, 12)[0]
    if ethertype == 0x0806 and len(frame) >= 42:
        op = struct.unpack_from('!H', frame, 20)[0]
        if frame[28:32] == frame[38:42]:
            return 'ARP gratuitous %s' % socket.inet_ntoa(frame[28:32])
        return 'ARP %s %s %s' % (
            {1: 'who-has', 2: 'reply'}.get(op, op),
            socket.inet_ntoa(frame[38:42] if op == 1 else frame[28:32]),
            'from ' + socket.inet_ntoa(frame[28:32]) if op == 1 else
            'is-at ' + frame[22:28].hex(':'))
    if ethertype == 0x0800 and len(frame) >= 24:
        return {6: 'TCP', 17: 'UDP', 1: 'ICMP'}.get(frame[23], 'IPv4')
    if ethertype == 0x86dd:
        return 'IPv6'
    if ethertype == 0x8035:
        return 'RARP (self-announce)'
    return 'ethertype 0x%04x' % ethertype


def gaps_of(seqs, end):
    """Ranges (first, count) of the numbers below end missing from the
    sorted seqs."""
    gaps, expect = [], 0
    for s in seqs + [end]:
        if s > expect:
            gaps.append((expect, s - expect))
        expect = max(expect, s + 1)
    return gaps


def udp_up(peer, res, t_mig):
    """UDP, guest to peer: what the peer saw arrive, against what the
    guest's report res says it sent (udp-tx); without it what was sent
    and lost are unknown (None), not zero.  Returns (figures, the
    sequence numbers that arrived, sorted, and their arrival times)."""
    sent = int(res['udp-tx']) if res.get('udp-tx', '').isdigit() else None
    seqs = sorted(peer.udp_rx)
    arrivals = [peer.udp_rx[s] for s in seqs]
    up = {'sent': sent, 'received': len(seqs),
          'lost': None if sent is None else
          sent - len([s for s in seqs if s < sent]),
          'dup': peer.udp_rx_dup, 'corrupt': peer.udp_rx_corrupt,
          'outage': longest_gap(sorted(arrivals), t_mig)[0]}
    # each run of lost datagrams, as a time span between its neighbours
    up['loss-spans'] = []
    for first, count in gaps_of(seqs, seqs[-1] + 1 if sent is None and
                                seqs else sent or 0):
        i = bisect.bisect_left(seqs, first)
        before = arrivals[i - 1] if i else peer.t0
        after = arrivals[i] if i < len(seqs) else time.monotonic()
        up['loss-spans'].append((before, after, count))
    return up, seqs, arrivals


def udp_down(res, times):
    """UDP, peer to guest, from the guest's report res (keys udp-rx...)
    and the peer's send times: (figures, the runs the guest lacked
    (first, count), the highest sequence number it saw).  Without the
    report the figures are None, unknown, not zero."""
    down = {'sent': len(times), 'loss-spans': []}
    keys = ('udp-rx', 'udp-rx-dup', 'udp-rx-corrupt', 'udp-rx-gaps',
            'udp-rx-max-seq')
    try:
        down.update(received=int(res['udp-rx']), dup=int(res['udp-rx-dup']),
                    corrupt=int(res['udp-rx-corrupt']))
        gaps = res['udp-rx-gaps'].split()
        spans = [] if gaps[1:] == ['-'] else \
            [tuple(map(int, g.split('+'))) for g in gaps[1].split(',')]
        last = int(res['udp-rx-max-seq'])
    except (KeyError, ValueError, IndexError):
        down.update(dict.fromkeys(('received', 'dup', 'corrupt', 'lost',
                                   'outage')), missing=[k for k in keys
                                                        if k not in res])
        return down, [], None
    down['lost'] = down['sent'] - down['received']
    if last + 1 < len(times):
        spans.append((last + 1, len(times) - last - 1))
    for first, count in spans:
        if first < len(times):
            down['loss-spans'].append(
                (times[first], times[min(first + count, len(times)) - 1],
                 count))
    # the longest run of lost datagrams, as time at the sender
    down['outage'] = max([b - a + 1.0 / PPS
                          for a, b, c in down['loss-spans'] if c] or [0])
    return down, spans, last


# how reset_guest() and reset_device() begin a reason that is missing
# evidence, not evidence of a reset
NO_EVIDENCE = ('the guest did not report', 'the guest reported no',
               'no x-query-vfio-i40evf')


def counts(query):
    """What of an x-query-vfio-i40evf answer tells of a VF reset: the
    first device's vf-resets, and its requests failed and unanswered
    summed over the opcodes; None without an answer."""
    try:
        dev = query[0]
        return {'vf-resets': dev['vf-resets'],
                'failed': sum(m['failed'] for m in dev['messages']),
                'unanswered': sum(m['unanswered'] for m in dev['messages'])}
    except (TypeError, KeyError, IndexError):
        return None


def reset_guest(res, console):
    """Why the guest's driver may have reset its NIC, from the guest: an
    empty list only if the evidence shows it did not.  res: the guest's
    report, which must be there (DEMO done) with its link's
    carrier_changes at the start of the traffic and at its end (a reset
    of iavf takes the carrier down and up); console: what the VMs
    printed, free of testbed.KERNEL_TROUBLE (the guest prints those
    lines of its kernel log, which quiet keeps off the console).
    Missing evidence is a reason too."""
    why = []
    if 'done' not in res:
        why.append('the guest did not report (no "DEMO done")')
    else:
        a, b = res.get('carrier-changes-start'), res.get('carrier-changes-end')
        if not (a or '').isdigit() or not (b or '').isdigit():
            why.append('the guest reported no carrier_changes')
        elif a != b:
            why.append('its link went down and up (carrier_changes %s at the '
                       'start, %s at the end)' % (a, b))
    why += ['its kernel: %s' % line
            for line in testbed.kernel_trouble(console)[:5]]
    return why


def reset_device(pairs):
    """The same from the device: pairs of its counts() (side, before,
    after the switchover), which must be there, with vf-resets unchanged
    and no request failed or unanswered."""
    why = []
    for side, before, after in pairs:
        if before is None or after is None:
            why.append('no x-query-vfio-i40evf of the %s %s the switchover'
                       % (side, 'before' if before is None else 'after'))
            continue
        if after['vf-resets'] != before['vf-resets']:
            why.append('the %s\'s VF was reset (vf-resets %d, then %d)' %
                       (side, before['vf-resets'], after['vf-resets']))
        if after['failed'] or after['unanswered']:
            why.append('on the %s %d request(s) failed, %d unanswered' %
                       (side, after['failed'], after['unanswered']))
    return why


def handover_problem(query):
    """On the destination, every queue pair the guest enabled is either
    handed back to the guest's rings (handovers) or still relayed
    (relay), never both, never neither; None if so, else why not."""
    try:
        dev = query[0]
        enabled = [i for i, q in enumerate(dev['shadow']['queues'])
                   if q['rx-enabled'] and q['tx-enabled']]
        relayed = [q['queue'] for q in dev['relay']]
        handovers = dev['handovers']
    except (TypeError, KeyError, IndexError):
        return 'no x-query-vfio-i40evf of the destination: the relay ' \
            'rings unknown'
    if not enabled or set(relayed) - set(enabled) or \
            handovers + len(relayed) != len(enabled):
        return 'relay rings on the destination: %d of %d enabled queue ' \
            'pair(s) handed back, %s still relayed' % (
                handovers, len(enabled), relayed or 'none')
    return None


class Scenario:
    """One VM migrated from host A to host B under traffic."""

    peer_class = Peer           # a subclass may record more (bench/)

    def __init__(self, args, name, logdir):
        self.args = args
        self.name = name
        self.logdir = logdir
        self.ip, self.mac = SCENARIOS[name]
        self.procs = []
        self.r = {'name': name, 'problems': []}

    def qemu(self):
        return self.args.qemu

    def tap(self, suffix):
        name = '%s-%s' % (self.name, suffix)
        for cmd in (['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap'],
                    ['ip', 'link', 'set', name, 'master', BRIDGE],
                    ['ip', 'link', 'set', name, 'up']):
            run(cmd)
        return 'tap,ifname=%s,script=no,downscript=no' % name

    def server(self, host, vsi):
        """Host's x-remote QEMU serving its VF; returns its socket."""
        sock = os.path.join(self.logdir, 'vf-%s.sock' % host)
        self.procs.append(testbed.vf_server(
            self.qemu(), '%s-server-%s' % (self.name, host), self.logdir,
            sock, netdev=self.tap(host), mac=VF_MAC, vsi=vsi))
        return sock

    def vm(self, host, nic_args, incoming):
        """The VM on host, launched, its QMP connected (qemu.machine)."""
        append = ('console=ttyS0 quiet panic=-1 demo.ip=%s demo.host=%s '
                  'demo.tcp=%d demo.udp=%d demo.pps=%d demo.bps=%d '
                  'demo.limit=%d' % (self.ip, PEER, TCP_PORT, UDP_PORT, PPS,
                                     BPS, BOOT_TIMEOUT + 120))
        cmd = ['-machine', 'q35,memory-backend=mem',
               '-accel', 'tcg', '-m', str(MEM), '-smp', str(self.args.smp),
               '-object', 'memory-backend-memfd,id=mem,size=%dM,share=on' %
               MEM, '-nodefaults', '-no-user-config', '-display', 'none',
               '-serial', 'stdio', '-no-reboot',
               '-kernel', os.path.join(self.args.guest, 'vmlinuz'),
               '-initrd', os.path.join(self.args.guest, 'initrd'),
               '-append', append] + nic_args
        if incoming:
            cmd += ['-incoming', 'defer']
        vm = testbed.machine(self.qemu(), cmd, '%s-vm-%s' % (self.name, host),
                             self.logdir)
        self.procs.append(vm)
        return vm

    def nic(self, host):
        if self.name == 'vf':
            dev = {'driver': 'vfio-user-i40evf', 'id': 'vf0',
                   'socket': {'type': 'unix',
                              'path': self.server(host, VSI_A if host == 'a'
                                                  else VSI_B)}}
            return ['-device', json.dumps(dev)]
        return ['-netdev', self.tap(host) + ',id=n0', '-device',
                'virtio-net-pci,netdev=n0,id=nic0,mac=%s,romfile=' %
                self.mac]

    def run(self):
        r = self.r
        self.peer = peer = self.peer_class(self.ip, self.args.samples)
        sniffer = None
        try:
            vm_a = self.vm('a', self.nic('a'), False)
            vm_b = self.vm('b', self.nic('b'), True)
            peer.accept(vm_a, BOOT_TIMEOUT)
            time.sleep(self.args.before)
            if self.name == 'vf':
                r['query-a'] = vm_a.cmd('x-query-vfio-i40evf')
                # the destination's device before anything reached it
                r['query-b-before'] = vm_b.cmd('x-query-vfio-i40evf')
            sniffer = Sniffer('%s-b' % self.name, self.mac)
            self.migrate(vm_a, vm_b)
            print('demo: %s VM: migration %s after %.1f s' %
                  (self.name, r['status'], r['t-complete'] - r['t-migrate']),
                  flush=True)
            # on the destination, or, if the migration failed, the source
            time.sleep(self.args.after)
            if self.name == 'vf':
                r['query-a-after'] = vm_a.cmd('x-query-vfio-i40evf')
            if r['status'] == 'completed':
                r['running-b'] = vm_b.cmd('query-status')['status']
                if self.name == 'vf':
                    r['query-b'] = vm_b.cmd('x-query-vfio-i40evf')
            else:
                r['running-a'] = vm_a.cmd('query-status')['status']
                r['errors-b'] = [line for line in vm_b.output().splitlines()
                                 if line.startswith('qemu-system')]
            peer.end_streams(END_TIMEOUT)
            sniffer.close()
            r['sniffed'] = sniffer.seen
            guest = vm_b if r['status'] == 'completed' else vm_a
            end = time.monotonic() + END_TIMEOUT
            while 'DEMO done' not in guest.output() and \
                    guest.is_running() and time.monotonic() < end:
                time.sleep(0.1)
            time.sleep(0.3)             # late datagrams
            peer.close()
            self.stop_vms(vm_a, vm_b)
            self.analyse(peer)
            if self.args.samples:
                r['samples'] = peer.samples()
        finally:
            peer.close()
            if sniffer:
                sniffer.close()
            for p in self.procs:
                p.stop()

    def stop_vms(self, vm_a, vm_b):
        """Both VMs quit; their consoles, and the device's queries in
        LOGDIR/NAME-qmp.log."""
        r = self.r
        for vm in (vm_a, vm_b):
            try:
                vm.cmd('quit')
            except testbed.Error:
                pass
            vm.stop()
        r['console'] = vm_a.output() + vm_b.output()
        with open(os.path.join(self.logdir, '%s-qmp.log' % self.name),
                  'w') as f:
            json.dump({k: r.get(k) for k in ('query-a', 'query-a-after',
                                             'query-b-before', 'query-b',
                                             'migration')}, f, indent=1)

    def migrate(self, vm_a, vm_b):
        r = self.r
        if self.args.downtime_limit is not None:
            vm_a.cmd('migrate-set-parameters',
                     {'downtime-limit': self.args.downtime_limit})
        uri = 'tcp:127.0.0.1:%d' % MIGRATION_PORT
        caps = [{'capability': c, 'state': True}
                for c in ('return-path', 'switchover-ack')]
        for q in (vm_a, vm_b):
            q.cmd('migrate-set-capabilities', {'capabilities': caps})
        vm_b.cmd('migrate-incoming', {'uri': uri})
        r['t-migrate'] = time.monotonic()
        vm_a.cmd('migrate', {'uri': uri})
        end = time.monotonic() + MIGRATION_TIMEOUT
        while True:
            info = vm_a.cmd('query-migrate')
            if info.get('status') in ('completed', 'failed', 'cancelled'):
                break
            if time.monotonic() > end:
                vm_a.cmd('migrate_cancel')
                info = {'status': 'timed out after %ds' % MIGRATION_TIMEOUT}
                break
            time.sleep(0.02)
        r['t-complete'] = time.monotonic()
        r['status'] = info.get('status')
        r['migration'] = info
        # QMP's timestamps are wall-clock time; the demo's are monotonic
        r['clock'] = time.time() - time.monotonic()
        # the events seen until the end: the lists grow with every command
        r['events-a'] = vm_a.events
        r['events-b'] = vm_b.events
        if r['status'] != 'completed':
            r['problems'].append('the migration %s%s' %
                                 (r['status'], ' (source: %s)' %
                                  info['error-desc']
                                  if 'error-desc' in info else ''))

    def device_pairs(self):
        """The VF's device, as x-query-vfio-i40evf counted (counts())
        before and after the switchover: (side, before, after) on the
        source, and on the destination if the migration completed."""
        r = self.r
        if self.name != 'vf':
            return []
        pairs = [('source', counts(r.get('query-a')),
                  counts(r.get('query-a-after')))]
        if r['status'] == 'completed':
            pairs.append(('destination', counts(r.get('query-b-before')),
                          counts(r.get('query-b'))))
        return pairs

    def analyse(self, peer):
        r = self.r
        problems = r['problems']
        res = {}
        kernel = []
        for m in re.finditer(r'^DEMO (\S+) ?(.*)$', r['console'],
                             re.MULTILINE):
            if m.group(1) == 'kernel':
                kernel.append(m.group(2))
            else:
                res[m.group(1)] = m.group(2)
        r['guest'] = res
        r['kernel'] = kernel
        t_mig = r['t-migrate']
        if 'done' not in res:
            problems.append('the guest did not report (no "DEMO done")')

        self.tcp_verdict(peer, res)

        # UDP, guest to peer: the peer saw every datagram arrive.  Without
        # the guest's report what it sent, and what it received, are
        # unknown (None), not zero.
        reported = 'done' in res
        up, seqs, arrivals = udp_up(peer, res if reported else {}, t_mig)
        # UDP, peer to guest: the guest counted, and listed what it lacked
        times = peer.udp_tx_times
        down, spans, last = udp_down(res if reported else {}, times)
        r['udp-up'], r['udp-down'] = up, down
        self.udp_verdicts(up, down)
        self.after(peer, res, arrivals, times, last)
        self.reset_verdicts(res)
        self.timeline(peer, kernel, arrivals, spans)

    def reset_verdicts(self, res):
        """A driver reset, from the guest's evidence and the device's
        (reset_guest(), reset_device()); on the VF VM's destination, the
        queue pairs handed back or relayed (handover_problem())."""
        r = self.r
        problems = r['problems']
        pairs = self.device_pairs()
        r['counts'] = {side: {'before': a, 'after': b}
                       for side, a, b in pairs}
        r['reset-guest'] = reset_guest(res, r['console'])
        r['reset-device'] = reset_device(pairs)
        r['resets'] = r['reset-guest'] + r['reset-device']
        if r['resets']:
            r['reset-problem'] = 'the guest\'s driver reset its NIC, or ' \
                'nothing shows it did not: %s' % '; '.join(r['resets'])
            problems.append(r['reset-problem'])
        if self.name == 'vf' and r['status'] == 'completed':
            why = handover_problem(r.get('query-b'))
            r['handover'] = why or 'ok'
            if why:
                problems.append(why)

    def tcp_verdict(self, peer, res):
        """TCP: both streams whole, equal at both ends, nothing after the
        connection's end missing."""
        r = self.r
        tx_bytes = peer.tcp_tx[-1][1]
        intact = (res.get('tcp-end') == 'eof' and peer.tcp_eof and
                  not peer.error and not peer.tcp_rx_bad and
                  res.get('tcp-rx-bad') == '0' and
                  res.get('tcp-rx-bytes') == str(tx_bytes) and
                  res.get('tcp-rx-crc') == '%08x' % peer.tcp_tx_crc and
                  res.get('tcp-tx-bytes') == str(peer.tcp_rx_bytes) and
                  res.get('tcp-tx-crc') == '%08x' % peer.tcp_rx_crc)
        r['tcp'] = {'intact': intact, 'to-guest': tx_bytes,
                    'from-guest': peer.tcp_rx_bytes,
                    'stall': longest_gap([t for t, _ in peer.tcp_rx_times],
                                         r['t-migrate'])[0]}
        if not intact:
            r['problems'].append(
                'the TCP stream did not survive: guest says end=%s, '
                'received %s bytes crc %s (peer sent %d crc %08x), %s bad '
                'records; peer: eof=%s error=%s, received %d bytes crc %08x '
                '(guest sent %s crc %s), bad records %s' %
                (res.get('tcp-end'), res.get('tcp-rx-bytes'),
                 res.get('tcp-rx-crc'), tx_bytes, peer.tcp_tx_crc,
                 res.get('tcp-rx-bad'), peer.tcp_eof, peer.error,
                 peer.tcp_rx_bytes, peer.tcp_rx_crc, res.get('tcp-tx-bytes'),
                 res.get('tcp-tx-crc'), peer.tcp_rx_bad[:3]))

    def udp_verdicts(self, up, down):
        """Duplicates, corruption and loss outside the migration, each
        way; a way whose figures are unknown is a problem too."""
        r = self.r
        problems = r['problems']
        window = (r['t-migrate'] - 0.5, r['t-complete'] + LOSS_GRACE)
        for way, u in (('guest to peer', up), ('peer to guest', down)):
            unknown = [k for k in ('sent', 'received', 'lost', 'dup',
                                   'corrupt') if u[k] is None]
            if unknown:
                problems.append('UDP %s: no evidence of %s (the guest did '
                                'not report)' % (way, ', '.join(unknown)))
            if u['dup'] or u['corrupt']:
                problems.append('UDP %s: %d duplicated, %d corrupted' %
                                (way, u['dup'], u['corrupt']))
            outside = [(a, c) for a, b, c in u['loss-spans']
                       if b < window[0] or a > window[1]]
            if outside:
                problems.append('UDP %s: %d datagrams lost outside the '
                                'migration (sent at %s s after migrate)' %
                                (way, sum(c for a, c in outside),
                                 ', '.join('%+.3f' % (a - r['t-migrate'])
                                           for a, c in outside)))

    def after(self, peer, res, arrivals, times, last):
        """Traffic after the migration (or its failure), each way, on each
        protocol."""
        r = self.r
        problems = r['problems']
        t_done = r['t-complete']
        after = []
        vm = 'running-b' if r['status'] == 'completed' else 'running-a'
        if r.get(vm) != 'running':
            after.append('no VM runs')
            problems.append('the %s VM is %s' % (
                'destination' if vm == 'running-b' else 'source', r.get(vm)))
        else:
            if not any(t > t_done for t in arrivals):
                after.append('UDP guest to peer')
            first_after = bisect.bisect_right(times, t_done)
            if last is None or last < first_after:
                after.append('UDP peer to guest')
            if not any(t > t_done for t, _ in peer.tcp_rx_times):
                after.append('TCP guest to peer')
            sent_by_then = [b for t, b in peer.tcp_tx if t <= t_done][-1]
            if int(res.get('tcp-rx-bytes', 0)) <= sent_by_then:
                after.append('TCP peer to guest')
            if after:
                problems.append('no traffic after the migration: %s' %
                                ', '.join(after))
        r['traffic-after'] = not after

    def timeline(self, peer, kernel, arrivals, spans):
        """What happened when, in seconds after 'migrate': QMP's events,
        the guest kernel's log, the UDP streams' outages."""
        r = self.r
        t_mig = r['t-migrate']

        def at(event):
            ts = event['timestamp']
            return ts['seconds'] + ts['microseconds'] / 1e6 - r['clock']

        tl = [(t_mig, "QMP 'migrate' on the source")]
        stop = [at(e) for e in r['events-a'] if e['event'] == 'STOP' and
                at(e) > t_mig - 0.1]
        resume = [at(e) for e in r['events-b'] if e['event'] == 'RESUME']
        if stop:
            tl.append((stop[0], 'the source VM stops (event STOP)'))
        if resume:
            tl.append((resume[0], 'the destination VM runs (event RESUME)'))
        tl += [(at(e), 'queue %d back on the guest\'s rings (event '
                'VFIO_I40EVF_HANDOVER)' % e['data']['queue'])
               for e in r['events-b'] if e['event'] == 'VFIO_I40EVF_HANDOVER']
        tl.append((r['t-complete'], "query-migrate says '%s'" % r['status']))
        # The guest's clock, known from the moment flows connected, stood
        # still while the VM did
        log = [(float(m.group(1)), m.group(2)) for m in
               (re.match(r'^\[ *([0-9.]+)\] (.*)$', k) for k in kernel) if m]
        k0 = [k for k, text in log if text == 'demo: connected']
        if k0:
            k_stop = k0[0] + ((stop[0] if stop else t_mig) - peer.t0)
            for k, text in log:
                if text.startswith('demo:'):
                    continue
                if k < k_stop or not resume:
                    t = peer.t0 + k - k0[0]
                else:
                    t = resume[0] + k - k_stop
                tl.append((t, 'guest: ' + text))
        gap = longest_gap(sorted(arrivals), t_mig)
        if gap[0]:
            tl.append((gap[1], 'UDP from the guest: last before the outage'))
            tl.append((gap[2], 'UDP from the guest: first after it '
                       '(%s ms without)' % ms(gap[0])))
        times = peer.udp_tx_times
        if spans:
            first, count = max(spans, key=lambda g: g[1])
            if first and first + count < len(times):
                tl.append((times[first - 1], 'UDP to the guest: last '
                           'received before the outage (sent at)'))
                tl.append((times[first + count], 'UDP to the guest: first '
                           'received after it (sent at; %d lost)' % count))
        tl += r['sniffed']
        r['timeline'] = sorted((t - t_mig, what) for t, what in tl)


longest_gap = testbed.longest_gap


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def ms(seconds):
    return '%.0f' % (seconds * 1000)


NAMES = {'vf': 'VF VM (vfio-user-i40evf)', 'plain': 'plain VM (virtio-net)'}


def report(results, elapsed):
    """Prints the table and what broke; returns the exit status."""
    vf = results.get('vf', {})
    cols = [results[n] for n in ('vf', 'plain') if n in results]
    names = NAMES
    print_table(cols)
    for r in cols:
        if r.get('timeline'):
            print('\n%s, seconds after migrate:' % names[r['name']])
            for t, what in r['timeline']:
                print('  %7.3f  %s' % (t, what))
    print_queries(vf)
    problems = [(r['name'], p) for r in cols for p in r['problems']]
    print()
    for name, p in problems:
        print('%s: %s' % (names[name], p))
    for r in cols:
        for line in r.get('errors-b', []):
            print('%s, destination: %s' % (names[r['name']], line))
    failed = any(r['status'] != 'completed' for r in cols)
    verdict = 'traffic intact' if not problems else \
        'MIGRATION FAILED' if failed else 'TRAFFIC BROKE'
    print('demo: %s (%.0f s)' % (verdict, elapsed))
    return 1 if problems else 0, verdict


def print_table(cols):
    """The table, a column per VM; each VM's rows also go to its
    results' 'table'."""
    names = NAMES
    rows = []

    def row(label, fn):
        vals = []
        for r in cols:
            try:
                vals.append(fn(r))
            except (KeyError, TypeError, ValueError, IndexError):
                vals.append('-')
        rows.append((label, vals))

    def udp(way):
        return lambda r: '%d / %d / %d / %d / %d' % (
            r[way]['sent'], r[way]['received'], r[way]['lost'],
            r[way]['dup'], r[way]['corrupt'])

    row('migration', lambda r: r['status'])
    row('downtime (query-migrate)', lambda r: '%d ms' %
        r['migration']['downtime'])
    row('total time (query-migrate)', lambda r: '%d ms' %
        r['migration']['total-time'])
    row('transferred (query-migrate)', lambda r: '%.1f MiB' %
        (r['migration']['ram']['transferred'] / 2**20))
    row('UDP guest->peer sent/recv/lost/dup/bad', udp('udp-up'))
    row('UDP peer->guest sent/recv/lost/dup/bad', udp('udp-down'))
    row('longest UDP outage guest->peer', lambda r: '%s ms' %
        ms(r['udp-up']['outage']))
    row('longest UDP outage peer->guest', lambda r: '%s ms' %
        ms(r['udp-down']['outage']))
    row('TCP stream intact (CRC-32, both ways)', lambda r: '%s (%.1f + %.1f '
        'MiB)' % ('yes' if r['tcp']['intact'] else 'NO',
                  r['tcp']['to-guest'] / 2**20,
                  r['tcp']['from-guest'] / 2**20))
    row('longest TCP stall guest->peer', lambda r: '%s ms' %
        ms(r['tcp']['stall']))
    row('traffic after the migration', lambda r: 'NO'
        if not r['traffic-after'] else 'yes' if r['status'] == 'completed'
        else 'yes, on the source')
    row('guest driver reset', lambda r: 'no' if not r['resets'] else
        '%s (%d reason%s below)' % (
            'unknown' if all(w.startswith(NO_EVIDENCE) for w in r['resets'])
            else 'YES', len(r['resets']), 's' if r['resets'][1:] else ''))
    row('queue pairs handed back or relayed', lambda r: r['handover']
        if r['name'] == 'vf' else 'n/a')
    for i, r in enumerate(cols):
        r['table'] = {label: vals[i] for label, vals in rows}
    w = max(len(label) for label, _ in rows)
    cw = [max(len(names[r['name']]), *(len(v[i]) for _, v in rows))
          for i, r in enumerate(cols)]
    print()
    for label, vals in [('', [names[r['name']] for r in cols])] + rows:
        print(('%-*s  %s' % (w, label, '  '.join(
            '%-*s' % (c, v) for c, v in zip(cw, vals)))).rstrip())


def print_queries(vf):
    """x-query-vfio-i40evf of the VF VM's device, on both sides."""
    queries = [(side, vf[key][0]) for side, key in
               (('source (host A), before', 'query-a'),
                ('destination (host B), after', 'query-b'))
               if vf.get(key)]
    if queries:
        print('\nx-query-vfio-i40evf, the VF VM\'s device:')
    for side, dev in queries:
        s = dev['shadow']
        queues = s['queues']
        print('  %s: mailbox %s, vsi-id %d, %d of %d queue pairs enabled, '
              'MAC %s (%d filters), VF resets seen %d, PF events %d, guest '
              'requests %d (refused %d, failed %d, unanswered %d), '
              'data-path accesses trapped %d' %
              (side, dev['mailbox'], s['vsi-id'],
               sum(q['rx-enabled'] and q['tx-enabled'] for q in queues),
               s['num-queue-pairs'], s['default-mac'], len(s['macs']),
               dev['vf-resets'], dev['events'],
               *(sum(m[k] for m in dev['messages'])
                 for k in ('requests', 'refused', 'failed', 'unanswered')),
               dev['trapped']['passthrough']))
    share = [(side, vf[key][0]['device-downtime-us']) for side, key in
             (('source (stopping its queues)', 'query-a-after'),
              ('destination (loading its state, starting the queues)',
               'query-b'))
             if vf.get(key) and 'device-downtime-us' in vf[key][0]]
    if share:
        print("  the device's share of the downtime: %s" % ', '.join(
            '%.1f ms on the %s' % (us / 1000, side) for side, us in share))
    if len(queries) == 2:
        def rings(dev):
            return [(q['rx-ring'], q['tx-ring'])
                    for q in dev['shadow']['queues']]
        print('  rings on the destination: %s' %
              ('at the addresses the guest used on the source' if
               rings(queries[0][1]) == rings(queries[1][1]) else
               'new ones the guest allocated (it rebuilt its queues)'))
        dst = queries[1][1]
        print('  relay rings on the destination: %d queue pair(s) handed '
              'back to the guest\'s rings%s' %
              (dst['handovers'], ''.join(
                  ', queue %d still relayed (TX at %d of tail %d, RX at %d '
                  'of tail %d)' % (q['queue'], q['tx-next'], q['tx-tail'],
                                   q['rx-next'], q['rx-tail'])
                  for q in dst['relay'])))


def main():
    ap = testbed.parser(__doc__, raw=True)
    testbed.migration_options(ap)
    ap.add_argument('--smp', type=int, default=2, help='guest vCPUs')
    ap.add_argument('--only', choices=sorted(SCENARIOS),
                    help='migrate only this VM')
    ap.add_argument('--json', metavar='FILE',
                    help='also write the results to FILE, as JSON')
    ap.add_argument('--bps', type=int, default=BPS,
                    help='TCP stream bytes a second, each way')
    ap.add_argument('--pps', type=int, default=PPS,
                    help='UDP datagrams a second, each way')
    ap.add_argument('--downtime-limit', type=int, metavar='MS',
                    help="migrate-set-parameters downtime-limit (default "
                    "QEMU's, 300 ms)")
    # bench/migration.py: the peer's time series in the JSON, a guest of
    # its own that the demo leaves in place
    ap.add_argument('--samples', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--keep-guest', action='store_true',
                    help=argparse.SUPPRESS)
    args = testbed.parse(ap, 'demo')
    if args.json:
        args.json = os.path.abspath(args.json)
    if not testbed.inside():
        testbed.needs_root('demo', 'network namespace, tap devices')
        if args.guest:
            args.keep_guest = True
        else:
            # The kernel comes from the archive: before the network is
            # left.
            args.guest = tempfile.mkdtemp(prefix='i40evf-demo-guest-')
            args.kver = testbed.build_demo_guest(args.kernel, args.guest)
    testbed.enter(['--guest', args.guest, '--kver', args.kver] +
                  (['--keep-guest'] if args.keep_guest else []))
    # killed: the same clean-up as at the end
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # sockets and logs; the logs are copied to --logs at the end
    rundir = tempfile.mkdtemp(prefix='i40evf-demo-')
    try:
        return demo(args, rundir)
    finally:
        if args.logs:
            os.makedirs(args.logs, exist_ok=True)
            for f in os.listdir(rundir):
                if f.endswith('.log'):
                    shutil.copy(os.path.join(rundir, f), args.logs)
        if not args.keep_guest:
            shutil.rmtree(args.guest, ignore_errors=True)
        shutil.rmtree(rundir, ignore_errors=True)


def add_bridge():
    """The bridge of both hosts' taps, with the peer's address."""
    run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'])
    run(['ip', 'addr', 'add', PEER + '/24', 'dev', BRIDGE])
    run(['ip', 'link', 'set', BRIDGE, 'up'])


def demo(args, logdir):
    global BPS, PPS
    start = time.monotonic()
    BPS, PPS = args.bps, args.pps
    add_bridge()
    print('demo: guest linux %s, TCG, %d vCPUs, %d MiB; traffic each way: '
          'TCP %d KiB/s, UDP %d datagrams/s; %g s before the migration, '
          '%g s after' % (args.kver, args.smp, MEM, BPS >> 10, PPS,
                          args.before, args.after))
    results = {}
    for name in ('vf', 'plain'):
        if args.only and name != args.only:
            continue
        print('demo: %s VM: boot on host A, traffic, migrate to host B' %
              name, flush=True)
        sc = Scenario(args, name, logdir)
        try:
            sc.run()
        except (testbed.Error, OSError, subprocess.CalledProcessError) as e:
            print('demo: %s VM: %s' % (name, e))
            if args.logs:
                print('demo: logs in %s' % args.logs)
            write_json(args.json, results, 2, 'could not run',
                       time.monotonic() - start, '%s VM: %s' % (name, e),
                       args)
            return 2
        results[name] = sc.r
    elapsed = time.monotonic() - start
    code, verdict = report(results, elapsed)
    write_json(args.json, results, code, verdict, elapsed, None, args)
    if args.logs:
        print('demo: logs in %s' % args.logs)
    return code


def write_json(path, results, code, verdict, elapsed, error, args):
    """--json: what report() printed, as data.  vms: per VM, the results
    the table is made of (status, migration, udp-up, udp-down, tcp,
    traffic-after, resets, problems, timeline, queries, ...), and 'table',
    the table's rows as printed (with --samples also the peer's time
    series, 'samples'); exit: the demo's exit status; verdict: its last
    line's words; error: why it could not run; settings: the run's."""
    if not path:
        return
    vms = {n: {k: v for k, v in r.items() if k != 'console'}
           for n, r in results.items()}
    settings = {'kver': args.kver, 'smp': args.smp, 'mem': MEM, 'bps': BPS,
                'pps': PPS, 'udp-payload': UDP_PAYLOAD,
                'before': args.before, 'after': args.after,
                'downtime-limit': args.downtime_limit}
    with open(path, 'w') as f:
        json.dump({'exit': code, 'verdict': verdict, 'error': error,
                   'elapsed': elapsed, 'settings': settings, 'vms': vms}, f,
                  indent=1)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
