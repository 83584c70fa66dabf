# SPDX-License-Identifier: GPL-2.0-or-later
"""What the demo, the benchmarks and the end-to-end tests share.

The scripts live in demo/, bench/, tests/e2e/ and tests/libvirt/ and each
reaches this one module with a single sys.path line of its own; nothing
else is put on the path but QEMU's own python library, which comes with
the upstream tree that ./configure unpacks next to the build directory
(BUILD/../qemu-VERSION/python, VERSION from configure's QEMU_VERSION=).
From it: qemu.machine's QEMUMachine (and QEMUQtestMachine) start QEMU and
hold its QMP (and qtest) connection; nothing here speaks QMP by hand.

- arguments: parser() with --build, migration_options() with what the
  demo, the migration benchmark and the libvirt test share, parse();
- a network namespace of the run's own: enter(), inside(), add_tap();
  every QEMU dies with the run (die_with_parent, DIE_WITH_PARENT);
- QEMU processes: machine() and qtest_machine() (qemu.machine with the
  above), vf_server() (an x-remote QEMU serving an i40e-vf over
  vfio-user), run_to_end() (a guest that runs to its own end),
  kernel_trouble() (what in a guest's console says its kernel is in
  trouble);
- guests: build_guest() (tests/e2e/build-guest.sh), build_demo_guest();
- Tap: TAP output (scripts/check.py shows a failed check's '#' lines).
"""

import argparse
import ctypes
import importlib.util
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
E2E = os.path.join(SRC, 'tests', 'e2e')
DEFAULT_BUILD = os.path.join(SRC, 'build', 'obj')
VF_MAC = '52:54:00:78:00:02'    # the demo's administrative MAC of a VF


class Error(Exception):
    """The run could not go on (a QEMU that did not start, a QMP command
    that failed): not a verdict on what is tested."""


# -- QEMU's python library -------------------------------------------------

def qemu_version():
    """QEMU_VERSION= of ./configure: the upstream release the tree is
    built on."""
    with open(os.path.join(SRC, 'configure')) as f:
        for line in f:
            if line.startswith('QEMU_VERSION='):
                return line.split('=', 1)[1].strip().strip('"\'')
    raise Error('configure has no QEMU_VERSION= line')


def upstream_tree(build):
    """The unpacked upstream tree of a build directory (build/obj next to
    build/qemu-VERSION)."""
    return os.path.join(os.path.dirname(os.path.abspath(build)),
                        'qemu-' + qemu_version())


def use_qemu_python(build):
    """Puts the upstream tree's python/ (qemu.qmp, qemu.machine) first on
    sys.path; it needs nothing outside the standard library."""
    path = os.path.join(upstream_tree(build), 'python')
    if not os.path.isdir(os.path.join(path, 'qemu', 'machine')):
        sys.exit('%s: no %s (QEMU\'s python library): run make first' %
                 (os.path.basename(sys.argv[0]), path))
    if path not in sys.path:
        sys.path.insert(0, path)
    # qemu.machine logs a QEMU that ended on a signal (we kill them) and
    # qemu.qmp a connection that dropped (a QEMU that quit): not ours to
    # show
    logging.getLogger('qemu').setLevel(logging.ERROR)


# -- arguments -------------------------------------------------------------

def parser(doc, raw=False, build_required=False):
    """An ArgumentParser with --build, the QEMU build directory."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        if raw else argparse.HelpFormatter)
    if build_required:
        ap.add_argument('--build', required=True,
                        help='QEMU build directory')
    else:
        ap.add_argument('--build', default=DEFAULT_BUILD,
                        help='QEMU build directory')
    return ap


def migration_options(ap, logs_help='keep the QEMU logs and consoles in '
                      'LOGS'):
    """The options of a guest migrated under the demo's traffic (demo,
    bench/migration.py, tests/libvirt); --guest and --kver name the guest
    built before the namespace was entered."""
    ap.add_argument('--kernel', default='6.12', help='6.12 or 6.1')
    ap.add_argument('--before', type=float, default=3,
                    help='seconds of traffic before the migration')
    ap.add_argument('--after', type=float, default=5,
                    help='seconds of traffic after it')
    ap.add_argument('--logs', help=logs_help)
    ap.add_argument('--guest', help=argparse.SUPPRESS)
    ap.add_argument('--kver', help=argparse.SUPPRESS)


def parse(ap, name, argv=None):
    """ap's arguments; the build must have a QEMU binary (args.qemu), and
    QEMU's python library is put on the path."""
    args = ap.parse_args(argv)
    args.qemu = os.path.join(args.build, 'qemu-system-x86_64')
    if not os.path.exists(args.qemu):
        sys.exit('%s: no %s: run make first' % (name, args.qemu))
    use_qemu_python(args.build)
    return args


