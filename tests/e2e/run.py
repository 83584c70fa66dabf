#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end test: a Debian kernel with the real iavf driver, under TCG,
on an emulated i40e-vf, and on one passed through over vfio-user.

The guest (build-guest.sh, guest-init.sh) binds iavf, brings the link up,
downloads a random blob from the host over HTTP and sends one of its own to
a TCP sink, changes its queue count (ethtool -L, which iavf carries out
with a VF reset), lets iavf reset the VF with an MTU change, and downloads
again after each.
Payloads are checked by SHA-256 at both ends.  The network is slirp, and,
when the host lets us create one, a tap device, whose virtio-net headers
carry the guest's TSO and checksum offloads.  Everything host-side (the
tap, its address, the servers) lives in a network namespace of the test's
own (tests/pylib/testbed.py); the servers listen only on the addresses
the guest is given.

Over vfio-user the i40e-vf and its netdev live in a second QEMU, an
x-remote server (-object x-vfio-user-server) in the same namespace, and
the guest's NIC is a vfio-user client device: vfio-user-i40evf, the
passthrough device (--vfio-user-client or E2E_VFIO_USER_CLIENT picks
plain vfio-user-pci instead; a binary without the one asked for fails
those cases, it never falls back to another).  The guest runs
the same /init and the same checks.  The guest's RAM is a shared memfd,
which the server maps for the device's DMA.  Prints TAP.
"""

import argparse
import hashlib
import http.server
import os
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
import testbed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BLOB = os.urandom(4 << 20)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()
TAP = 'i40evf-e2e0'
TAP_HOST, TAP_GUEST = '192.168.76.1', '192.168.76.2'
SLIRP_HOST = '127.0.0.1'    # where slirp takes the guest's 10.0.2.2
GUEST_MEM = testbed.GUEST_MEM   # MiB
NICS = ('i40e-vf', 'vfio-user')
# The vfio-user client devices, the default first: the passthrough device.
VFIO_USER_CLIENTS = ('vfio-user-i40evf', 'vfio-user-pci')
SERVER_LOG_LINES = 10       # of the server's output, in a failure's detail
TIMED_OUT = '(timed out after'  # run_to_end()'s mark of a QEMU it killed
# A frame's bytes beside its TCP payload: Ethernet (14), IPv4 (20) and
# TCP (20) headers, and up to 40 bytes of TCP options (timestamps: 12).
FRAME_MIN, FRAME_MAX = 54, 94
STATS_SLACK = 4096          # the HTTP request and answer's headers, ARP


class BlobHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(BLOB)))
        self.end_headers()
        self.wfile.write(BLOB)

    def log_message(self, *args):
        pass


class SinkHandler(socketserver.StreamRequestHandler):
    """Read to EOF, answer with the SHA-256 of what arrived."""
    uploads = []

    def handle(self):
        sha = hashlib.sha256(self.rfile.read()).hexdigest()
        SinkHandler.uploads.append(sha)
        self.wfile.write(sha.encode())


def start_servers(addr):
    """The blob server and the sink on addr; returns their port arguments
    for the guest and a function that stops them."""
    server = http.server.ThreadingHTTPServer((addr, 0), BlobHandler)
    sink = socketserver.ThreadingTCPServer((addr, 0), SinkHandler)
    for s in (server, sink):
        threading.Thread(target=s.serve_forever, daemon=True).start()

    def stop():
        for s in (server, sink):
            s.shutdown()
            s.server_close()
    return 'e2e.port=%d e2e.sink=%d' % (server.server_address[1],
                                        sink.server_address[1]), stop


def boot(qemu, guest, append, nic_args, timeout):
    return testbed.run_to_end(
        [qemu, '-M', 'q35', '-accel', 'tcg', '-m', str(GUEST_MEM),
         '-smp', '2',
         '-nodefaults', '-no-user-config', '-display', 'none',
         '-serial', 'stdio', '-no-reboot',
         '-kernel', os.path.join(guest, 'vmlinuz'),
         '-initrd', os.path.join(guest, 'initrd'),
         '-append', 'console=ttyS0 panic=-1 ' + append] + nic_args, timeout,
        status=True)


direct_nic = testbed.direct_nic
VfioUserServer = testbed.VfioUserServer


def devices(qemu):
    """The device names the binary has (-device help)."""
    try:
        out = subprocess.run([qemu, '-device', 'help'],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ''
    return re.findall(r'^name "([^"]+)"', out, re.MULTILINE)


def check_run(tap, prefix, out, status, channels):
    res = dict(m.groups() for m in
               re.finditer(r'^E2E (\S+) ?(.*)$', out, re.MULTILINE))
    tap.check(res.get('driver') == 'iavf', prefix + 'the real iavf binds',
              out)
    tap.check(res.get('carrier') == '1', prefix + 'link comes up', out)
    tap.check(res.get('rx-sha') == BLOB_SHA,
              prefix + '4 MiB host to guest, SHA-256 equal', out)
    tap.check(res.get('tx-sha') is not None and
              SinkHandler.uploads == [res.get('tx-sha')] and
              res.get('tx-ack') == res.get('tx-sha'),
              prefix + '4 MiB guest to host, SHA-256 equal', out)
    if channels:
        tap.check(res.get('channels') == channels and
                  'ethtool-failed' not in res and
                  res.get('rx-sha-after-channels') == BLOB_SHA,
                  prefix + 'ethtool -L combined %s: VF reset with the new '
                  'queue count, traffic again' % channels, out)
    # the reset shows: the carrier went down and up
    before = res.get('carrier-changes-before-reset', '')
    after = res.get('carrier-changes-after-reset', '')
    tap.check(res.get('carrier-after-reset') == '1' and
              before.isdigit() and after.isdigit() and
              int(after) >= int(before) + 2 and
              res.get('rx-sha-after-reset') == BLOB_SHA,
              prefix + 'traffic again after iavf resets the VF (carrier '
              'changes %s -> %s)' % (before or '?', after or '?'), out)
    stats_ok, figures = check_stats(res)
    trouble = testbed.kernel_trouble(guest_console(out))
    tap.check('done' in res and status == 0 and
              TIMED_OUT not in out and stats_ok and not trouble,
              prefix + 'statistics count the traffic; no kernel warning; '
              'clean shutdown (%s)' % figures,
              out + '\n'.join(['QEMU exit status: %s' % status] +
                              ['kernel trouble: ' + t for t in trouble]))


def guest_console(out):
    """The guest's console in out, without the server's lines."""
    return '\n'.join(line for line in out.splitlines()
                     if not line.startswith('server: '))


def check_stats(res):
    """The VF's counters after the MTU change's reset (which clears them)
    against what crossed the link since: the 4 MiB download (rx2-size)
    and its request, each frame with its Ethernet, IP and TCP headers
    (FRAME_MIN to FRAME_MAX bytes each), and only a little more (ARP,
    IPv6 neighbour discovery: STATS_SLACK); no errors.  Returns whether
    they agree and the figures."""
    try:
        st = {k: int(res['stat-' + k]) for k in
              ('rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets',
               'rx_errors', 'tx_errors')}
        size = int(res['rx2-size'])
    except (KeyError, ValueError):
        return False, 'the guest reported no statistics'
    rx_over = st['rx_bytes'] - size
    tx_over = st['tx_bytes']
    figures = 'RX %d bytes in %d frames: %d over the blob; TX %d bytes in ' \
        '%d frames; errors %d/%d' % (st['rx_bytes'], st['rx_packets'],
                                     rx_over, st['tx_bytes'],
                                     st['tx_packets'], st['rx_errors'],
                                     st['tx_errors'])
    ok = (size == len(BLOB) and st['rx_packets'] > 0 and
          st['tx_packets'] > 0 and
          FRAME_MIN * st['rx_packets'] <= rx_over <=
          FRAME_MAX * st['rx_packets'] + STATS_SLACK and
          FRAME_MIN * st['tx_packets'] <= tx_over <=
          FRAME_MAX * st['tx_packets'] + STATS_SLACK and
          st['rx_errors'] == 0 and st['tx_errors'] == 0)
    return ok, figures


def main():
    ap = testbed.parser(__doc__, build_required=True)
    ap.add_argument('--kernels',
                    default=os.environ.get('E2E_KERNELS', '6.12 6.1'),
                    help='kernel series to test, e.g. "6.12 6.1"')
    ap.add_argument('--nics', default=os.environ.get('E2E_NICS',
                                                     ' '.join(NICS)),
                    help='the guest\'s NIC: "i40e-vf" (emulated in the '
                    'guest\'s QEMU), "vfio-user" (passed through from a '
                    'server QEMU), or both (default)')
    ap.add_argument('--vfio-user-client', choices=VFIO_USER_CLIENTS,
                    default=os.environ.get('E2E_VFIO_USER_CLIENT') or None,
                    help='the vfio-user client device (default: %s)' %
                    VFIO_USER_CLIENTS[0])
    ap.add_argument('--timeout', type=int, default=300)
    ap.add_argument('--guests', help=argparse.SUPPRESS)
    args = testbed.parse(ap, 'e2e')
    unknown = set(args.nics.split()) - set(NICS)
    if unknown:
        ap.error('unknown NIC %s (%s)' % (' '.join(sorted(unknown)),
                                          ', '.join(NICS)))
    if args.vfio_user_client not in (None,) + VFIO_USER_CLIENTS:
        ap.error('unknown vfio-user client %s (%s)' %
                 (args.vfio_user_client, ', '.join(VFIO_USER_CLIENTS)))
    if not testbed.inside():
        # The guest kernels come from the archive: fetch them before the
        # network is left behind.
        args.guests = tempfile.mkdtemp(prefix='i40evf-e2e-')
        for series in args.kernels.split():
            build_guest(series, os.path.join(args.guests, series))
    testbed.enter(['--guests', args.guests])
    try:
        return run_all(args)
    finally:
        shutil.rmtree(args.guests, ignore_errors=True)


def build_guest(series, out):
    """The guest of a kernel series in out/; out/kver names its kernel."""
    kver, log = testbed.build_guest(
        series, os.path.join(HERE, 'guest-init.sh'), out, ('iavf',),
        bins=(shutil.which('ethtool') or '',))
    if kver:
        with open(os.path.join(out, 'kver'), 'w') as f:
            f.write(kver)
    else:
        sys.stderr.write(log)


def run_all(args):
    qemu = args.qemu
    tapdev = testbed.add_tap(TAP, TAP_HOST + '/24')
    # On slirp the guest also changes its queue count (2 CPUs: 2 queues).
    nets = [('slirp', 'user', SLIRP_HOST,
             'e2e.host=10.0.2.2 e2e.ip=10.0.2.15 e2e.channels=1')]
    nets.append(('tap', tapdev and
                 'tap,ifname=%s,script=no,downscript=no' % tapdev, TAP_HOST,
                 'e2e.host=%s e2e.ip=%s' % (TAP_HOST, TAP_GUEST)))
    client = args.vfio_user_client or VFIO_USER_CLIENTS[0]
    client_missing = 'vfio-user' in args.nics.split() and \
        client not in devices(qemu)
    nics = [(nic, 'i40e-vf' if nic == 'i40e-vf' else
             'i40e-vf over %s' % client)
            for nic in NICS if nic in args.nics.split()]
    tap = testbed.Tap()
    for series in args.kernels.split():
        guest = os.path.join(args.guests, series)
        try:
            with open(os.path.join(guest, 'kver')) as f:
                kver = f.read()
        except OSError:
            kver = None
        for nic, nic_name in nics:
            for name, netdev, host, append in nets:
                prefix = 'linux %s, %s on %s: ' % (kver or series, nic_name,
                                                   name)
                if not kver:
                    tap.check(False, prefix + 'guest from Debian packages')
                    continue
                if not netdev:
                    tap.skip(prefix + 'traffic', 'cannot create a tap device')
                    continue
                if nic == 'vfio-user' and client_missing:
                    tap.check(False, prefix + 'the binary has the device '
                              '%s' % client, '%s -device help lists no %s' %
                              (qemu, client))
                    continue
                channels = re.search(r'e2e\.channels=(\d+)', append)
                run_guest(tap, prefix, qemu, guest, nic, client, netdev,
                          host, append, channels and channels.group(1),
                          args.timeout)
    print('1..%d' % tap.n)
    return 0


def run_guest(tap, prefix, qemu, guest, nic, client, netdev, host, append,
              channels, timeout):
    """One boot of the guest on nic, with its servers on host, and its
    checks."""
    SinkHandler.uploads.clear()
    ports, stop = start_servers(host)
    append = ports + ' ' + append
    try:
        if nic == 'i40e-vf':
            out, status = boot(qemu, guest, append, direct_nic(netdev),
                               timeout)
        else:
            out, status = boot_vfio_user(tap, prefix, qemu, guest, append,
                                         client, netdev, timeout)
    finally:
        stop()
    if out is not None:
        check_run(tap, prefix, out, status, channels)


def boot_vfio_user(tap, prefix, qemu, guest, append, client, netdev,
                   timeout):
    """boot() on an i40e-vf an x-remote server serves, and the check that
    the server lived to the end.  Returns the guest's console followed by
    the end of the server's output, and the guest QEMU's exit status, or
    (None, None) if the server never started."""
    with VfioUserServer(qemu, netdev, client) as server:
        started = not server.error
        out, status = boot(qemu, guest, append, server.nic_args, timeout) \
            if started else ('', None)
    out += ''.join('server: %s\n' % line for line in
                   server.log.splitlines()[-SERVER_LOG_LINES:])
    tap.check(not server.error, prefix + 'the vfio-user server serves the '
              'VF until the guest is done', out + (server.error or ''))
    return (out, status) if started else (None, None)


if __name__ == '__main__':
    sys.exit(main())
