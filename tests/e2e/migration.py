#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real guest migrating: Debian's iavf over vfio-user-i40evf, under
TCP and UDP traffic with checksums, from one host's VF to another's
(demo/demo.py's VF scenario, the README's demo without the plain VM).
One TAP line per property the migration must keep; a failed one shows
the demo's report."""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from tapreport import Tap  # noqa: E402


def row(out, label):
    """The VF column of a row of the demo's table."""
    m = re.search(r'^%s\s{2,}(.*?)\s*$' % re.escape(label), out, re.M)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', default=os.path.join(SRC, 'build', 'obj'))
    args = ap.parse_args()
    proc = subprocess.run([sys.executable, os.path.join(SRC, 'demo/demo.py'),
                           '--build', args.build, '--only', 'vf'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors='replace')
    out = proc.stdout
    tap = Tap()
    print('1..6')
    tap.check('migration completed' in out, 'the migration completes', out)
    reset = row(out, 'guest driver reset')
    tap.check(reset == 'no', 'the guest\'s driver does not reset its VF '
              '(%s)' % reset, out)
    tcp = row(out, 'TCP stream intact (CRC-32, both ways)') or ''
    tap.check(tcp.startswith('yes'), 'the TCP stream survives, intact both '
              'ways (%s)' % tcp, out)
    udp = [row(out, 'UDP %s sent/recv/lost/dup/bad' % d) or ''
           for d in ('guest->peer', 'peer->guest')]
    tap.check(all(re.fullmatch(r'\d+ / \d+ / \d+ / 0 / 0', u) for u in udp),
              'no UDP datagram duplicated or corrupted (%s)' % '; '.join(udp),
              out)
    tap.check(row(out, 'traffic after the migration') == 'yes',
              'traffic flows both ways on the destination', out)
    tap.check(proc.returncode == 0 and 'demo: traffic intact' in out,
              'the demo finds nothing broken (exit %d)' % proc.returncode,
              out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