def needs_root(name, what):
    if os.geteuid():
        sys.exit('%s: needs root (%s)' % (name, what))


# -- a network namespace of the run's own ----------------------------------
#
# enter() re-executes the calling script under "unshare --net" and brings
# up its loopback; anything that needs the machine's network (downloading
# a guest kernel from the archive) is done before, while inside() is
# false.  The namespace has no name under /run/netns: the kernel deletes
# it, with every tap, address and route made in it, when its last process
# exits, so a run that is killed leaves nothing behind and two runs never
# see each other's devices.  The machine's own interfaces and routes are
# never touched.  Every QEMU is started so that it gets SIGKILL when the
# run's process dies (die_with_parent, DIE_WITH_PARENT): none outlives it.

_MARK = 'VFIO_I40EVF_OWN_NETNS'
_PR_SET_PDEATHSIG = 1
# qemu.machine's wrapper: the same for a QEMU it starts (setpriv execs it)
DIE_WITH_PARENT = ('setpriv', '--pdeathsig', 'KILL', '--')


def inside():
    """Whether this process is the one enter() re-executed."""
    return os.environ.get(_MARK) == str(os.getpid())


def enter(extra_args=()):
    """Continue this script, with extra_args added to its arguments, in a
    fresh network namespace (needs root)."""
    if inside():
        del os.environ[_MARK]
        subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
        return
    # unshare execs the command in this very process: same pid.
    os.environ[_MARK] = str(os.getpid())
    sys.stdout.flush()
    try:
        os.execvp('unshare', ['unshare', '--net', '--', sys.executable,
                              os.path.abspath(sys.argv[0])] + sys.argv[1:] +
                  list(extra_args))
    except OSError as e:
        sys.exit('cannot run unshare --net: %s' % e)


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def stop(proc, timeout=10):
    """Ask a child to end, and kill it if it does not within timeout."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def add_tap(name, address):
    """A tap device in this namespace, up, with address (CIDR) on the host
    side; returns its name, or None if the kernel does not allow one."""
    for cmd in (['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap'],
                ['ip', 'addr', 'add', address, 'dev', name],
                ['ip', 'link', 'set', name, 'up']):
        if subprocess.run(cmd, stderr=subprocess.DEVNULL).returncode:
            return None
    return name


# -- QEMU processes (qemu.machine) -----------------------------------------

_classes = {}


def _machine_classes():
    """Machine and QtestMachine: QEMUMachine and QEMUQtestMachine as the
    test bed runs them; made once use_qemu_python() has found them."""
    if _classes:
        return _classes
    if not any(os.path.isdir(os.path.join(p, 'qemu', 'machine'))
               for p in sys.path):
        use_qemu_python(DEFAULT_BUILD)
    from qemu.machine import QEMUMachine
    from qemu.machine.machine import AbnormalShutdown
    from qemu.machine.qtest import QEMUQtestMachine
    from qemu.qmp import QMPError
    _classes['Machine'] = _machine_class(QEMUMachine, AbnormalShutdown,
                                         QMPError)
    _classes['QtestMachine'] = _qtest_class(QEMUQtestMachine,
                                            AbnormalShutdown)
    return _classes


def _machine_class(QEMUMachine, AbnormalShutdown, QMPError):
    class Machine(QEMUMachine):
        """A QEMU that dies with the run, its output (console included)
        in LOG_DIR/NAME.log, readable while it runs (output()); QMP
        commands time out, fail with Error, and the events that arrive
        meanwhile are kept in .events, oldest first."""

        def __init__(self, qemu, args, name, log_dir, qmp=True,
                     timeout=30):
            super().__init__(qemu, args, wrapper=DIE_WITH_PARENT,
                             name=name, log_dir=log_dir)
            self.set_qmp_monitor(qmp)
            self.name = name
            self.log = os.path.join(log_dir, name + '.log')
            self.timeout = timeout
            self.events = []

        def _post_launch(self):
            super()._post_launch()
            if self._qmp_connection:
                self._qmp.settimeout(self.timeout)

        def cmd(self, cmd, args_dict=None, **args):
            try:
                ret = super().cmd(cmd, args_dict, **args)
            except (QMPError, OSError, TimeoutError) as e:
                raise Error('%s: %s' % (cmd, e or type(e).__name__)) from e
            self.events += self.get_qmp_events()
            return ret

        def output(self):
            return _read(self.log).replace('\r', '')

        def wait_for(self, path, timeout):
            """Waits for QEMU to create path (a socket)."""
            end = time.monotonic() + timeout
            while not os.path.exists(path):
                if not self.is_running():
                    raise Error('%s exited with %s:\n%s' %
                                (self.name, self.exitcode(),
                                 tail(self.output())))
                if time.monotonic() > end:
                    raise Error('%s: no %s after %ds' %
                                (self.name, path, timeout))
                time.sleep(0.05)

        def stop(self, timeout=10):
            """quit (or SIGTERM without QMP), SIGKILL after timeout."""
            try:
                self.shutdown(timeout=timeout)
            except (AbnormalShutdown, QMPError, OSError):
                pass

    return Machine


def _qtest_class(QEMUQtestMachine, AbnormalShutdown):
    class QtestMachine(QEMUQtestMachine):
        """A QEMU under -accel qtest that dies with the run; its qtest
        commands time out after timeout s and fail with Error unless
        QEMU answers OK; the answer's value is returned."""

        def __init__(self, qemu, args, log_dir, timeout=10):
            super().__init__(qemu, args, wrapper=DIE_WITH_PARENT,
                             name='qtest', base_temp_dir=log_dir)
            self.set_qmp_monitor(False)
            self.timeout = timeout

        def _post_launch(self):
            super()._post_launch()
            self._qtest.settimeout(self.timeout)

        def qtest(self, cmd):
            try:
                reply = super().qtest(cmd).strip()
            except OSError as e:
                raise Error('qtest %r: %s' % (cmd, e)) from e
            if not reply.startswith('OK'):
                raise Error('qtest %r: %r' % (cmd, reply))
            return reply[3:]

        def stop(self, timeout=10):
            try:
                self.shutdown(timeout=timeout)
            except (AbnormalShutdown, OSError):
                pass

    return QtestMachine


