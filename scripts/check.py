#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the project's test programs and count their TAP results.

Each program prints TAP on its standard output (glib tests with --tap, the
project's shell and Python tests natively); its standard error is kept for
diagnostics and never read as TAP.  Every test case counts once.  Each
program runs in a session of its own, and these count as one failure of
the program: fewer or more results than its plan ("1..N"), no plan or no
TAP at all, a "Bail out!", a non-zero exit with no failed result, its time
limit reached ("hang": the whole session is killed) and a process of its
session, or one it orphaned, still alive after it ended ("leftover").
"1..0 # SKIP reason" is one skip.  Upstream's qos-test is counted on a
line of its own; the last line is the summary of the project's own tests:
"N passed, N failed" (", N skipped" when any were skipped).
"""

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TAP_RE = re.compile(r'^(not ok|ok)\b\s*(\d*)\s*(?:- )?(.*?)'
                    r'(\s+#\s*(SKIP|TODO)\b.*)?$', re.IGNORECASE)
PLAN_RE = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(.*?))?$')
DIAG_START = ('#', '**', 'ERROR', 'Bail out')

# .ci/run gives make check 90 minutes; installing the packages and a fresh
# build take 6 of them on the 2-core machine (README), so the tests' limits
# must add up to what is left with room to spare.
CI_MINUTES = 90
BUILD_MINUTES = 15
TEST_BUDGET = (CI_MINUTES - BUILD_MINUTES) * 60

# The end-to-end suite boots each kernel series (E2E_KERNELS) on both of its
# networks (slirp, tap) with each of its NICs (E2E_NICS).  Each boot is
# bounded by run.py's --timeout; a vfio-user boot adds the server's start
# and stop (10 s each); each series first builds its guest from packages.
E2E_BOOT = 90
E2E_SERVER = 20
GUEST_BUILD = 120
# migration.py runs the demo once per kernel series, each within its
# --timeout (and 15 s more for its clean-up once it was told to end).
MIGRATION_KERNELS = ('6.12', '6.1')
MIGRATION_DEMO = 220
# nested.py's --timeout bounds L1's run; building L1 comes before it.
NESTED_BOOT = 300
NESTED_IAVF_BOOT = 540

# Suites whose results are upstream's, counted on a line of their own;
# qos-test's cases on the project's graph node (OWN_NODE in their path:
# upstream's generic tests run on i40e-vf, and its own) are the project's.
UPSTREAM_SUITES = {'qos': 'upstream qos-test'}
OWN_NODE = re.compile(r'/i40e-vf(/|$)')
OWN = 'own'
KINDS = ('passed', 'failed', 'skipped')
GRACE = 2.0         # seconds a program's processes have to end after it
RUNNING = []        # the session of the program running now


# The project's qtest programs and their time limits (s), in order.
QTESTS = (
    ('i40e-vf-regs-test', 60),
    ('i40e-vf-aq-test', 60),
    ('i40e-vf-txrx-test', 60),
    ('i40e-vf-migration-test', 60),
    ('i40e-vf-fault-test', 60),
    ('vfio-user-msix-test', 60),
    ('vfio-user-i40evf-test', 120),
    ('igb-eitr-test', 60),
)


def qemu_version(src):
    """configure's QEMU_VERSION, read as the Makefile reads it."""
    with open(os.path.join(src, 'configure')) as f:
        for line in f:
            if line.startswith('QEMU_VERSION='):
                return line[len('QEMU_VERSION='):].strip()
    raise SystemExit('check.py: no QEMU_VERSION= in %s/configure' % src)


def upstream_dir(src, obj):
    """The unpacked upstream tree beside the build directory."""
    return os.path.join(os.path.dirname(os.path.abspath(obj)),
                        'qemu-' + qemu_version(src))


def e2e_limit():
    kernels = len(os.environ.get('E2E_KERNELS', '6.12 6.1').split())
    nics = len(os.environ.get('E2E_NICS', 'i40e-vf vfio-user').split())
    boots = 2 * nics * (E2E_BOOT + E2E_SERVER)
    # No kernel at all: it must still have the time to say so (1..0).
    return max(kernels, 1) * (GUEST_BUILD + boots)


def programs(src, obj):
    """The suites, in the order they run: cheap and specific first.  Each
    entry: (suite, argv, extra environment, time limit in seconds)."""
    qemu = os.path.join(obj, 'qemu-system-x86_64')
    qtest_env = {'QTEST_QEMU_BINARY': qemu}
    checkpatch = os.path.join(upstream_dir(src, obj), 'scripts/checkpatch.pl')
    return [
        ('runner', [sys.executable,
                    os.path.join(src, 'tests/runner/test-check.py')],
         {}, 60),
        ('style', [os.path.join(src, 'scripts/test-style.sh'), src,
                   checkpatch], {}, 90),
        ('unit', [os.path.join(obj, 'tests/unit/test-virtchnl'), '--tap'],
         {}, 60),
        ('unit', [os.path.join(obj, 'tests/unit/test-i40evf-shadow'),
                  '--tap'], {}, 60),
        ('build', [os.path.join(src, 'scripts/test-configure.sh'), src],
         {}, 120),
        *[('qtest', [os.path.join(obj, 'tests/qtest', name), '--tap', '-k'],
           qtest_env, limit) for name, limit in QTESTS],
        # Upstream's own limit for qos-test; here it takes 12 s.
        ('qos', [os.path.join(obj, 'tests/qtest/qos-test'), '--tap', '-k'],
         qtest_env, 120),
        ('e2e', [os.path.join(src, 'tests/e2e/run.py'), '--build', obj,
                 '--timeout', str(E2E_BOOT)], {}, e2e_limit()),
        ('dpdk', [os.path.join(src, 'tests/e2e/dpdk.py'), '--build', obj,
                  '--timeout', '150'], {}, 150 + GUEST_BUILD + 30),
        ('nested', [os.path.join(src, 'tests/e2e/nested.py'), '--build', obj,
                    '--timeout', str(NESTED_BOOT)], {},
         NESTED_BOOT + GUEST_BUILD),
        ('nested', [os.path.join(src, 'tests/e2e/nested.py'), '--build', obj,
                    '--iavf', '--timeout', str(NESTED_IAVF_BOOT)], {},
         NESTED_IAVF_BOOT + GUEST_BUILD),
        # A demo per kernel series, each bounded by migration.py's
        # --timeout: the demo's own waits (boot 120 s, migration 60 s,
        # report 30 s) after its guest is built.
        ('migration', [os.path.join(src, 'tests/e2e/migration.py'),
                       '--build', obj, '--kernels',
                       ' '.join(MIGRATION_KERNELS), '--timeout',
                       str(MIGRATION_DEMO)], {},
         len(MIGRATION_KERNELS) * (MIGRATION_DEMO + 20)),
        ('libvirt', [os.path.join(src, 'tests/libvirt/run.py'), '--build',
                     obj], {}, 420),
    ]


def on_signal(signum, frame):
    """make check killed (.ci/run's timeout): the program's session goes
    too, as it is not in our process group."""
    for sid in RUNNING:
        kill_all(sid)
    print('FAIL runner: killed by signal %d' % signum)
    sys.stdout.flush()
    os._exit(128 + signum)


def become_subreaper():
    """Orphans of a test program (a daemon that detached itself) become
    this process's children, so that leftovers() sees them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)          # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def processes():
    """(pid, ppid, session, state, name) of every process on the machine."""
    procs = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index('(') + 1:stat.rindex(')')]
        fields = stat[stat.rindex(')') + 2:].split()
        procs.append((int(entry), int(fields[1]), int(fields[3]), fields[0],
                      name))
    return procs


def reap():
    """Collect the exit status of orphans that ended as our children."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def session_left(sid):
    """The live processes of session sid and the orphans we adopted."""
    reap()
    me = os.getpid()
    return [(pid, name) for pid, ppid, sess, state, name in processes()
            if state != 'Z' and pid != me and (sess == sid or ppid == me)]


def kill_all(sid):
    try:
        os.killpg(sid, signal.SIGKILL)
    except OSError:
        pass
    for pid, _ in session_left(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def leftovers(sid):
    """What of session sid is still alive GRACE seconds after its leader
    ended.  It is killed, again until nothing is left: a killed process's
    children that were outside the session come to us as orphans."""
    end = time.monotonic() + GRACE
    left = session_left(sid)
    while left and time.monotonic() < end:
        time.sleep(0.05)
        left = session_left(sid)
    seen = list(left)
    end = time.monotonic() + GRACE
    while left and time.monotonic() < end:
        kill_all(sid)
        time.sleep(0.05)
        left = session_left(sid)
        seen += [p for p in left if p not in seen]
    return seen


def execute(argv, env, limit, out, err):
    """Run argv in a session of its own with stdout and stderr to files;
    returns its exit status and the problems seen (a hang, leftovers)."""
    try:
        proc = subprocess.Popen(argv, env=dict(os.environ, **env),
                                stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, start_new_session=True)
    except OSError as e:
        return 'cannot start: %s' % e, []
    problems = []
    RUNNING[:] = [proc.pid]
    try:
        status = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        kill_all(proc.pid)
        status = proc.wait()
        problems.append('hang: timed out after %d s' % limit)
    left = leftovers(proc.pid)
    RUNNING[:] = []
    if left:
        problems.append('leftover processes still running after it '
                        'ended (killed): ' +
                        ', '.join('%d %s' % p for p in left))
    return status, problems


def plan_problems(lines, results):
    """What is wrong with the program's TAP as a whole, and the skip
    reason of a '1..0' plan (None unless it is one)."""
    plans = [PLAN_RE.match(line) for line in lines if PLAN_RE.match(line)]
    bail = [line for line in lines if line.startswith('Bail out!')]
    if bail:
        return [bail[0]], None
    if not plans:
        if not results:
            return ['no TAP output'], None
        return ['no TAP plan (got %d results)' % len(results)], None
    if len(plans) > 1:
        return ['%d TAP plans' % len(plans)], None
    planned = int(plans[0].group(1))
    if planned == 0 and not results:
        why = re.sub(r'^SKIP\b\s*', '', plans[0].group(2) or '',
                     flags=re.IGNORECASE)
        return [], why or 'planned no tests, gave no reason'
    if planned != len(results):
        return ['planned %d, got %d' % (planned, len(results))], None
    return [], None


class Tally:
    """A program's counts, by group: OWN, or its suite's name for an
    upstream suite's cases (and the program as a whole)."""

    def __init__(self, suite):
        self.upstream = suite if suite in UPSTREAM_SUITES else None
        self.groups = {OWN: dict.fromkeys(KINDS, 0)}

    def add(self, kind, name=''):
        group = OWN
        if self.upstream and not OWN_NODE.search(name):
            group = self.upstream
        self.groups.setdefault(group, dict.fromkeys(KINDS, 0))[kind] += 1

    def total(self, kind):
        return sum(c[kind] for c in self.groups.values())


def count_results(suite, lines, results, counts):
    """One PASS/FAIL/SKIP line per TAP result; a failure shows the '#'
    lines around it (glib prints them before, the e2e tests after)."""
    for k, i in enumerate(results):
        m = TAP_RE.match(lines[i])
        name = '%s: %s' % (suite, m.group(3).strip())
        directive = (m.group(5) or '').upper()
        if directive == 'SKIP' or (directive == 'TODO' and
                                   m.group(1).lower() != 'ok'):
            counts.add('skipped', name)
            print('SKIP ' + name + (m.group(4) or ''))
        elif m.group(1).lower() == 'ok':
            counts.add('passed', name)
            print('PASS ' + name)
        else:
            counts.add('failed', name)
            print('FAIL ' + name)
            first = results[k - 1] + 1 if k else 0
            end = results[k + 1] if k + 1 < len(results) else len(lines)
            diag = [line for line in lines[first:end]
                    if line.startswith(DIAG_START)]
            for line in diag[-40:]:
                print('    ' + line)


def read_back(f):
    f.seek(0)
    return [line.rstrip() for line in
            f.read().decode(errors='replace').splitlines()]


def describe(status):
    if status < 0:
        return 'killed by signal %d' % -status
    return 'exited with status %d' % status


def run(suite, argv, env, limit, verbose=False):
    """Run one program; print a line per result; return the counts by
    group (Tally)."""
    counts = Tally(suite)
    start = time.monotonic()
    prog = '%s: %s' % (suite, os.path.basename(argv[0]) if argv else '?')
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        status, problems = execute(argv, env, limit, out, err)
        lines, errs = read_back(out), read_back(err)
    results = [i for i, line in enumerate(lines) if TAP_RE.match(line)]
    count_results(suite, lines, results, counts)
    skip = None
    if isinstance(status, str):         # it never started
        problems.append(status)
    else:
        tap_problems, skip = plan_problems(lines, results)
        problems += tap_problems
    if skip is not None and not problems and status == 0:
        counts.add('skipped')
        print('SKIP %s # %s' % (prog, skip))
    hung = any(p.startswith('hang') for p in problems)
    if status != 0 and not counts.total('failed') and not hung and \
            not isinstance(status, str):
        problems.append(describe(status))
    if problems:
        counts.add('failed')
        print('FAIL %s: %s' % (prog, '; '.join(problems)))
        shown = [line for line in lines if not TAP_RE.match(line)][-20:]
        if shown:
            print('    (its last output)')
        for line in shown:
            print('    ' + line)
    if verbose:
        for line in lines:
            if not TAP_RE.match(line):
                print('    ' + line)
    if errs and (verbose or counts.total('failed')):
        print('    (its standard error%s)' % ('' if verbose else ', end'))
        for line in errs if verbose else errs[-20:]:
            print('    ' + line)
    print('# %s: %.1fs' % (prog, time.monotonic() - start))
    sys.stdout.flush()
    return counts.groups


def summary(counts):
    line = '%d passed, %d failed' % (counts['passed'], counts['failed'])
    if counts['skipped']:
        line += ', %d skipped' % counts['skipped']
    return line


def main(argv=None, table=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--src', default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument('--build', default=None)
    ap.add_argument('--suite', action='append',
                    help='run only these suites (repeatable)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args(argv)
    obj = args.build or os.path.join(args.src, 'build', 'obj')
    if table is None:
        table = programs(args.src, obj)
    names = []
    for entry in table:
        if entry[0] not in names:
            names.append(entry[0])
    unknown = [s for s in args.suite or [] if s not in names]
    if unknown:
        ap.error('unknown suite %s (suites: %s)' % (', '.join(unknown),
                                                    ', '.join(names)))

    become_subreaper()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    totals = {OWN: dict.fromkeys(KINDS, 0)}
    for suite, prog, env, limit in table:
        if args.suite and suite not in args.suite:
            continue
        for group, counts in run(suite, prog, env, limit,
                                 args.verbose).items():
            total = totals.setdefault(group, dict.fromkeys(KINDS, 0))
            for k, v in counts.items():
                total[k] += v
    for group, counts in totals.items():
        if group != OWN:
            print('%s (not counted below): %s' % (UPSTREAM_SUITES[group],
                                                  summary(counts)))
    print(summary(totals[OWN]))
    return 1 if any(c['failed'] for c in totals.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
