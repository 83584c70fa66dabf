#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Live migration of a VM with vfio-user-i40evf against the same VM on
virtio-net: downtime (total and the device's share) and throughput before,
during and after the migration.

The machinery is the demo's (demo/demo.py, make demo, run once per run
with --json and read back): two x-remote
servers serving an emulated X710 VF (i40e-vf) each, a bridge with the
peer, a Debian guest with the real iavf running flows (demo/flows.c) at the
demo's rates (or --bps/--pps), migrated with QMP 'migrate' from host A to
host B; the plain VM is migrated the same way in the same run.  Each run
migrates both VMs, one after the other; --runs runs.

Measured per VM and run: query-migrate's downtime, the device's share of it
(x-query-vfio-i40evf 'device-downtime-us' on the source, stopping its
queues, and on the destination, loading its state and starting the
queues), STOP (source) to RESUME (destination) from QMP's event
timestamps, and the application bytes
that arrived each way (TCP records and UDP datagrams), in 100 ms bins:
guest to peer when the peer received them, peer to guest when the guest's
TCP acknowledged them (TCP_INFO bytes_acked, sampled every 10 ms) and, for
UDP, when the peer sent the datagrams the guest reported received.
"Before" is from 1 s after the streams began to 'migrate', "during" from
'migrate' to query-migrate saying completed, "after" from then to the end
of the streams (--after s).  The table gives medians over the runs and the
ratios against the project's targets (the VF VM's downtime at most the
plain VM's + 5 ms; throughput while migrating at least 0.9 x before); the
PNG (gnuplot) shows one run's throughput over time, switchover marked.
Needs root and a build; prints numbers, asserts nothing.
"""

import bisect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../tests/pylib'))
sys.dont_write_bytecode = True  # nothing written in the source tree
import testbed  # noqa: E402

DEMO = os.path.join(testbed.SRC, 'demo', 'demo.py')
BIN = 0.1                       # s
WARMUP = 1.0                    # s after the streams begin, not "before"
DOWNTIME_SLACK = 5.0            # ms: VF VM <= plain VM + this
THROUGHPUT_TARGET = 0.9         # during / before
NAMES = {'vf': 'VF VM (vfio-user-i40evf)', 'plain': 'plain VM (virtio-net)'}
WAYS = (('up', 'guest->peer'), ('down', 'peer->guest'))


class Stream:
    """Bytes that arrived one way: cumulative series and single events."""

    def __init__(self, series, events, size):
        self.series = sorted(series)    # (time, cumulative bytes)
        self.times = [t for t, _ in self.series]
        self.events = sorted(events)    # times of size bytes each
        self.size = size

    def cum(self, t):
        i = bisect.bisect_right(self.times, t)
        return (self.series[i - 1][1] if i else 0) + \
            bisect.bisect_right(self.events, t) * self.size

    def mbits(self, a, b):
        return (self.cum(b) - self.cum(a)) * 8 / 1e6 / (b - a) \
            if b > a else float('nan')

    def arrivals(self):
        """Times at which something arrived."""
        out = [t for (t, c), (_, p) in zip(self.series[1:], self.series)
               if c > p]
        return sorted(out + self.events)


def measure(r, after, udp_dgram):
    """One VM's numbers from the demo's results of it (demo.py --json
    --samples)."""
    peer = r['samples']
    t_mig, t_done = r['t-migrate'], r['t-complete']
    t_end = min(peer['t-end'] or t_done, t_done + after)

    def at(event):
        ts = event['timestamp']
        return ts['seconds'] + ts['microseconds'] / 1e6 - r['clock']

    stop = [at(e) for e in r['events-a'] if e['event'] == 'STOP' and
            at(e) > t_mig - 0.1]
    resume = [at(e) for e in r['events-b'] if e['event'] == 'RESUME']
    m = {'name': r['name'], 'status': r['status'],
         'problems': list(r['problems']), 'resets': len(r['resets']),
         't-migrate': 0.0, 't-complete': t_done - t_mig,
         'stop': stop[0] - t_mig if stop else None,
         'resume': resume[0] - t_mig if resume else None}
    mig = r['migration']
    m['downtime'] = mig.get('downtime')
    m['total-time'] = mig.get('total-time')
    if stop and resume:
        m['stop-resume'] = (resume[0] - stop[0]) * 1000
    for side, key in (('source', 'query-a-after'), ('dest', 'query-b')):
        q = r.get(key)
        if q and 'device-downtime-us' in q[0]:
            m['device-' + side] = q[0]['device-downtime-us'] / 1000
    # guest to peer: what the peer received
    up = Stream([(t, b) for t, b in peer['tcp-rx']] + [(peer['t0'], 0)],
                peer['udp-rx'], udp_dgram)
    # peer to guest: what the guest acknowledged; the datagrams the guest
    # received, at the time they were sent
    lost = r['udp-down']['loss-spans']
    received = [t for t in peer['udp-tx']
                if not any(a <= t <= b for a, b, _ in lost)]
    down = Stream([tuple(s) for s in peer['acked']], received, udp_dgram)
    phases = {'before': (peer['t0'] + WARMUP, t_mig),
              'during': (t_mig, t_done),
              'after': (t_done, t_end),
              'precopy': (t_mig, stop[0] if stop else t_done)}
    for way, s in (('up', up), ('down', down)):
        for phase, (a, b) in phases.items():
            m['%s-%s' % (way, phase)] = s.mbits(a, b)
        m['%s-ratio' % way] = m['%s-during' % way] / m['%s-before' % way]
        m['%s-precopy-ratio' % way] = \
            m['%s-precopy' % way] / m['%s-before' % way]
        m['%s-outage' % way] = \
            testbed.longest_gap(s.arrivals(), t_mig)[0] * 1000
        # 100 ms bins, edges aligned to 'migrate'
        k0 = -int((t_mig - peer['t0']) / BIN)
        k1 = int((t_end - t_mig) / BIN)
        m['%s-bins' % way] = [
            (k * BIN + BIN / 2, s.mbits(t_mig + k * BIN, t_mig + (k + 1) * BIN))
            for k in range(k0, k1)]
    return m


def median(ms, key):
    vals = [m[key] for m in ms if m.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec='%.1f'):
    return '-' if v is None else spec % v


def report(results, runs):
    cols = [n for n in ('vf', 'plain') if results.get(n)]
    rows = []

    def row(label, fn):
        rows.append((label, [fn(results[n]) for n in cols]))

    def med(key, spec='%.1f'):
        return lambda ms: fmt(median(ms, key), spec)

    row('migrations completed', lambda ms: '%d of %d' % (
        sum(m['status'] == 'completed' for m in ms), runs))
    row('downtime, query-migrate (ms)', med('downtime', '%.0f'))
    row('  device share, source (ms)', med('device-source', '%.2f'))
    row('  device share, destination (ms)', med('device-dest', '%.2f'))
    row('STOP->RESUME, QMP events (ms)', med('stop-resume'))
    row('total time, query-migrate (ms)', med('total-time', '%.0f'))
    for way, label in WAYS:
        row('%s Mbit/s before/during/after' % label,
            lambda ms, w=way: ' / '.join(fmt(median(ms, '%s-%s' % (w, p)),
                                             '%.2f')
                                         for p in ('before', 'during',
                                                   'after')))
        row('  during/before (target >= %.1f)' % THROUGHPUT_TARGET,
            med('%s-ratio' % way, '%.2f'))
        row('  pre-copy (migrate->STOP)/before',
            med('%s-precopy-ratio' % way, '%.2f'))
        row('  longest outage (ms)', med('%s-outage' % way, '%.0f'))
    row('guest driver reset', lambda ms: '%d of %d runs' % (
        sum(m['resets'] > 0 for m in ms), len(ms)))
    w = max(len(label) for label, _ in rows)
    cw = [max(len(NAMES[n]), *(len(v[i]) for _, v in rows))
          for i, n in enumerate(cols)]
    print()
    for label, vals in [('', [NAMES[n] for n in cols])] + rows:
        print(('%-*s  %s' % (w, label, '  '.join(
            '%-*s' % (c, v) for c, v in zip(cw, vals)))).rstrip())

    print()
    vf, plain = results.get('vf'), results.get('plain')
    if vf and plain:
        dv, dp = median(vf, 'downtime'), median(plain, 'downtime')
        if dv is not None and dp is not None:
            limit = dp + DOWNTIME_SLACK
            print('target downtime: VF VM %.0f ms <= plain VM %.0f + %.0f = '
                  '%.0f ms: %s' % (dv, dp, DOWNTIME_SLACK, limit,
                                   'met' if dv <= limit else
                                   'MISSED by %.0f ms' % (dv - limit)))
            pairs = ['%d-%d' % (a['downtime'], b['downtime'])
                     for a, b in zip(vf, plain)
                     if a['downtime'] is not None and
                     b['downtime'] is not None]
            print('  per run (VF-plain, ms): %s' % ', '.join(pairs))
    for n in cols:
        for way, label in WAYS:
            ratio = median(results[n], '%s-ratio' % way)
            if ratio is None:
                continue
            print('target throughput while migrating, %s %s: %.2f x before: '
                  '%s (pre-copy alone %.2f)' % (
                      NAMES[n], label, ratio, 'met' if
                      ratio >= THROUGHPUT_TARGET else 'MISSED',
                      median(results[n], '%s-precopy-ratio' % way)))
    for n in cols:
        ms = results[n]
        out = [median(ms, '%s-outage' % w) for w, _ in WAYS]
        after = [median(ms, '%s-after' % w) / median(ms, '%s-before' % w)
                 for w, _ in WAYS]
        resets = sum(m['resets'] > 0 for m in ms)
        print('after the switchover, %s: traffic stopped for %s ms '
              '(guest->peer) and %s ms (peer->guest); the %g s after '
              'carried %.2f and %.2f x before%s' % (
                  NAMES[n], fmt(out[0], '%.0f'), fmt(out[1], '%.0f'),
                  ms[0]['t-after'], after[0], after[1],
                  '; the guest\'s driver reset its VF in %d of %d runs '
                  '(the destination resumes the guest with a VF reset)' %
                  (resets, len(ms)) if resets else ''))
    for n in cols:
        for i, m in enumerate(results[n]):
            for p in m['problems']:
                print('%s, run %d: %s' % (NAMES[n], i + 1, p))


def plot(results, path, title):
    """Throughput over time of the last run, one panel per VM."""
    if not shutil.which('gnuplot'):
        print('bench: no gnuplot, no plot')
        return
    tmp = tempfile.mkdtemp(prefix='i40evf-bench-plot-')
    cols = [n for n in ('vf', 'plain') if results.get(n)]
    terms = subprocess.run(['gnuplot', '-e', 'set terminal'],
                           capture_output=True, text=True)
    term = 'pngcairo size 1200,%d font ",10"' % (380 * len(cols)) \
        if 'pngcairo' in terms.stdout + terms.stderr else \
        'png size 1200,%d' % (380 * len(cols))
    script = ['set terminal %s' % term, 'set output "%s"' % path,
              'set multiplot layout %d,1 title "%s"' % (len(cols), title),
              'set xlabel "seconds after QMP migrate"',
              'set ylabel "Mbit/s (100 ms bins)"', 'set grid',
              'set key top left', 'set yrange [0:*]']
    for n in cols:
        m = results[n][-1]
        data = os.path.join(tmp, n + '.dat')
        with open(data, 'w') as f:
            for (t, u), (_, d) in zip(m['up-bins'], m['down-bins']):
                f.write('%.3f %.4f %.4f\n' % (t, u, d))
        script.append('set title "%s: downtime %s ms, STOP->RESUME %s ms"' %
                      (NAMES[n], fmt(m['downtime'], '%.0f'),
                       fmt(m.get('stop-resume'), '%.0f')))
        script += ['unset object', 'unset arrow', 'unset label']
        if m['stop'] is not None and m['resume'] is not None:
            a, b = m['stop'], max(m['resume'], m['stop'] + 0.01)
            script += ['set object 1 rect from %f,graph 0 to %f,graph 1 '
                       'fc rgb "red" fs solid 0.5 noborder behind' % (a, b),
                       'set arrow 1 from %f,graph 0 to %f,graph 1 nohead '
                       'lc rgb "red" lw 2' % (a, a),
                       'set label 1 "switchover (STOP->RESUME)" at %f,graph '
                       '0.95 offset 1,0 tc rgb "red"' % b]
        script += ['set arrow 2 from 0,graph 0 to 0,graph 1 nohead dt 2 '
                   'lc rgb "black"',
                   'set label 2 "migrate" at 0,graph 0.05 offset 0.5,0',
                   'set arrow 3 from %f,graph 0 to %f,graph 1 nohead dt 3 '
                   'lc rgb "black"' % (m['t-complete'], m['t-complete']),
                   'set label 3 "completed" at %f,graph 0.12 offset 0.5,0' %
                   m['t-complete'],
                   'plot "%s" using 1:2 with steps lw 2 title "guest->peer", '
                   '"" using 1:3 with steps lw 2 title "peer->guest"' % data]
    script.append('unset multiplot')
    gp = os.path.join(tmp, 'plot.gp')
    with open(gp, 'w') as f:
        f.write('\n'.join(script) + '\n')
    done = subprocess.run(['gnuplot', gp], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if done.returncode:
        print('bench: gnuplot failed: %s' % done.stderr.strip())
    else:
        print('bench: plot (run %d) in %s' % (len(results[cols[0]]), path))


def install_gnuplot():
    if shutil.which('gnuplot'):
        return
    # scripts/install-deps.sh has no set with gnuplot
    print('bench: installing gnuplot-nox', flush=True)
    subprocess.run(['apt-get', 'install', '-y', '-q', 'gnuplot-nox'],
                   stdout=subprocess.DEVNULL,
                   env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))


def run_demo(args, run, rundir):
    """One run: demo.py on the guest built once, its results (--json)."""
    path = os.path.join(rundir, 'run%d.json' % run)
    cmd = [sys.executable, DEMO, '--build', args.build, '--json', path,
           '--samples', '--guest', args.guest, '--kver', args.kver,
           '--smp', str(args.smp), '--before', str(args.before),
           '--after', str(args.after), '--bps', str(args.bps),
           '--pps', str(args.pps)]
    if args.downtime_limit is not None:
        cmd += ['--downtime-limit', str(args.downtime_limit)]
    if args.only:
        cmd += ['--only', args.only]
    if args.logs:
        cmd += ['--logs', os.path.join(args.logs, 'run%d' % run)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors='replace').stdout
    try:
        with open(path) as f:
            return json.load(f), out
    except (OSError, ValueError):
        return {}, out


def header(args, settings):
    udp_dgram = 8 + 8 + settings['udp-payload']
    print('bench: guest linux %s, TCG, %d vCPUs, %d MiB; offered each way: '
          'TCP %d KiB/s + UDP %d x %d B/s (%.2f Mbit/s); %g s before the '
          'migration, %g s after; downtime-limit %s; %d runs' %
          (args.kver, args.smp, settings['mem'], args.bps >> 10, args.pps,
           udp_dgram, (args.bps + args.pps * udp_dgram) * 8 / 1e6,
           args.before, args.after, fmt(args.downtime_limit, '%d ms') if
           args.downtime_limit is not None else "QEMU's", args.runs),
          flush=True)
    return udp_dgram


def bench(args, rundir):
    names = [n for n in ('vf', 'plain') if not args.only or n == args.only]
    results = {n: [] for n in names}
    udp_dgram = None
    for i in range(args.runs):
        res, out = run_demo(args, i + 1, rundir)
        if res.get('settings') and udp_dgram is None:
            udp_dgram = header(args, res['settings'])
        for n in names:
            r = res.get('vms', {}).get(n)
            if not r or 'samples' not in r:
                print('bench: run %d, %s VM: %s' % (
                    i + 1, n, res.get('error') or 'no results\n' +
                    testbed.tail(out)))
                continue
            m = measure(r, args.after, udp_dgram)
            m['t-after'] = args.after
            results[n].append(m)
            print('# run %d %-5s downtime %s ms, device %s/%s ms, '
                  'STOP->RESUME %s ms; Mbit/s up %.2f/%.2f/%.2f down '
                  '%.2f/%.2f/%.2f; outage up %.0f down %.0f ms; VF reset %s' %
                  (i + 1, n, m['downtime'], fmt(m.get('device-source'),
                                                '%.2f'),
                   fmt(m.get('device-dest'), '%.2f'),
                   fmt(m.get('stop-resume'), '%.0f'),
                   m['up-before'], m['up-during'], m['up-after'],
                   m['down-before'], m['down-during'], m['down-after'],
                   m['up-outage'], m['down-outage'],
                   'yes' if m['resets'] else 'no'),
                  flush=True)
    if not any(results.values()):
        return 2
    report({n: ms for n, ms in results.items() if ms}, args.runs)
    plot({n: ms for n, ms in results.items() if ms}, args.png,
         'live migration under traffic, guest linux %s, %d vCPUs' %
         (args.kver, args.smp))
    return 0


def main():
    ap = testbed.parser(__doc__, raw=True)
    ap.add_argument('--runs', type=int, default=3)
    testbed.migration_options(ap)
    ap.add_argument('--smp', type=int, default=2, help='guest vCPUs')
    ap.add_argument('--bps', type=int, default=1 << 20,
                    help='TCP stream bytes a second, each way (the demo\'s '
                    'default)')
    ap.add_argument('--pps', type=int, default=500,
                    help='UDP datagrams a second, each way (the demo\'s '
                    'default)')
    ap.add_argument('--downtime-limit', type=int, metavar='MS',
                    help="migrate-set-parameters downtime-limit (default "
                    "QEMU's, 300 ms)")
    ap.add_argument('--only', choices=('plain', 'vf'),
                    help='migrate only this VM')
    ap.add_argument('--png', help='the plot (default: in a new temporary '
                    'directory)')
    args = testbed.parse(ap, 'bench')
    testbed.needs_root('bench', 'network namespace, tap devices')
    install_gnuplot()
    args.png = os.path.abspath(args.png) if args.png else os.path.join(
        tempfile.mkdtemp(prefix='i40evf-bench-migration-'), 'migration.png')
    if args.logs:
        args.logs = os.path.abspath(args.logs)
    args.guest = tempfile.mkdtemp(prefix='i40evf-bench-guest-')
    rundir = tempfile.mkdtemp(prefix='i40evf-bench-migration-')
    try:
        args.kver = testbed.build_demo_guest(args.kernel, args.guest)
        return bench(args, rundir)
    finally:
        if args.logs:
            print('bench: logs in %s' % args.logs)
        shutil.rmtree(args.guest, ignore_errors=True)
        shutil.rmtree(rundir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
