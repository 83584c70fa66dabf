#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end test: a Debian kernel with the real iavf driver, under TCG,
on an emulated i40e-vf.

The guest (build-guest.sh, guest-init.sh) binds iavf, brings the link up,
downloads a random blob from the host over HTTP and sends one of its own to
a TCP sink, both through slirp, lets iavf reset the VF with an MTU change
and downloads again.
Payloads are checked by SHA-256 at both ends.  Prints TAP.
"""

import argparse
import hashlib
import http.server
import os
import re
import socketserver
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
BLOB = os.urandom(4 << 20)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()


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


class Tap:
    def __init__(self):
        self.n = 0

    def check(self, ok, name, detail=''):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if not ok and detail:
            for line in detail.splitlines()[-40:]:
                print('# ' + line)
        sys.stdout.flush()


def boot(qemu, guest, ports, device, timeout):
    cmd = [qemu, '-M', 'q35', '-accel', 'tcg', '-m', '512', '-smp', '2',
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'),
           '-append', 'console=ttyS0 panic=-1 e2e.port=%d e2e.sink=%d' % ports,
           '-netdev', 'user,id=n0',
           '-device', device + ',netdev=n0']
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout,
                             text=True, errors='replace').stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors='replace') if e.stdout else '')
        out += '\n(timed out after %ds)' % timeout
    return out.replace('\r', '')


def run_kernel(tap, qemu, series, ports, timeout):
    guest = subprocess.run([os.path.join(HERE, 'build-guest.sh'), series],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    if not guest or not os.path.isdir(guest):
        tap.check(False, '%s: guest built from Debian packages' % series)
        return
    SinkHandler.uploads.clear()
    out = boot(qemu, guest, ports, 'i40e-vf', timeout)
    res = dict(m.groups() for m in
               re.finditer(r'^E2E (\S+) ?(.*)$', out, re.MULTILINE))
    prefix = 'linux %s (%s), i40e-vf: ' % (series, os.path.basename(guest))
    tap.check(res.get('driver') == 'iavf', prefix + 'the real iavf binds',
              out)
    tap.check(res.get('carrier') == '1', prefix + 'link comes up', out)
    tap.check(res.get('rx-sha') == BLOB_SHA,
              prefix + '4 MiB host to guest, SHA-256 equal', out)
    tap.check(res.get('tx-sha') is not None and
              SinkHandler.uploads == [res.get('tx-sha')] and
              res.get('tx-ack') == res.get('tx-sha'),
              prefix + '4 MiB guest to host, SHA-256 equal', out)
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
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), BlobHandler)
    sink = socketserver.ThreadingTCPServer(('127.0.0.1', 0), SinkHandler)
    for s in (server, sink):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ports = (server.server_address[1], sink.server_address[1])
    tap = Tap()
    qemu = os.path.join(args.build, 'qemu-system-x86_64')
    for series in args.kernels.split():
        run_kernel(tap, qemu, series, ports, args.timeout)
    print('1..%d' % tap.n)
    server.shutdown()
    sink.shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
