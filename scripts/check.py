#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the project's test programs and count their TAP results.

Each program prints TAP (glib tests with --tap, the project's shell and
Python tests natively).  Every test case counts once; a program that dies
without reporting counts as one failure.  The last line is the summary:
"N passed, N failed" (", N skipped" when any were skipped).
"""

import argparse
import os
import re
import subprocess
import sys
import time

TAP_RE = re.compile(r'^(not ok|ok)\b\s*\d*\s*(?:- )?(.*?)(\s+#\s*(SKIP|TODO)\b.*)?$',
                    re.IGNORECASE)


def programs(src, obj):
    """The suites, in the order they run: cheap and specific first."""
    qemu = os.path.join(obj, 'qemu-system-x86_64')
    qtest_env = {'QTEST_QEMU_BINARY': qemu}
    return [
        ('unit', [os.path.join(obj, 'tests/unit/test-virtchnl'), '--tap'],
         {}, 60),
        ('unit', [os.path.join(obj, 'tests/unit/test-i40evf-shadow'),
                  '--tap'], {}, 60),
        ('build', [os.path.join(src, 'scripts/test-configure.sh'), src],
         {}, 120),
        ('qtest', [os.path.join(obj, 'tests/qtest/i40e-vf-test'), '--tap',
                   '-k'], qtest_env, 600),
        ('qtest', [os.path.join(obj, 'tests/qtest/i40e-vf-fault-test'),
                   '--tap', '-k'], qtest_env, 60),
        ('qtest', [os.path.join(obj, 'tests/qtest/vfio-user-msix-test'),
                   '--tap', '-k'], qtest_env, 120),
        ('qtest', [os.path.join(obj, 'tests/qtest/vfio-user-i40evf-test'),
                   '--tap', '-k'], qtest_env, 300),
        ('qtest', [os.path.join(obj, 'tests/qtest/igb-eitr-test'), '--tap',
                   '-k'], qtest_env, 60),
        ('qos', [os.path.join(obj, 'tests/qtest/qos-test'), '--tap', '-k'],
         qtest_env, 900),
        ('e2e', [os.path.join(src, 'tests/e2e/run.py'), '--build', obj],
         {}, 1800),
        ('dpdk', [os.path.join(src, 'tests/e2e/dpdk.py'), '--build', obj],
         {}, 300),
        ('nested', [os.path.join(src, 'tests/e2e/nested.py'), '--build', obj],
         {}, 600),
        ('nested', [os.path.join(src, 'tests/e2e/nested.py'), '--build', obj,
                    '--iavf'], {}, 960),
        ('migration', [os.path.join(src, 'tests/e2e/migration.py'),
                       '--build', obj], {}, 300),
        ('libvirt', [os.path.join(src, 'tests/libvirt/run.py'), '--build',
                     obj], {}, 600),
    ]


def run(suite, argv, env, timeout, verbose):
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    start = time.monotonic()
    full_env = dict(os.environ, **env)
    try:
        proc = subprocess.run(argv, env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout,
                              text=True, errors='replace')
        out, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors='replace') if e.stdout else ''
        status = 'timeout after %ds' % timeout
    except OSError as e:
        out, status = '', str(e)

    # A failing test's own diagnostics ('#' lines) stand around its result
    # line: glib prints them before it, the e2e runner after it.
    lines = out.splitlines()
    results = [i for i, line in enumerate(lines) if TAP_RE.match(line.strip())]
    reported = bool(results)
    for k, i in enumerate(results):
        m = TAP_RE.match(lines[i].strip())
        name = '%s: %s' % (suite, m.group(2).strip())
        if m.group(4) and m.group(4).upper() == 'SKIP':
            counts['skipped'] += 1
            print('SKIP ' + name + (m.group(3) or ''))
        elif m.group(1).lower() == 'ok':
            counts['passed'] += 1
            print('PASS ' + name)
        else:
            counts['failed'] += 1
            print('FAIL ' + name)
            first = results[k - 1] + 1 if k else 0
            end = results[k + 1] if k + 1 < len(results) else len(lines)
            diag = [line for line in lines[first:end]
                    if line.startswith(('#', '**', 'ERROR', 'Bail out'))]
            for line in diag[-40:]:
                print('    ' + line)
    if verbose:
        for line in lines:
            if not TAP_RE.match(line.strip()):
                print('    ' + line)
    if status != 0 and (not reported or counts['failed'] == 0):
        counts['failed'] += 1
        print('FAIL %s: %s exited with %s' % (suite, argv[0], status))
        for line in out.splitlines()[-20:]:
            print('    ' + line)
    print('# %s: %.1fs' % (suite, time.monotonic() - start))
    sys.stdout.flush()
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--src', default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument('--build', default=None)
    ap.add_argument('--suite', action='append',
                    help='run only these suites (repeatable)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    obj = args.build or os.path.join(args.src, 'build', 'obj')

    total = {'passed': 0, 'failed': 0, 'skipped': 0}
    for suite, argv, env, timeout in programs(args.src, obj):
        if args.suite and suite not in args.suite:
            continue
        for k, v in run(suite, argv, env, timeout, args.verbose).items():
            total[k] += v
    summary = '%d passed, %d failed' % (total['passed'], total['failed'])
    if total['skipped']:
        summary += ', %d skipped' % total['skipped']
    print(summary)
    return 1 if total['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
