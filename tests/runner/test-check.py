#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Self-test of scripts/check.py: fake test programs, written on the fly
into a scratch directory, that each break one rule of the runner (a short
plan, no TAP, TAP only on stderr, a hang, a leftover process...), and the
verdict the runner must give on each.  Prints TAP (one line per case);
python3 -m unittest works too."""

import contextlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'check', os.path.join(SRC, 'scripts', 'check.py'))
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def alive(pid):
    """Whether pid is a process that has not ended (zombies have)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


class Runner(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        check.become_subreaper()
        check.GRACE = 0.5

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='test-check-')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def program(self, body, name='fake'):
        """A shell script that runs body."""
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write('#!/bin/sh\ncd "$(dirname "$0")"\n' + body)
        os.chmod(path, 0o755)
        return path

    def run_one(self, body, limit=20):
        """check.run() on a program; its counts and what it printed."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            groups = check.run('fake', [self.program(body)], {}, limit)
        self.assertEqual(list(groups), ['own'])
        return groups['own'], out.getvalue()

    def pid_of(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return int(f.read())

    def expect(self, counts, passed=0, failed=0, skipped=0):
        self.assertEqual(counts, {'passed': passed, 'failed': failed,
                                  'skipped': skipped})

    def test_good_program_passes(self):
        counts, out = self.run_one('echo 1..2; echo ok 1 - a; echo ok 2 b\n')
        self.expect(counts, passed=2)
        self.assertIn('PASS fake: a', out)
        self.assertNotIn('FAIL', out)

    def test_plan_at_the_end_passes(self):
        counts, _ = self.run_one('echo ok 1 - a; echo ok 2 - b; echo 1..2\n')
        self.expect(counts, passed=2)

    def test_short_plan_fails(self):
        counts, out = self.run_one('echo 1..3; echo ok 1 - a; '
                                   'echo ok 2 - b\n')
        self.expect(counts, passed=2, failed=1)
        self.assertIn('planned 3, got 2', out)

    def test_more_than_planned_fails(self):
        counts, out = self.run_one('echo 1..1; echo ok 1; echo ok 2\n')
        self.expect(counts, passed=2, failed=1)
        self.assertIn('planned 1, got 2', out)

    def test_no_plan_fails(self):
        counts, out = self.run_one('echo ok 1 - a\n')
        self.expect(counts, passed=1, failed=1)
        self.assertIn('no TAP plan', out)

    def test_no_tap_fails(self):
        counts, out = self.run_one('echo hello; echo world >&2\n')
        self.expect(counts, failed=1)
        self.assertIn('no TAP output', out)
        self.assertIn('world', out)     # its stderr is shown

    def test_bail_out_fails(self):
        counts, out = self.run_one('echo 1..1; echo "Bail out! no disk"\n')
        self.expect(counts, failed=1)
        self.assertIn('Bail out! no disk', out)

    def test_skip_all_is_one_skip_with_its_reason(self):
        counts, out = self.run_one('echo "1..0 # SKIP no X710 here"\n')
        self.expect(counts, skipped=1)
        self.assertRegex(out, r'SKIP fake: fake # no X710 here\n')

    def test_empty_plan_without_reason_is_a_visible_skip(self):
        counts, out = self.run_one('echo 1..0\n')
        self.expect(counts, skipped=1)
        self.assertIn('gave no reason', out)

    def test_skipped_case_counts_as_skip(self):
        counts, out = self.run_one('echo 1..2; echo ok 1 a; '
                                   'echo "ok 2 b # SKIP not here"\n')
        self.expect(counts, passed=1, skipped=1)
        self.assertIn('# SKIP not here', out)

    def test_tap_on_stderr_is_ignored(self):
        counts, out = self.run_one(
            'echo 1..1; echo ok 1 - real\n'
            'echo "not ok 2 - from apt" >&2; echo 1..9 >&2\n')
        self.expect(counts, passed=1)
        self.assertNotIn('from apt', out)

    def test_tap_only_on_stderr_fails(self):
        counts, out = self.run_one('echo 1..1 >&2; echo ok 1 - a >&2\n')
        self.expect(counts, failed=1)
        self.assertIn('no TAP output', out)

    def test_failure_shows_diagnostics_and_stderr(self):
        counts, out = self.run_one('echo 1..1; echo "# before"\n'
                                   'echo "not ok 1 - x"; echo "# after"\n'
                                   'echo "** assertion" >&2; exit 1\n')
        self.expect(counts, failed=1)
        self.assertIn('FAIL fake: x\n    # before\n    # after\n', out)
        self.assertIn('    ** assertion', out)

    def test_nonzero_exit_fails(self):
        counts, out = self.run_one('echo 1..1; echo ok 1 - a; exit 3\n')
        self.expect(counts, passed=1, failed=1)
        self.assertIn('exited with status 3', out)

    def test_missing_program_fails(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            counts = check.run('fake', [os.path.join(self.dir, 'none')], {},
                               5)['own']
        self.expect(counts, failed=1)
        self.assertIn('cannot start', out.getvalue())

    def test_hang_is_killed_and_reported(self):
        start = time.monotonic()
        counts, out = self.run_one('echo 1..2; echo ok 1 - a\n'
                                   'sleep 600 & echo $! > sleeper; wait\n',
                                   limit=1)
        self.assertLess(time.monotonic() - start, 10)
        self.expect(counts, passed=1, failed=1)
        self.assertIn('hang: timed out after 1 s', out)
        self.assertFalse(alive(self.pid_of('sleeper')))

    def test_hang_in_another_process_group_is_killed(self):
        # set -m: the background job gets a process group of its own,
        # which killing the program's group alone would miss.
        counts, out = self.run_one('set -m; echo 1..1\n'
                                   'sleep 600 & echo $! > sleeper; wait\n',
                                   limit=1)
        self.expect(counts, failed=1)
        self.assertIn('hang:', out)
        self.assertFalse(alive(self.pid_of('sleeper')))

    def test_leftover_child_is_reported_and_killed(self):
        counts, out = self.run_one('echo 1..1; echo ok 1 - a\n'
                                   'sleep 600 & echo $! > sleeper\n')
        self.expect(counts, passed=1, failed=1)
        self.assertRegex(out, r'leftover processes .*: %d sleep'
                         % self.pid_of('sleeper'))
        self.assertFalse(alive(self.pid_of('sleeper')))

    def test_detached_leftover_is_reported_and_killed(self):
        # A child that leaves the session (a daemon) is adopted by the
        # runner, a child subreaper, and found that way.
        counts, out = self.run_one('echo 1..1; echo ok 1 - a\n'
                                   'setsid sleep 600 &\n'
                                   'echo $! > sleeper; sleep 0.2\n')
        self.expect(counts, passed=1, failed=1)
        self.assertIn('leftover processes', out)
        self.assertFalse(alive(self.pid_of('sleeper')))

    def test_leftover_grandchild_outside_the_session_is_killed(self):
        # Its parent is in the session; it comes to the runner only once
        # that parent is killed.
        counts, out = self.run_one('echo 1..1; echo ok 1 - a\n'
                                   'sh -c "setsid sleep 600 & '
                                   'echo \\$! > sleeper; wait" &\n'
                                   'sleep 0.2\n')
        self.expect(counts, passed=1, failed=1)
        self.assertIn('leftover processes', out)
        self.assertFalse(alive(self.pid_of('sleeper')))

    def test_runner_killed_kills_the_running_program(self):
        # .ci/run's timeout sends SIGTERM to make and the runner; the
        # program's session is not in their process group.
        hang = self.program('echo 1..1; sleep 600 & echo $! > sleeper; '
                            'wait\n')
        code = ('import importlib.util as u, sys\n'
                's = u.spec_from_file_location("check", sys.argv[1])\n'
                'c = u.module_from_spec(s); s.loader.exec_module(c)\n'
                'c.main([], [("fake", [sys.argv[2]], {}, 60)])\n')
        runner = subprocess.Popen(
            [sys.executable, '-c', code,
             os.path.join(SRC, 'scripts', 'check.py'), hang],
            stdout=subprocess.PIPE, text=True)
        sleeper = os.path.join(self.dir, 'sleeper')
        end = time.monotonic() + 10
        while not os.path.exists(sleeper) and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.1)
        runner.terminate()
        out = runner.communicate(timeout=10)[0]
        self.assertEqual(runner.returncode, 128 + 15)
        self.assertIn('FAIL runner: killed by signal 15', out)
        pid = self.pid_of('sleeper')
        end = time.monotonic() + 2
        while alive(pid) and time.monotonic() < end:
            time.sleep(0.05)
        self.assertFalse(alive(pid))

    def test_child_that_ends_in_time_is_no_leftover(self):
        counts, out = self.run_one('echo 1..1; echo ok 1 - a\n'
                                   '(sleep 0.2) &\n')
        self.expect(counts, passed=1)

    def fake_table(self, qos_body):
        good = self.program('echo 1..2; echo ok 1 - a; echo ok 2 - b\n',
                            'good')
        qos = self.program(qos_body, 'qos-test')
        return [('qos', [qos], {}, 10), ('unit', [good], {}, 10)]

    def run_main(self, args, table):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check.main(['--src', SRC] + args, table)
        return status, out.getvalue().splitlines()

    def test_qos_counted_on_its_own_line(self):
        table = self.fake_table('echo 1..4; echo ok 1 /x86_64/pc/ahci\n'
                                'echo ok 2 /x86_64/pc/e1000e; '
                                'echo "not ok 3 /x86_64/pc/igb"\n'
                                'echo ok 4 /x86_64/pc/pci-bus/i40e-vf/nop\n')
        status, lines = self.run_main([], table)
        # The case on the project's node counts as the project's.
        self.assertEqual(lines[-1], '3 passed, 0 failed')
        self.assertEqual(lines[-2], 'upstream qos-test (not counted below): '
                         '2 passed, 1 failed')
        self.assertEqual(status, 1)     # a qos failure still fails

    def test_qos_program_failure_is_upstream(self):
        table = self.fake_table('echo 1..2; echo ok 1 /x86_64/pc/ahci\n')
        status, lines = self.run_main([], table)
        self.assertEqual(lines[-1], '2 passed, 0 failed')
        self.assertEqual(lines[-2], 'upstream qos-test (not counted below): '
                         '1 passed, 1 failed')
        self.assertEqual(status, 1)

    def test_suite_option(self):
        table = self.fake_table('echo 1..1; echo ok 1\n')
        status, lines = self.run_main(['--suite', 'unit'], table)
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], '2 passed, 0 failed')
        self.assertFalse([line for line in lines if 'qos' in line])

    def test_unknown_suite_is_rejected(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), \
                self.assertRaises(SystemExit) as e:
            self.run_main(['--suite', 'quux'], self.fake_table(''))
        self.assertEqual(e.exception.code, 2)
        self.assertIn('unknown suite quux', err.getvalue())


class Limits(unittest.TestCase):
    """The real table: limits that add up, paths derived from configure."""

    def setUp(self):
        self.env = {k: os.environ.pop(k) for k in ('E2E_KERNELS', 'E2E_NICS')
                    if k in os.environ}
        self.obj = os.path.join(SRC, 'build', 'obj')
        self.table = check.programs(SRC, self.obj)

    def tearDown(self):
        for k in ('E2E_KERNELS', 'E2E_NICS'):
            os.environ.pop(k, None)
        os.environ.update(self.env)

    def entries(self, suite):
        return [e for e in self.table if e[0] == suite]

    def option(self, argv, name):
        return int(argv[argv.index(name) + 1])

    def test_limits_fit_the_ci_budget(self):
        total = sum(limit for _, _, _, limit in self.table)
        self.assertLessEqual(total, check.TEST_BUDGET)
        with open(os.path.join(SRC, '.ci', 'run')) as f:
            ci = f.read()
        self.assertIn('timeout --kill-after=60 %dm make check' %
                      check.CI_MINUTES, ci)

    def test_e2e_limit_covers_every_boot(self):
        [(_, argv, _, limit)] = self.entries('e2e')
        boots = 2 * 2 * 2       # kernel series x networks x NICs
        self.assertGreaterEqual(limit,
                                boots * self.option(argv, '--timeout'))
        os.environ['E2E_KERNELS'] = '6.12'
        self.assertLess(check.e2e_limit(), limit)
        os.environ['E2E_KERNELS'] = ''
        self.assertGreater(check.e2e_limit(), 60)

    def test_nested_limits_cover_their_boot(self):
        for _, argv, _, limit in self.entries('nested') + \
                self.entries('dpdk'):
            self.assertGreater(limit, self.option(argv, '--timeout'))

    def test_checkpatch_from_configure_version(self):
        version = subprocess.run(
            ['sed', '-n', 's/^QEMU_VERSION=//p',
             os.path.join(SRC, 'configure')],
            stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        [(_, argv, _, _)] = self.entries('style')
        self.assertEqual(argv[-1], os.path.join(
            SRC, 'build', 'qemu-' + version, 'scripts', 'checkpatch.pl'))


class TapResult(unittest.TestResult):
    """Prints one TAP line per case as it ends."""

    def startTest(self, test):
        super().startTest(test)
        self.bad = []

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.bad.append(self._exc_info_to_string(err, test))

    addError = addFailure

    def stopTest(self, test):
        super().stopTest(test)
        name = test.id().split('.', 1)[1]
        print('%s %d - %s' % ('not ok' if self.bad else 'ok', self.testsRun,
                              name))
        for text in self.bad:
            for line in text.splitlines():
                print('# ' + line)
        sys.stdout.flush()


def main():
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c)
                               for c in (Runner, Limits))
    print('1..%d' % suite.countTestCases())
    result = TapResult()
    suite.run(result)
    # A failure in setUpClass belongs to no case: make it visible.
    for _, text in result.errors:
        if 'setUpClass' in text:
            print('Bail out! ' + text.splitlines()[-1])
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
