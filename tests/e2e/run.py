#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end test: a Debian kernel with the real iavf driver, under TCG,
on an emulated i40e-vf.

The guest (build-guest.sh, guest-init.sh) binds iavf, brings the link up,
downloads a random blob from the host over HTTP and sends one of its own to
a TCP sink, changes its queue count (ethtool -L, which iavf carries out
with a VF reset), lets iavf reset the VF with an MTU change, and downloads
again after each.
Payloads are checked by SHA-256 at both ends.  The network is slirp, and,
when the host lets us create one, a tap device, whose virtio-net headers
carry the guest's TSO and checksum offloads.  Everything host-side (the
tap, its address, the servers) lives in a network namespace of the test's
own (netns.py); the servers listen only on the addresses the guest is
given.  Prints TAP.
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

import netns
from tapreport import Tap

HERE = os.path.dirname(os.path.abspath(__file__))
BLOB = os.urandom(4 << 20)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()
TAP = 'i40evf-e2e0'
TAP_HOST, TAP_GUEST = '192.168.76.1', '192.168.76.2'
SLIRP_HOST = '127.0.0.1'    # where slirp takes the guest's 10.0.2.2


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


def boot(qemu, guest, append, netdev, device, timeout):
    cmd = [qemu, '-M', 'q35', '-accel', 'tcg', '-m', '512', '-smp', '2',
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'),
           '-append', 'console=ttyS0 panic=-1 ' + append,
           '-netdev', netdev + ',id=n0',
           '-device', device + ',netdev=n0']
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout,
                             text=True, errors='replace',
                             preexec_fn=netns.die_with_parent).stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors='replace') if e.stdout else '')
        out += '\n(timed out after %ds)' % timeout
    return out.replace('\r', '')


def check_run(tap, prefix, out, channels):
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
    tap.check(res.get('carrier-after-reset') == '1' and
              res.get('rx-sha-after-reset') == BLOB_SHA,
              prefix + 'traffic again after iavf resets the VF', out)
    tap.check('done' in res and int(res.get('rx-bytes', 0)) > len(BLOB),
              prefix + 'statistics count the traffic; clean shutdown', out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', required=True, help='QEMU build directory')
    ap.add_argument('--kernels',
                    default=os.environ.get('E2E_KERNELS', '6.12 6.1'),
                    help='kernel series to test, e.g. "6.12 6.1"')
    ap.add_argument('--timeout', type=int, default=300)
    ap.add_argument('--guests', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not netns.inside():
        # The guest kernels come from the archive: fetch them before the
        # network is left behind.
        args.guests = tempfile.mkdtemp(prefix='i40evf-e2e-')
        for series in args.kernels.split():
            build_guest(series, os.path.join(args.guests, series))
    netns.enter(['--guests', args.guests])
    try:
        return run_all(args)
    finally:
        shutil.rmtree(args.guests, ignore_errors=True)


def build_guest(series, out):
    """The guest of a kernel series in out/; out/kver names its kernel."""
    built = subprocess.run(
        [os.path.join(HERE, 'build-guest.sh'), series,
         os.path.join(HERE, 'guest-init.sh'), out, 'iavf'],
        stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, GUEST_BIN=shutil.which('ethtool') or ''))
    if not built.returncode:
        with open(os.path.join(out, 'kver'), 'w') as f:
            f.write(built.stdout.strip())


def run_all(args):
    qemu = os.path.join(args.build, 'qemu-system-x86_64')
    tapdev = netns.add_tap(TAP, TAP_HOST + '/24')
    # On slirp the guest also changes its queue count (2 CPUs: 2 queues).
    nets = [('slirp', 'user', SLIRP_HOST,
             'e2e.host=10.0.2.2 e2e.ip=10.0.2.15 e2e.channels=1')]
    nets.append(('tap', tapdev and
                 'tap,ifname=%s,script=no,downscript=no' % tapdev, TAP_HOST,
                 'e2e.host=%s e2e.ip=%s' % (TAP_HOST, TAP_GUEST)))
    tap = Tap()
    for series in args.kernels.split():
        guest = os.path.join(args.guests, series)
        try:
            with open(os.path.join(guest, 'kver')) as f:
                kver = f.read()
        except OSError:
            kver = None
        for name, netdev, host, append in nets:
            prefix = 'linux %s, i40e-vf on %s: ' % (kver or series, name)
            if not kver:
                tap.check(False, prefix + 'guest from Debian packages')
                continue
            if not netdev:
                tap.skip(prefix + 'traffic', 'cannot create a tap device')
                continue
            SinkHandler.uploads.clear()
            ports, stop = start_servers(host)
            out = boot(qemu, guest, ports + ' ' + append, netdev, 'i40e-vf',
                       args.timeout)
            stop()
            channels = re.search(r'e2e\.channels=(\d+)', append)
            check_run(tap, prefix, out, channels and channels.group(1))
    print('1..%d' % tap.n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
