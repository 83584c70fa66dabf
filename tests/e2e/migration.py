#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The real guest migrating: Debian's iavf over vfio-user-i40evf, under
TCP and UDP traffic with checksums, from one host's VF to another's
(demo/demo.py's VF scenario, the README's demo without the plain VM), on
each kernel series (--kernels, default 6.12 and 6.1).  One TAP line per
property the migration must keep, read from the demo's results (demo.py
--json); a failed one shows the demo's report.  A property whose evidence
is missing from the results fails.

Each demo runs with a time limit (--timeout): it gets SIGTERM (its own
clean-up) then SIGKILL; it gets SIGTERM too when this process dies; its
QEMUs die with it."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
import testbed  # noqa: E402

CHECKS = 8              # TAP lines per kernel
KILL_GRACE = 15         # s between SIGTERM and SIGKILL
PR_SET_PDEATHSIG = 1


def end_with_parent():
    """preexec_fn: the demo gets SIGTERM when this process dies, and
    cleans up as when its time is up (its QEMUs die with it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def run_demo(args, series, path):
    """demo.py --only vf on series, its JSON to path; returns its exit
    status (None if it had to be stopped) and its output."""
    cmd = [sys.executable, os.path.join(testbed.SRC, 'demo/demo.py'),
           '--build', args.build, '--only', 'vf', '--kernel', series,
           '--json', path]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors='replace', stdin=subprocess.DEVNULL,
                            preexec_fn=end_with_parent)
    try:
        out = proc.communicate(timeout=args.timeout)[0]
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out = proc.communicate(timeout=KILL_GRACE)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0]
        return None, (out or '') + '\n(the demo timed out after %ds)' % \
            args.timeout


def device_line(vf):
    """The device's counters before and after, as the check's name shows
    them."""
    parts = []
    for side in ('source', 'destination'):
        c = vf.get('counts', {}).get(side, {})
        ca, cb = c.get('before'), c.get('after')
        if ca and cb:
            parts.append('%s vf-resets %d -> %d, failed %d, unanswered %d' %
                         (side, ca['vf-resets'], cb['vf-resets'],
                          cb['failed'], cb['unanswered']))
        else:
            parts.append('%s: no counters' % side)
    return '; '.join(parts)


def check_kernel(tap, args, series):
    with tempfile.TemporaryDirectory(prefix='i40evf-migration-') as tmp:
        path = os.path.join(tmp, 'demo.json')
        code, out = run_demo(args, series, path)
        try:
            with open(path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = {}
    vf = res.get('vms', {}).get('vf', {})
    table = vf.get('table', {})
    guest = vf.get('guest', {})
    kver = res.get('settings', {}).get('kver') or series
    p = 'linux %s: ' % kver
    reported = 'done' in guest
    tap.check(vf.get('status') == 'completed', p + 'the migration completes',
              out)
    # the device's counters, and the guest's own evidence, both required
    counts = vf.get('counts', {})
    tap.check(isinstance(vf.get('reset-device'), list) and
              not vf['reset-device'] and
              all(counts.get(side, {}).get(k) for side in
                  ('source', 'destination') for k in ('before', 'after')),
              p + 'the device saw no VF reset across the switchover, every '
              'request answered (%s)' % device_line(vf), out)
    tap.check(isinstance(vf.get('reset-guest'), list) and reported and
              not vf['reset-guest'],
              p + 'the guest\'s driver does not reset its VF: carrier_changes '
              '%s -> %s, no kernel warning (%s)' %
              (guest.get('carrier-changes-start'),
               guest.get('carrier-changes-end'),
               table.get('guest driver reset')), out)
    tcp = vf.get('tcp', {})
    tap.check(reported and tcp.get('intact') is True,
              p + 'the TCP stream survives, intact both ways (%s)' %
              table.get('TCP stream intact (CRC-32, both ways)', ''), out)
    udp = [vf.get(way, {}) for way in ('udp-up', 'udp-down')]
    rows = [table.get('UDP %s sent/recv/lost/dup/bad' % d, '')
            for d in ('guest->peer', 'peer->guest')]
    keys = ('sent', 'received', 'lost', 'dup', 'corrupt')
    tap.check(reported and
              all(u and all(isinstance(u.get(k), int) for k in keys) and
                  min(u['sent'], u['received'], u['lost']) >= 0 and
                  u['sent'] > 0 and u['dup'] == 0 and u['corrupt'] == 0
                  for u in udp),
              p + 'no UDP datagram duplicated or corrupted (%s)' %
              '; '.join(rows), out)
    tap.check(reported and vf.get('traffic-after') is True and
              vf.get('status') == 'completed',
              p + 'traffic flows both ways on the destination', out)
    tap.check(vf.get('handover') == 'ok',
              p + 'on the destination every enabled queue pair is handed '
              'back or still relayed (%s)' %
              table.get('queue pairs handed back or relayed'), out)
    tap.check(code == 0 and res.get('exit') == 0 and
              res.get('verdict') == 'traffic intact',
              p + 'the demo finds nothing broken (exit %s)' % code, out)


def main():
    ap = testbed.parser(__doc__)
    ap.add_argument('--kernels', default='6.12 6.1',
                    help='kernel series to migrate, e.g. "6.12 6.1"')
    ap.add_argument('--timeout', type=int, default=220,
                    help='seconds for each demo, its guest build included')
    args = ap.parse_args()
    series = args.kernels.split()
    tap = testbed.Tap()
    print('1..%d' % (len(series) * CHECKS))
    sys.stdout.flush()
    for s in series:
        check_kernel(tap, args, s)
    return 0


if __name__ == '__main__':
    sys.exit(main())
