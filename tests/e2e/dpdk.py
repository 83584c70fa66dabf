#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end test: DPDK's iavf poll-mode driver on an emulated i40e-vf,
in a TCG guest.

The guest (build-guest.sh, dpdk-init.sh) is a Debian 6.12 kernel with
vfio-pci behind QEMU's intel-iommu (Debian's kernels have no no-IOMMU
mode) and Debian's dpdk-testpmd with the iavf PMD.  testpmd runs 2 RX
queues and 1 TX queue: iavf configures the unused TX half of queue pair 1
with ring length 0.  DPDK takes the X710 path: the PF grants RX_POLLING
and not WB_ON_ITR, so iavf maps its RX queues to vector 0 (and the PF
stops auto-masking vector 0, which the qtests check).  Traffic both ways
over a tap in the test's own network namespace
(tests/pylib/testbed.py): testpmd's first burst and its answers reach
the host, and frames the host sends to the VF's address (an ethertype
RSS does not hash, so RX queue 0) are counted by testpmd and sent back
with the VF's address as source.  QEMU's trace of
the PF agent shows what was granted and mapped.  Prints TAP.
"""

import argparse
import glob
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
import testbed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TAP = 'i40evf-dpdk0'
TAP_ADDR = '192.168.77.1/24'
VF_MAC = '02:00:00:77:00:02'
ETH_TYPE = 0x88b5           # local experimental: no RSS hash, RX queue 0
FRAMES = 64                 # frames the host sends to the VF
PMDS = ('bus_pci', 'mempool_ring', 'net_iavf')
CAP_WB_ON_ITR = 1 << 5
CAP_RX_POLLING = 1 << 17
# the requests iavf makes at least: VERSION, GET_VF_RESOURCES,
# CONFIG_VSI_QUEUES, CONFIG_IRQ_MAP, ENABLE_QUEUES, DISABLE_QUEUES
MIN_REPLIES = 6
TRACE_EVENTS = ('i40e_vf_pf_resources', 'i40e_vf_pf_irq_map',
                'i40e_vf_pf_config_queue', 'i40e_vf_pf_queues',
                'i40e_vf_pf_reply')


def pmd_files():
    """The PMD plugins testpmd needs, in Debian's plugin directory: the
    path testpmd's RUNPATH finds the PMDs it links to at (ldd's, which
    build-guest.sh copies), so that each is loaded only once."""
    files = []
    for name in PMDS:
        found = glob.glob('/usr/lib/*/dpdk/pmds-*/librte_%s.so.*' % name)
        if not found:
            return None
        files.append(min(found, key=len))    # the soname
    return files


def build_guest(out):
    testpmd = shutil.which('dpdk-testpmd')
    pmds = pmd_files()
    if not testpmd or not pmds:
        return 'dpdk-testpmd or the iavf PMD is not installed (dpdk-dev, ' \
               'librte-net-iavf23)'
    kver, log = testbed.build_guest(
        '6.12', os.path.join(HERE, 'dpdk-init.sh'), out,
        ('vfio-pci', 'vfio_iommu_type1'), bins=(testpmd,), files=pmds)
    if not kver:
        return log
    with open(os.path.join(out, 'pmds'), 'w') as f:
        f.write(','.join(pmds))
    return None


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


class Wire:
    """A packet socket on the tap: sends frames to the VF, counts what the
    VF sends."""

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(0x0003))   # ETH_P_ALL
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.2)
        self.mac = ':'.join('%02x' % b for b in self.sock.getsockname()[4])
        self.from_vf = {'ipv4': 0, 'echo': 0, 'other': 0}
        self.echoed = set()
        self.stop = False
        self.thread = threading.Thread(target=self.count, daemon=True)
        self.thread.start()

    def count(self):
        vf = mac_bytes(VF_MAC)
        while not self.stop:
            try:
                frame, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if addr[2] == socket.PACKET_OUTGOING or frame[6:12] != vf:
                continue
            etype = struct.unpack('!H', frame[12:14])[0]
            m = re.match(rb'i40e-vf dpdk (\d+)', frame[14:])
            if etype == ETH_TYPE and m:
                self.from_vf['echo'] += 1
                self.echoed.add(int(m.group(1)))
            elif etype == 0x0800:
                self.from_vf['ipv4'] += 1
            else:
                self.from_vf['other'] += 1

    def send(self, n):
        head = mac_bytes(VF_MAC) + mac_bytes(self.mac) + \
            struct.pack('!H', ETH_TYPE)
        for i in range(n):
            self.sock.send((head + b'i40e-vf dpdk %d' % i).ljust(60, b'\0'))
            time.sleep(0.005)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def boot(qemu, guest, wire, trace, timeout):
    with open(os.path.join(guest, 'pmds')) as f:
        pmds = f.read().strip()
    # DPDK needs SSE4.2 at least; the X710 path is the same with any of
    # iavf's vector RX/TX variants.
    cmd = [qemu, '-M', 'q35', '-accel', 'tcg', '-cpu', 'max', '-m', '1024',
           '-smp', '2',
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'),
           '-append', 'console=ttyS0 panic=-1 intel_iommu=on '
           'e2e.peer=%s e2e.frames=%d e2e.pmds=%s' % (wire.mac, FRAMES, pmds),
           '-device', 'intel-iommu',
           '-netdev', 'tap,id=n0,ifname=%s,script=no,downscript=no' % TAP,
           '-device', 'i40e-vf,netdev=n0,mac=' + VF_MAC,
           '-D', trace]     # where the log trace backend writes
    for ev in TRACE_EVENTS:
        cmd += ['-trace', 'enable=' + ev]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors='replace',
                            preexec_fn=testbed.die_with_parent)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    out = []
    sender = None
    for line in proc.stdout:
        out.append(line.replace('\r', ''))
        if line.startswith('E2E forwarding') and not sender:
            sender = threading.Thread(target=wire.send, args=(FRAMES,))
            sender.start()
    proc.wait()
    if sender:
        sender.join()
    if not timer.is_alive():
        out.append('(timed out after %ds)\n' % timeout)
    timer.cancel()
    return ''.join(out)


def brief(out):
    """The console without the kernel's boot messages and testpmd's
    periodic statistics screens, for diagnostics."""
    lines, skip = [], False
    for line in out.partition('Run /init as init process')[2].splitlines():
        if 'Port statistics ====' in line:
            skip = True
        elif skip and line.strip().startswith('#####') and \
                'NIC statistics' not in line:
            skip = False
        elif not skip:
            bare = re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', line)
            if bare or not line:
                lines.append(bare)
    return '\n'.join(lines) or out


def parse_trace(trace):
    try:
        with open(trace) as f:
            text = f.read()
    except OSError:
        return {}, ''
    res = {'caps': None, 'vec0_rx': 0, 'vec0_tx': 0, 'rx_en': 0, 'tx_en': 0,
           'queues': {}, 'failed': []}
    for m in re.finditer(r'granted caps 0x([0-9a-f]+), (\d+) queue pairs',
                         text):
        res['caps'] = int(m.group(1), 16)
    for m in re.finditer(r'vector 0: RX queues 0x([0-9a-f]+) TX queues '
                         r'0x([0-9a-f]+)', text):
        res['vec0_rx'] |= int(m.group(1), 16)
        res['vec0_tx'] |= int(m.group(2), 16)
    for m in re.finditer(r'enable 1: RX queues 0x([0-9a-f]+) TX queues '
                         r'0x([0-9a-f]+)', text):
        res['rx_en'] |= int(m.group(1), 16)
        res['tx_en'] |= int(m.group(2), 16)
    for m in re.finditer(r'queue (\d+): TX ring 0x[0-9a-f]+/(\d+) RX ring '
                         r'0x[0-9a-f]+/(\d+)', text):
        res['queues'][int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    replies = re.findall(r'reply (\S+) status (-?\d+)', text)
    res['replies'] = len(replies)
    res['failed'] = [(op, st) for op, st in replies if st != '0']
    return res, text


def check_trace(tap, tr, trace_diag):
    """What QEMU's trace of the PF agent shows (parse_trace()): the X710
    path's grant and vector map, the queues configured and started, and
    every request answered with success."""
    caps = tr.get('caps')
    tap.check(caps is not None and caps & CAP_RX_POLLING and
              not caps & CAP_WB_ON_ITR,
              'the PF grants RX_POLLING and not WB_ON_ITR', trace_diag)
    tap.check(tr.get('vec0_rx') == 3,
              'iavf maps both RX queues to vector 0 (X710 path: no '
              'WB_ON_ITR)', trace_diag)
    tap.check(tr.get('queues', {}).get(1, (None,))[0] == 0 and
              tr.get('queues', {}).get(0, (0,))[0] > 0 and
              tr.get('rx_en') == 3 and tr.get('tx_en') == 1,
              'queue pair 1\'s unused TX half has ring length 0; RX queues '
              '0-1 and TX queue 0 start', trace_diag)
    # no reply traced (an event renamed, a trace that did not work) is no
    # evidence: at least the requests of the checks above were answered
    tap.check(tr and tr.get('replies', 0) >= MIN_REPLIES and
              not tr.get('failed'),
              'the PF answers every virtchnl request with success (%s '
              'replies, %s failed)' % (tr.get('replies'),
                                       len(tr.get('failed', []))),
              trace_diag)


def run(args, tap):
    qemu = args.qemu
    if not testbed.add_tap(TAP, TAP_ADDR):
        tap.check(False, 'a tap device in the test\'s network namespace')
        return
    # No IPv6 chatter from the host side: the VF gets only the test's frames.
    with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % TAP, 'w') as f:
        f.write('1')
    wire = Wire(TAP)
    trace = os.path.join(args.guest, 'trace')
    start = time.monotonic()
    out = boot(qemu, args.guest, wire, trace, args.timeout)
    wire.close()
    elapsed = time.monotonic() - start
    res = dict(m.groups() for m in
               re.finditer(r'^E2E (\S+) ?(.*)$', out, re.MULTILINE))
    log = out.partition('E2E testpmd-log')[2].partition('E2E testpmd-end')[0]
    console = brief(out)
    tr, trace_text = parse_trace(trace)
    if args.verbose:
        for line in (out + 'QEMU trace:\n' + trace_text).splitlines():
            print('# ' + line)
    trace_diag = 'QEMU trace:\n' + trace_text

    tap.check(res.get('driver') == 'vfio-pci',
              'the VF binds to vfio-pci behind the virtual IOMMU', console)
    tap.check(re.search(r'^Port 0: %s' % VF_MAC.upper(), log, re.M) and
              'Configuring Port 0' in log and
              not re.search(r'(?i)\bfail(ed|ure)?\b|Cause:|PANIC', log),
              'the iavf PMD initializes and configures the VF', console)
    check_trace(tap, tr, trace_diag)
    tap.check('forwarding' in res and
              re.search(r'^Port 0 Link up', log, re.M) is not None,
              'the port starts and its link is up', console)
    fwd = re.search(r'Forward statistics for port 0.*?\n\s*RX-packets: *(\d+)'
                    r'.*?\n\s*TX-packets: *(\d+)', log, re.S)
    rx, tx = (int(fwd.group(1)), int(fwd.group(2))) if fwd else (-1, -1)
    counts = 'testpmd: RX %d, TX %d; host: %d of testpmd\'s frames, %d ' \
        'echoes (%d distinct), %d other frames from the VF\n' % (
            rx, tx, wire.from_vf['ipv4'], wire.from_vf['echo'],
            len(wire.echoed), wire.from_vf['other'])
    tap.check(wire.from_vf['ipv4'] == 32,
              'VF to host: testpmd\'s first burst of 32 arrives',
              counts + console)
    tap.check(rx == FRAMES,
              'host to VF: testpmd receives the %d frames sent to its '
              'address' % FRAMES, counts + console)
    tap.check(len(wire.echoed) == FRAMES and
              wire.from_vf['echo'] == FRAMES and tx == 32 + FRAMES,
              'VF to host: every frame comes back, with the VF\'s address '
              'as source', counts + console)
    tap.check('E2E done' in out and 'Bye' in log and
              'timed out' not in out,
              'testpmd stops the port and exits; clean shutdown',
              'QEMU ran %.0fs\n' % elapsed + console)


def main():
    ap = testbed.parser(__doc__, build_required=True)
    ap.add_argument('--timeout', type=int, default=150,
                    help='hard limit on the QEMU run, seconds')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print the guest\'s console and the QEMU trace')
    ap.add_argument('--guest', help=argparse.SUPPRESS)
    args = testbed.parse(ap, 'dpdk')
    if not testbed.inside():
        # The guest kernel comes from the archive: fetch it before the
        # network is left behind.
        args.guest = tempfile.mkdtemp(prefix='i40evf-dpdk-')
        err = build_guest(args.guest)
        if err:
            with open(os.path.join(args.guest, 'error'), 'w') as f:
                f.write(err)
    testbed.enter(['--guest', args.guest])
    tap = testbed.Tap()
    try:
        try:
            with open(os.path.join(args.guest, 'error')) as f:
                tap.check(False, 'guest with DPDK from Debian packages',
                          f.read())
        except OSError:
            tap.check(True, 'guest with DPDK from Debian packages')
            run(args, tap)
    finally:
        shutil.rmtree(args.guest, ignore_errors=True)
    print('1..%d' % tap.n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