def machine(qemu, args, name, log_dir, qmp=True, launch=True):
    """A Machine (qemu.machine.QEMUMachine, see _machine_classes()),
    launched unless launch is false."""
    m = _machine_classes()['Machine'](qemu, args, name, log_dir, qmp=qmp)
    if launch:
        try:
            m.launch()
        except Exception as e:      # qemu.machine's VMLaunchFailure
            raise Error('%s did not start: %s\n%s' %
                        (name, e, tail(m.output()))) from e
    return m


def qtest_machine(qemu, args, log_dir, timeout=10):
    """A QtestMachine (qemu.machine.qtest.QEMUQtestMachine), launched."""
    m = _machine_classes()['QtestMachine'](qemu, args, log_dir, timeout)
    try:
        m.launch()
    except Exception as e:          # qemu.machine's VMLaunchFailure
        raise Error('the qtest VM did not start: %s' % e) from e
    return m


def vf_server(qemu, name, log_dir, sock, netdev=None, mac=VF_MAC, vsi=None,
              timeout=10):
    """An x-remote QEMU serving an i40e-vf (on netdev, with mac and vsi)
    over a vfio-user socket sock; returns it once sock is there."""
    obj = {'qom-type': 'x-vfio-user-server', 'id': 's0', 'device': 'vf0',
           'socket': {'type': 'unix', 'path': sock}}
    dev = 'i40e-vf,id=vf0' + (',netdev=n0' if netdev else '')
    if mac:
        dev += ',mac=' + mac
    if vsi is not None:
        dev += ',vsi-id=%d' % vsi
    args = ['-machine', 'x-remote,vfio-user=on,auto-shutdown=off',
            '-accel', 'tcg', '-nodefaults', '-no-user-config']
    if netdev:
        args += ['-netdev', netdev + ',id=n0']
    args += ['-device', dev, '-object', json.dumps(obj)]
    m = machine(qemu, args, name, log_dir, qmp=False)
    try:
        m.wait_for(sock, timeout)
    except Error:
        m.stop()
        raise
    return m


GUEST_MEM = 512                 # MiB of an e2e guest (a shared memfd)
SERVER_MAC = '52:54:00:76:00:02'
SERVER_START = 10               # seconds for a server to create its socket


def direct_nic(netdev):
    """A guest's arguments for an i40e-vf of its own on netdev."""
    return ['-netdev', netdev + ',id=n0', '-device', 'i40e-vf,netdev=n0']


