#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real guest migrating: Debian's iavf over vfio-user-i40evf, under
TCP and UDP traffic with checksums, from one host's VF to another's
(demo/demo.py's VF scenario, the README's demo without the plain VM).
One TAP line per property the migration must keep, read from the demo's
results (demo.py --json); a failed one shows the demo's report."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
import testbed  # noqa: E402


def main():
    ap = testbed.parser(__doc__)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='i40evf-migration-') as tmp:
        path = os.path.join(tmp, 'demo.json')
        proc = subprocess.run([sys.executable,
                               os.path.join(testbed.SRC, 'demo/demo.py'),
                               '--build', args.build, '--only', 'vf',
                               '--json', path],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors='replace')
        try:
            with open(path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = {}
    out = proc.stdout
    vf = res.get('vms', {}).get('vf', {})
    table = vf.get('table', {})
    tap = testbed.Tap()
    print('1..6')
    tap.check(vf.get('status') == 'completed', 'the migration completes',
              out)
    tap.check('resets' in vf and not vf['resets'], 'the guest\'s driver does '
              'not reset its VF (%s)' % table.get('guest driver reset'), out)
    tcp = vf.get('tcp', {})
    tap.check(tcp.get('intact') is True, 'the TCP stream survives, intact '
              'both ways (%s)' %
              table.get('TCP stream intact (CRC-32, both ways)', ''), out)
    udp = [vf.get(way, {}) for way in ('udp-up', 'udp-down')]
    rows = [table.get('UDP %s sent/recv/lost/dup/bad' % d, '')
            for d in ('guest->peer', 'peer->guest')]
    tap.check(all(u and min(u['sent'], u['received'], u['lost']) >= 0 and
                  u['dup'] == 0 and u['corrupt'] == 0 for u in udp),
              'no UDP datagram duplicated or corrupted (%s)' %
              '; '.join(rows), out)
    tap.check(vf.get('traffic-after') is True and
              vf.get('status') == 'completed',
              'traffic flows both ways on the destination', out)
    tap.check(proc.returncode == 0 and res.get('exit') == 0 and
              res.get('verdict') == 'traffic intact',
              'the demo finds nothing broken (exit %d)' % proc.returncode,
              out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