class VfioUserServer:
    """An x-remote QEMU (vf_server()) serving an i40e-vf on netdev over a
    vfio-user socket in a directory of its own; stopped, and the directory
    removed, on leaving the with block.  nic_args: a guest's arguments
    for a client device on that socket (with its RAM a shared memfd of
    GUEST_MEM MiB, which the server maps); log: what the server printed
    (read on leaving); error: why it did not start, or ended before it was
    stopped, or None."""

    def __init__(self, qemu, netdev, client):
        self.qemu, self.netdev = qemu, netdev
        self.dir = tempfile.mkdtemp(prefix='i40evf-vfu-')
        self.sock = os.path.join(self.dir, 'vfu.sock')
        self.log = ''
        self.error = None
        self.server = None
        client_dev = {'driver': client,
                      'socket': {'type': 'unix', 'path': self.sock}}
        self.nic_args = [
            '-object', 'memory-backend-memfd,id=mem,size=%dM,share=on' %
            GUEST_MEM,
            '-machine', 'memory-backend=mem',
            '-device', json.dumps(client_dev)]

    def __enter__(self):
        try:
            self.server = vf_server(self.qemu, 'server', self.dir, self.sock,
                                    netdev=self.netdev, mac=SERVER_MAC,
                                    timeout=SERVER_START)
        except Error as e:
            self.error = str(e).splitlines()[0]
            self.log = _read(os.path.join(self.dir, 'server.log'))
        return self

    def __exit__(self, *exc):
        if self.server:
            if not self.server.is_running() and not self.error:
                self.error = 'the server exited with %s before the guest ' \
                             'finished' % self.server.exitcode()
            self.server.stop()
            self.log = self.server.output()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def _read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def run_to_end(cmd, timeout, status=False):
    """Runs a QEMU whose guest powers off by itself (-no-reboot, panic=-1)
    and returns what it printed (the serial console on stdio), ending in
    "(timed out after Ns)" if it had to be killed; with status, also
    QEMU's exit status, None if it was killed: (output, status)."""
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout,
                              text=True, errors='replace',
                              preexec_fn=die_with_parent)
        out, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors='replace') if e.stdout else '')
        out += '\n(timed out after %ds)' % timeout
        code = None
    out = out.replace('\r', '')
    return (out, code) if status else out


# What in a guest kernel's log says it or its NIC's driver is in trouble:
# a kernel warning (a transmit timeout is one: NETDEV WATCHDOG), an oops,
# a panic, a request the PF refused, a mailbox that overflowed.
KERNEL_TROUBLE = ('WARNING:', 'Call Trace', 'BUG:', 'Kernel panic',
                  'PF returned error', 'ARQ Overflow')


def kernel_trouble(text):
    """The lines of text (a guest's console or kernel log) that show
    KERNEL_TROUBLE."""
    return [line.strip() for line in text.splitlines()
            if any(w in line for w in KERNEL_TROUBLE)]


def longest_gap(times, since):
    """The longest interval between consecutive times from since - 1 s
    on, the outage a stream saw around a migration at since: (length,
    start, end)."""
    times = [t for t in times if t >= since - 1.0]
    return max([(b - a, a, b) for a, b in zip(times, times[1:])] or
               [(0, since, since)])


def tail(text, lines=15):
    return '\n'.join(text.splitlines()[-lines:])


# -- guests ----------------------------------------------------------------

def build_guest(series, init, out, modules=('iavf',), bins=(), files=()):
    """tests/e2e/build-guest.sh: a Debian kernel of series with modules,
    init as /init, bins in /bin and files where they are, in out/.
    Returns (the kernel's version or None, what the script printed)."""
    env = dict(os.environ)
    if bins:
        env['GUEST_BIN'] = ' '.join(b for b in bins if b)
    if files:
        env['GUEST_FILES'] = ' '.join(files)
    built = subprocess.run(
        [os.path.join(E2E, 'build-guest.sh'), series, init, out] +
        list(modules), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors='replace', env=env)
    log = built.stdout + built.stderr
    if built.returncode or not built.stdout.strip():
        return None, log
    return built.stdout.strip(), log


def build_demo_guest(series, out):
    """The demo's guest (demo/guest-init.sh, flows.c) with iavf and
    virtio-net in out/; returns its kernel's version, exits if it cannot
    be built."""
    demo = os.path.join(SRC, 'demo')
    flows = os.path.join(out, 'flows')
    os.makedirs(out, exist_ok=True)
    subprocess.run(['gcc', '-O2', '-static', '-o', flows,
                    os.path.join(demo, 'flows.c')], check=True)
    kver, log = build_guest(series, os.path.join(demo, 'guest-init.sh'), out,
                            ('iavf', 'virtio_net'), bins=(flows,))
    if not kver:
        sys.stderr.write(log)
        sys.exit('demo: cannot build the guest')
    return kver


def load(path):
    """A script of the tree (SRC-relative path) as a module, for one that
    reuses another's classes (tests/libvirt reuses the demo's)."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(SRC, path))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# -- TAP -------------------------------------------------------------------

class Tap:
    """One line per check, and for a failed check the end of what
    explains it as '#' lines (scripts/check.py shows those under the FAIL
    line)."""

    def __init__(self):
        self.n = 0

    def check(self, ok, name, detail=''):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if not ok and detail:
            for line in detail.splitlines()[-40:]:
                print('# ' + line)
        sys.stdout.flush()

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why))
