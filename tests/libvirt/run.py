#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt test: the documented domain XML, started by a real libvirtd
(Debian's 9.0) on "host A" and live-migrated with 'virsh migrate --live'
to "host B" under verified traffic.

What it does, as root on Debian 12 (installs Debian's libvirt packages
with scripts/install-deps.sh if they are missing, and builds the demo's
guest, before it leaves the machine's network):

* installs the build with scripts/install.sh (make install) into an
  overlay of /usr/local that only the test sees, and once more into a
  DESTDIR, and checks that the emulator finds its firmware relative to
  itself;
* starts two libvirtd, each in a mount namespace of its own with its own
  /etc, /run and /var (tests/libvirt/libvirtd.sh) and its own host UUID;
* checks that the XML in docs/system/devices/vfio-i40evf.rst is the
  example files', that 'virsh define' accepts both examples, and what
  libvirt makes of them (domxml-to-native);
* the demo's guest (a Debian kernel with the real iavf driver, and
  demo/flows.c) as the vfio-user example domain, with vfio-user-i40evf
  via <qemu:commandline> on host A's VF (an x-remote QEMU serving an
  i40e-vf), the demo's peer exchanging checksummed TCP and UDP traffic
  with it; 'virsh migrate --live --xml' to host B's VF (another x-remote
  QEMU, another VSI, the same administrative MAC); the traffic is checked
  as make demo checks it, and so is a driver reset, from evidence: the
  device's counters (vf-resets, requests failed or unanswered), the
  guest's carrier_changes and its kernel's warnings;
* a domain whose device cannot migrate (plain vfio-user-pci): libvirt
  must refuse 'virsh migrate' with the device's migration blocker;
* the <hostdev> + <qemu:override> example (kernel VFIO) on two X710 VFs
  of the machine, where there are two (skipped otherwise): it must
  migrate, a migration blocker is a failure.

Everything runs in namespaces of the test's own (network, mount, PID):
the taps, bridge and peer live in its network namespace, its files in a
tmpfs on its own /tmp (a checkout or build under /tmp stays visible at
its path), and when it ends, killed or not, the kernel ends
every process in it (libvirtd, QEMU) and drops the mounts.  Prints TAP.
"""

import ctypes
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
sys.dont_write_bytecode = True  # nothing written in the source tree
import testbed  # noqa: E402

demo = testbed.load('demo/demo.py')    # its peer, sniffer and analysis
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = testbed.SRC

DOCS = os.path.join(SRC, 'docs', 'system', 'devices')
RST = os.path.join(DOCS, 'vfio-i40evf.rst')
EXAMPLE = os.path.join(DOCS, 'vfio-i40evf-libvirt.xml')
EXAMPLE_HOSTDEV = os.path.join(DOCS, 'vfio-i40evf-libvirt-hostdev.xml')
PREFIX = '/usr/local'
EMULATOR = PREFIX + '/bin/qemu-system-x86_64-i40evf'
QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'
HOSTS = {'a': '8f3c2a10-6d1e-4b7a-9c35-0a1b2c3d4e01',
         'b': '8f3c2a10-6d1e-4b7a-9c35-0a1b2c3d4e02'}
MIGRATION_PORT = 49152          # host B's QEMU listens on the loopback
BLOCKER = "the device's state cannot be migrated"   # patches/0005
DAEMON_START = 30               # s for a libvirtd to answer
VIRSH_TIMEOUT = 120
X710_VF = ('0x8086', '0x154c')
_MARK = 'VFIO_I40EVF_LIBVIRT_NS'
MS_BIND, MS_REC = 0x1000, 0x4000    # mount(2) flags
# A destination device's vf-resets before any state reached it: the
# machine's reset at start (the demo's query-b-before shows the same)
FRESH_RESETS = 1


class TestError(Exception):
    """The test could not go on."""


def sh(cmd, **kw):
    """Runs cmd; returns (exit status, stdout + stderr)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           errors='replace', timeout=kw.pop('timeout',
                                                            VIRSH_TIMEOUT),
                           **kw)
    except subprocess.TimeoutExpired as e:
        return 124, '%s: timed out after %ds' % (' '.join(cmd), e.timeout)
    except OSError as e:
        return 127, '%s: %s' % (cmd[0], e)
    return p.returncode, p.stdout


# -- namespaces ------------------------------------------------------------

def propagation():
    """What unshare --propagation gets: 'private' makes the new mount
    namespace's mounts invisible outside; in a chroot (fresh-check) '/'
    is no mount point and cannot be made private, and where no mount is
    shared (hosts without systemd) 'unchanged' keeps them invisible too."""
    with open('/proc/self/mountinfo') as f:
        mounts = [line.split() for line in f]
    if any(m[4] == '/' for m in mounts):
        return 'private'
    if any(field.startswith('shared:') for m in mounts for field in m[6:]):
        sys.exit('a chroot whose mounts are shared with the host: the '
                 'test\'s mounts would show outside it')
    return 'unchanged'


def enter(extra_args):
    """Continue this script, with extra_args added, as PID 1 of new
    network, mount and PID namespaces (their private /proc included);
    if unshare itself is killed, so is everything in them."""
    os.environ[_MARK] = '1'
    sys.stdout.flush()
    try:
        os.execvp('unshare', ['unshare', '--net', '--mount', '--propagation',
                              propagation(), '--pid', '--fork',
                              '--kill-child',
                              '--mount-proc', '--', sys.executable,
                              os.path.abspath(sys.argv[0])] + sys.argv[1:] +
                  list(extra_args))
    except OSError as e:
        sys.exit('cannot run unshare: %s' % e)


def inside():
    return os.environ.get(_MARK) == '1' and os.getpid() == 1


def init():
    """PID 1 of the namespaces: the test runs in a child; orphans (libvirt
    daemonizes its QEMUs) are reaped here, and SIGTERM, SIGINT and SIGHUP
    passed on to the test.  When the test ends, so does PID 1, and the
    kernel kills whatever is left.  Returns in the child only."""
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        return
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, lambda n, _: os.kill(child, n))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)


def private_tmp(guest_outside, keep):
    """A tmpfs on /tmp that only these namespaces see, for every file of
    the test; the guest built outside moves into it.  keep: directories
    the test reads and runs from (the checkout, the build), which stay
    where they are when they are under /tmp: each is bind-mounted into
    the new /tmp at its own path, from a descriptor opened before the
    tmpfs hid it."""
    old_tmp = os.open(os.path.dirname(guest_outside), os.O_RDONLY)
    gfd = os.open(guest_outside, os.O_RDONLY)
    kept = []
    for path in sorted(set(os.path.realpath(p) for p in keep)):
        if path.startswith('/tmp/') and \
                not any(path.startswith(k + '/') for k, _ in kept):
            kept.append((path, os.open(path, os.O_RDONLY | os.O_DIRECTORY)))
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=1777', 'tmpfs',
                    '/tmp'], check=True)
    for path, fd in kept:
        os.makedirs(path)
        bind_mount('/proc/self/fd/%d' % fd, path)
        os.close(fd)
    guest = '/tmp/guest'
    os.mkdir(guest)
    for name in os.listdir(gfd):
        with open(os.open(name, os.O_RDONLY, dir_fd=gfd), 'rb') as src, \
                open(os.path.join(guest, name), 'wb') as dst:
            shutil.copyfileobj(src, dst)
        os.unlink(name, dir_fd=gfd)
    os.rmdir(os.path.basename(guest_outside), dir_fd=old_tmp)
    os.close(gfd)
    os.close(old_tmp)
    return guest


def bind_mount(source, target):
    """mount --bind, by the system call: the kernel follows a
    /proc/self/fd link to the directory itself (mount(8) would resolve
    its path, which the tmpfs now hides)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(source.encode(), target.encode(), None,
                  MS_BIND | MS_REC, None):
        err = ctypes.get_errno()
        raise OSError(err, 'bind mount of %s on %s: %s' %
                      (source, target, os.strerror(err)))


# -- make install ----------------------------------------------------------

def data_dirs(emulator):
    """The firmware directories the emulator searches, links resolved."""
    rc, out = sh([emulator, '-L', 'help'], timeout=30)
    return [os.path.realpath(d) for d in out.split()] if rc == 0 else []


def test_install(tap, obj):
    """make install into an overlay of /usr/local (the machine's stays as
    it is), and into a DESTDIR."""
    for d in ('up', 'work'):
        os.makedirs('/tmp/usr-local/' + d)
    subprocess.run(['mount', '-t', 'overlay', 'overlay', '-o',
                    'lowerdir=%s,upperdir=/tmp/usr-local/up,'
                    'workdir=/tmp/usr-local/work' % PREFIX, PREFIX],
                   check=True)
    rc, out = sh([os.path.join(SRC, 'scripts/install.sh'), obj, PREFIX])
    firmware = PREFIX + '/lib/vfio-i40evf/share/qemu'
    docs = PREFIX + '/share/doc/vfio-i40evf/'
    ok = (rc == 0 and os.access(EMULATOR, os.X_OK) and
          firmware in data_dirs(EMULATOR) and
          all(os.path.exists(os.path.join(firmware, f))
              for f in ('bios-256k.bin', 'linuxboot_dma.bin')) and
          all(os.path.exists(docs + os.path.basename(f))
              for f in (EXAMPLE, EXAMPLE_HOSTDEV, RST)))
    tap.check(ok, 'make install: %s, firmware in %s, docs and example XML '
              'in %s' % (EMULATOR, firmware, docs),
              out + '\nsearches: %s' % data_dirs(EMULATOR))
    if not ok:
        raise TestError('the emulator is not installed')
    dest = '/tmp/destdir'
    rc, out = sh([os.path.join(SRC, 'scripts/install.sh'), obj, PREFIX],
                 env=dict(os.environ, DESTDIR=dest))
    moved = dest + firmware
    tap.check(rc == 0 and moved in data_dirs(dest + EMULATOR),
              'make install DESTDIR=%s: the emulator there finds its '
              'firmware there' % dest,
              out + '\nsearches: %s' % data_dirs(dest + EMULATOR))
    shutil.rmtree(dest)


# -- the hosts -------------------------------------------------------------

class Host:
    """A libvirtd of its own (libvirtd.sh) and virsh on it."""

    def __init__(self, name, uuid):
        self.name = name
        self.uuid = uuid
        self.dir = '/tmp/host-%s' % name
        self.sock = os.path.join(self.dir, 'sock', 'libvirt-sock')
        self.uri = 'qemu+unix:///system?socket=' + self.sock
        os.makedirs(self.dir)
        self.log = open(os.path.join(self.dir, 'libvirtd.out'), 'w')
        self.proc = subprocess.Popen(
            ['unshare', '--mount', '--propagation', propagation(), 'sh',
             os.path.join(HERE, 'libvirtd.sh'), self.dir, uuid],
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, preexec_fn=testbed.die_with_parent)

    def wait(self):
        end = time.monotonic() + DAEMON_START
        while True:
            if os.path.exists(self.sock):
                # (virsh version wants a qemu-system-x86_64 on PATH)
                rc, out = self.virsh('uri')
                if rc == 0:
                    return out
            if self.proc.poll() is not None or time.monotonic() > end:
                raise TestError('libvirtd of host %s %s:\n%s' % (
                    self.name, 'exited' if self.proc.poll() is not None
                    else 'does not answer', self.diagnostics()))
            time.sleep(0.2)

    def virsh(self, *args, timeout=VIRSH_TIMEOUT):
        return sh(['virsh', '-c', self.uri] + list(args), timeout=timeout)

    def monitor(self, domain, command, arguments=None):
        """A QMP command to the domain's QEMU, through libvirt."""
        msg = {'execute': command}
        if arguments:
            msg['arguments'] = arguments
        rc, out = self.virsh('qemu-monitor-command', domain, json.dumps(msg))
        if rc:
            raise TestError('host %s: %s: %s' % (self.name, command, out))
        return json.loads(out)['return']

    def state(self, domain):
        rc, out = self.virsh('domstate', domain)
        return out.strip() if rc == 0 else 'none'

    def qemu_log(self, domain):
        path = os.path.join(self.dir, 'state/var/log/libvirt/qemu/%s.log' %
                            domain)
        try:
            with open(path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def diagnostics(self, domain=None):
        text = ''
        for path in ('libvirtd.out', 'libvirtd.log'):
            try:
                with open(os.path.join(self.dir, path),
                          errors='replace') as f:
                    lines = [line for line in f if 'ethtool' not in line]
                text += ''.join('%s: %s' % (path, line)
                                for line in lines[-15:])
            except OSError:
                pass
        if domain:
            text += ''.join('qemu: %s\n' % line for line in
                            self.qemu_log(domain).splitlines()[-15:])
        return text

    def clean(self):
        """Destroys and undefines every domain, stops the daemon."""
        if self.proc.poll() is None and os.path.exists(self.sock):
            for flag in ('--state-running', '--all'):
                rc, out = self.virsh('list', '--name', flag, timeout=30)
                for name in out.split() if rc == 0 else []:
                    self.virsh('destroy' if flag == '--state-running'
                               else 'undefine', name, timeout=30)
        testbed.stop(self.proc, 20)
        self.log.close()


# -- domain XML ------------------------------------------------------------

ET.register_namespace('qemu', QEMU_NS)


def edit_xml(text, name=None, kernel=None, initrd=None, cmdline=None,
             console=None, socket=None, driver=None, hostdev=None):
    """The domain XML text with these replaced: its name, boot files and
    command line, the serial console's file, the vfio-user device's
    socket and driver (in <qemu:commandline>), the <hostdev>'s address
    ('DDDD:BB:SS.F')."""
    root = ET.fromstring(text)
    os_ = root.find('os')
    for tag, value in (('name', name), ('kernel', kernel),
                       ('initrd', initrd), ('cmdline', cmdline)):
        if value is not None:
            (root if tag == 'name' else os_).find(tag).text = value
    if console:
        root.find('devices/serial/source').set('path', console)
    for arg in root.iter('{%s}arg' % QEMU_NS):
        value = arg.get('value')
        if value.startswith('{'):
            dev = json.loads(value)
            if socket:
                dev['socket']['path'] = socket
            if driver:
                dev['driver'] = driver
            arg.set('value', json.dumps(dev))
    if hostdev:
        m = re.match(r'^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$',
                     hostdev)
        addr = root.find('devices/hostdev/source/address')
        for key, value in zip(('domain', 'bus', 'slot', 'function'),
                              m.groups()):
            addr.set(key, '0x' + value)
    return ET.tostring(root, encoding='unicode')


def rst_xml_blocks():
    """The XML literal blocks of the rst's libvirt section."""
    with open(RST) as f:
        text = f.read()
    blocks = []
    for m in re.finditer(r'::\n\n((?:(?: {4}.*)?\n)+)', text):
        block = '\n'.join(line[4:] for line in m.group(1).splitlines())
        if block.lstrip().startswith('<!--') and '<domain' in block:
            blocks.append(block.strip() + '\n')
    return blocks


def test_docs(tap, host):
    """The rst shows the example files; virsh define takes them; what
    libvirt makes of them."""
    examples = []
    for path in (EXAMPLE, EXAMPLE_HOSTDEV):
        with open(path) as f:
            examples.append(f.read())
    blocks = rst_xml_blocks()
    tap.check(blocks == examples, 'the XML in %s is %s and %s' % (
        os.path.relpath(RST, SRC), os.path.basename(EXAMPLE),
        os.path.basename(EXAMPLE_HOSTDEV)),
        '%d XML blocks in the rst, %d of them equal to an example' %
        (len(blocks), sum(b in examples for b in blocks)))
    for path, name, device in (
            (EXAMPLE, 'i40evf-vm', '"driver": "vfio-user-i40evf"'),
            (EXAMPLE_HOSTDEV, 'i40evf-vm-hostdev',
             '"driver":"vfio-i40evf"')):
        rc, out = host.virsh('define', path)
        rc2, argv = host.virsh('domxml-to-native', 'qemu-argv', '--domain',
                               name)
        host.virsh('undefine', name)
        tap.check(rc == 0 and rc2 == 0 and device in argv and
                  EMULATOR in argv,
                  'virsh define %s; libvirt runs %s with -device {%s}' %
                  (os.path.basename(path), EMULATOR, device),
                  out + argv)


# -- the vfio-user domain, migrated under traffic --------------------------

class Domain:
    """A libvirt domain, seen as demo.Peer expects a VM (a
    qemu.machine.QEMUMachine): is_running(), exitcode() and output() (its
    console)."""

    def __init__(self, host, name, console):
        self.host = host
        self.name = name
        self.console = console

    def is_running(self):
        return self.host.state(self.name) in ('running', 'paused')

    def exitcode(self):
        return None if self.is_running() else 1

    def output(self):
        try:
            with open(self.console, errors='replace') as f:
                return f.read().replace('\r', '')
        except OSError:
            return ''


class Scenario(demo.Scenario):
    """The demo's VF scenario, with libvirt starting and migrating the VM:
    the demo's servers, peer, sniffer and analysis."""

    def __init__(self, args, hosts, tap, guest):
        super().__init__(args, 'vf', '/tmp')
        self.hosts = hosts
        self.tap_out = tap
        self.guest = guest

    def qemu(self):
        return EMULATOR

    def device_pairs(self):
        """demo.Scenario's, as libvirt lets them be seen: the source's
        QEMU ends with the migration, so its counts are those just before
        virsh migrate; libvirt starts the destination's within it, so
        before the switchover that device had counted what a fresh one
        does (FRESH_RESETS, no request)."""
        r = self.r
        a = demo.counts(r.get('query-a'))
        pairs = [('source (until virsh migrate)', a, a)]
        if r['status'] == 'completed':
            pairs.append(('destination', {'vf-resets': FRESH_RESETS,
                                          'failed': 0, 'unanswered': 0},
                          demo.counts(r.get('query-b'))))
        return pairs

    def run(self):
        r, a, b = self.r, self.hosts['a'], self.hosts['b']
        name = 'i40evf-vm'
        sock_a = self.server('a', demo.VSI_A)
        sock_b = self.server('b', demo.VSI_B)
        self.peer = peer = self.peer_class(self.ip)
        sniffer = None
        console_a, console_b = '/tmp/console-a.log', '/tmp/console-b.log'
        try:
            vm = self.start_a(name, sock_a, console_a)
            if vm is None:
                return
            time.sleep(self.args.before)
            r['query-a'] = a.monitor(name, 'x-query-vfio-i40evf')
            sniffer = demo.Sniffer('vf-b', self.mac)
            state_b = self.migrate_to_b(name, sock_b, console_b)
            time.sleep(self.args.after)
            r['running-b'] = state_b
            # the device's counters once the traffic ran on there
            if state_b == 'running':
                r['query-b'] = b.monitor(name, 'x-query-vfio-i40evf')
            vm_b = Domain(b, name, console_b)
            peer.end_streams(demo.END_TIMEOUT)
            sniffer.close()
            r['sniffed'] = sniffer.seen
            guest = vm_b if r['status'] == 'completed' else vm
            end = time.monotonic() + demo.END_TIMEOUT
            while 'DEMO done' not in guest.output() and \
                    time.monotonic() < end:
                time.sleep(0.1)
            time.sleep(0.3)             # late datagrams
            peer.close()
            r['console'] = vm.output() + vm_b.output()
            self.analyse(peer)
            self.report(self.tap_out)
        finally:
            peer.close()
            if sniffer:
                sniffer.close()
            for h in (a, b):
                h.virsh('destroy', name)
                h.virsh('undefine', name)
            for p in self.procs:
                p.stop()

    def start_a(self, name, sock, console):
        """The example domain defined and started on host A, on its VF's
        socket, until the guest's traffic flows; returns it (Domain), or
        None if it did not get that far."""
        a, peer = self.hosts['a'], self.peer
        cmdline = ('console=ttyS0 quiet panic=-1 demo.ip=%s demo.host=%s '
                   'demo.tcp=%d demo.udp=%d demo.pps=%d demo.bps=%d '
                   'demo.limit=%d' % (self.ip, demo.PEER, demo.TCP_PORT,
                                      demo.UDP_PORT, demo.PPS, demo.BPS,
                                      demo.BOOT_TIMEOUT + 120))
        with open(EXAMPLE) as f:
            xml_a = edit_xml(f.read(), kernel=self.guest + '/vmlinuz',
                             initrd=self.guest + '/initrd', cmdline=cmdline,
                             console=console, socket=sock)
        with open('/tmp/vm-a.xml', 'w') as f:
            f.write(xml_a)
        rc, out = a.virsh('define', '/tmp/vm-a.xml')
        rc2, out2 = a.virsh('start', name) if rc == 0 else (1, '')
        vm = Domain(a, name, console)
        if rc == 0 and rc2 == 0:
            try:
                peer.accept(vm, demo.BOOT_TIMEOUT)
            except demo.DemoError as e:
                out2 += str(e)
        self.tap_out.check(peer.conn is not None, 'host A: virsh define and '
                           'start the example domain (vfio-user-i40evf); the '
                           'guest\'s iavf is up and its traffic flows',
                           out + out2 + a.diagnostics(name))
        return vm if peer.conn is not None else None

    def migrate_to_b(self, name, sock, console):
        """virsh migrate --live --xml of the domain to host B, on B's VF's
        socket; returns its state on B."""
        r, a, b = self.r, self.hosts['a'], self.hosts['b']
        # host B's XML: the migratable XML of the running domain, with
        # B's socket and console
        rc, xml = a.virsh('dumpxml', '--migratable', name)
        with open('/tmp/vm-b.xml', 'w') as f:
            f.write(edit_xml(xml, console=console, socket=sock))
        r['t-migrate'] = time.monotonic()
        rc, out = a.virsh(
            'migrate', '--live', '--persistent', '--undefinesource',
            '--xml', '/tmp/vm-b.xml', name, b.uri,
            '--migrateuri', 'tcp://127.0.0.1:%d' % MIGRATION_PORT,
            '--listen-address', '127.0.0.1')
        r['t-complete'] = time.monotonic()
        r['clock'] = time.time() - time.monotonic()
        r['events-a'] = r['events-b'] = []
        r['status'] = 'completed' if rc == 0 else 'failed'
        if rc:
            r['problems'].append('virsh migrate failed: %s' % out.strip())
        state_a, state_b = a.state(name), b.state(name)
        q = b.monitor(name, 'x-query-vfio-i40evf') \
            if state_b == 'running' else [{}]
        r['query-b'] = q
        vsi = q[0].get('shadow', {}).get('vsi-id')
        self.tap_out.check(
            rc == 0 and state_b == 'running' and state_a == 'none' and
            vsi == demo.VSI_B,
            'virsh migrate --live --xml to host B: the domain runs there on '
            'B\'s VF (vsi-id %s), and is gone from A' % vsi,
            '%s\nstate on A: %s, on B: %s\n%s%s' %
            (out, state_a, state_b, a.diagnostics(name),
             b.diagnostics(name)))
        rc, jobinfo = b.virsh('domjobinfo', '--completed', name)
        r['migration'] = jobinfo
        if state_b == 'running':
            r['caps-b'] = [c['capability'] for c in b.monitor(
                name, 'query-migrate-capabilities') if c['state']]
        return state_b

    def report(self, tap):
        r = self.r
        up, down, tcp = r['udp-up'], r['udp-down'], r['tcp']
        figures = [
            'UDP guest->peer sent/recv/lost/dup/bad %d/%d/%d/%d/%d, '
            'longest outage %s ms' % (up['sent'], up['received'], up['lost'],
                                      up['dup'], up['corrupt'],
                                      demo.ms(up['outage'])),
            'UDP peer->guest sent/recv/lost/dup/bad %d/%d/%d/%d/%d, '
            'longest outage %s ms' % (down['sent'], down['received'],
                                      down['lost'], down['dup'],
                                      down['corrupt'],
                                      demo.ms(down['outage'])),
            'TCP %s (%.1f + %.1f MiB), longest stall guest->peer %s ms' %
            ('intact' if tcp['intact'] else 'BROKEN',
             tcp['to-guest'] / 2**20, tcp['from-guest'] / 2**20,
             demo.ms(tcp['stall']))]
        figures += ['virsh domjobinfo --completed on B: ' +
                    re.sub(r'\s+', ' ', line.strip()) for line in
                    (r.get('migration') or '').splitlines()
                    if line.startswith(('Time elapsed:', 'Total downtime',
                                        'Memory processed'))]
        figures.append('migration capabilities libvirt set on B: %s' %
                       ', '.join(r.get('caps-b', [])))
        # the demo's words for what virsh migrate did
        words = {"QMP 'migrate' on the source": 'virsh migrate on host A',
                 "query-migrate says 'completed'": 'virsh migrate returns'}
        timeline = ['%7.3f  %s' % (t, words.get(what, what))
                    for t, what in r.get('timeline', [])]
        traffic = [p for p in r['problems'] if p != r.get('reset-problem')]
        tap.check(not traffic, 'traffic across the migration: TCP '
                  'stream intact both ways, UDP neither corrupted nor '
                  'duplicated, lost only around the switchover, traffic '
                  'both ways after it',
                  '\n'.join(traffic + figures))
        if not traffic:
            for line in figures:
                print('# ' + line)
        # from evidence (demo.reset_guest, reset_device): the device's
        # counters, the guest's carrier_changes, its kernel's warnings
        b = r.get('counts', {}).get('destination', {}).get('after') or {}
        tap.check(isinstance(r.get('resets'), list) and not r['resets'],
                  'the guest\'s driver did not reset: vf-resets on B %s '
                  '(a fresh device\'s %d), no request failed or unanswered, '
                  'carrier_changes %s -> %s, no kernel warning' %
                  (b.get('vf-resets'), FRESH_RESETS,
                   r['guest'].get('carrier-changes-start'),
                   r['guest'].get('carrier-changes-end')),
                  '\n'.join(r.get('resets', []) +
                            ['guest kernel: ' + k for k in r['kernel']] +
                            ['timeline, s after virsh migrate:'] + timeline))


# -- a device that cannot migrate ------------------------------------------

def serve(qemu, name, vsi):
    """An x-remote QEMU serving an i40e-vf with no network; returns it and
    its socket."""
    sock = '/tmp/%s.sock' % name
    return testbed.vf_server(qemu, name, '/tmp', sock, mac=demo.VF_MAC,
                             vsi=vsi), sock


def test_blocker(tap, hosts, guest):
    """A VF on plain vfio-user-pci, whose state nothing migrates: QEMU
    registers a migration blocker, and libvirt must refuse with it."""
    a, b = hosts['a'], hosts['b']
    name = 'i40evf-vm-blocked'
    server, sock = serve(EMULATOR, 'blocked-server', demo.VSI_A)
    try:
        with open(EXAMPLE) as f:
            xml = edit_xml(f.read(), name=name, kernel=guest + '/vmlinuz',
                           initrd=guest + '/initrd',
                           console='/tmp/console-blocked.log', socket=sock,
                           driver='vfio-user-pci')
        with open('/tmp/vm-blocked.xml', 'w') as f:
            f.write(xml)
        # paused: its blocker is there from the start, and the guest
        # cannot end the domain meanwhile
        rc, out = a.virsh('create', '--paused', '/tmp/vm-blocked.xml')
        reasons = []
        if rc == 0:
            reasons = a.monitor(name, 'query-migrate').get('blocked-reasons',
                                                           [])
            rc, out = a.virsh('migrate', '--live', name, b.uri,
                              '--migrateuri',
                              'tcp://127.0.0.1:%d' % MIGRATION_PORT,
                              '--listen-address', '127.0.0.1')
            rc = 0 if rc else 1
        tap.check(rc == 0 and any(BLOCKER in x for x in reasons) and
                  BLOCKER in out and a.state(name) == 'paused' and
                  b.state(name) == 'none',
                  'a device that cannot migrate (vfio-user-pci): virsh '
                  'migrate refused with its blocker, the domain stays on A',
                  'blocked-reasons: %s\nvirsh migrate: %s\n%s' %
                  (reasons, out, a.diagnostics(name)))
        print('# virsh migrate: %s' % out.strip().replace('\n', '\n# '))
    finally:
        a.virsh('destroy', name)
        server.stop()


# -- kernel VFIO -----------------------------------------------------------

def x710_vfs():
    """The machine's X710 VFs, 'DDDD:BB:SS.F'."""
    vfs = []
    for dev in sorted(glob.glob('/sys/bus/pci/devices/*')):
        try:
            ids = tuple(open(os.path.join(dev, f)).read().strip()
                        for f in ('vendor', 'device'))
        except OSError:
            continue
        if ids == X710_VF:
            vfs.append(os.path.basename(dev))
    return vfs


def test_hostdev(tap, hosts, guest):
    """The <hostdev> example on one VF, then virsh migrate to another: a
    vfio-i40evf domain must migrate; a blocker (the test sets up none) is
    a failure."""
    title = ('kernel VFIO: the <hostdev> + <qemu:override> example runs '
             'vfio-i40evf, with no migration blocker; virsh migrate --live '
             '--xml to another VF: it runs there, gone from the first')
    vfs = x710_vfs()
    if len(vfs) < 2 or not os.path.exists('/dev/vfio/vfio'):
        tap.skip(title, 'needs kernel VFIO and two X710 VFs (8086:154c); '
                 'this machine has %d%s' % (
                     len(vfs), '' if os.path.exists('/dev/vfio/vfio')
                     else ' and no /dev/vfio/vfio'))
        return
    a, b = hosts['a'], hosts['b']
    name = 'i40evf-vm-hostdev'
    with open(EXAMPLE_HOSTDEV) as f:
        text = f.read()
    try:
        with open('/tmp/hostdev-a.xml', 'w') as f:
            f.write(edit_xml(text, kernel=guest + '/vmlinuz',
                             initrd=guest + '/initrd',
                             console='/tmp/console-hostdev-a.log',
                             hostdev=vfs[0]))
        # paused: no network for the guest here, and nothing in it may end
        # the domain meanwhile; the device and its blocker, if any, are
        # there from the start
        rc, out = a.virsh('create', '--paused', '/tmp/hostdev-a.xml')
        if rc:
            tap.check(False, title, out + a.diagnostics(name))
            return
        kind = a.monitor(name, 'qom-get', {'path': '/machine/peripheral/'
                                           'ua-vf0', 'property': 'type'})
        reasons = a.monitor(name, 'query-migrate').get('blocked-reasons', [])
        rc, xml = a.virsh('dumpxml', '--migratable', name)
        with open('/tmp/hostdev-b.xml', 'w') as f:
            f.write(edit_xml(xml, console='/tmp/console-hostdev-b.log',
                             hostdev=vfs[1]))
        rc, out = a.virsh('migrate', '--live', '--xml', '/tmp/hostdev-b.xml',
                          name, b.uri, '--migrateuri',
                          'tcp://127.0.0.1:%d' % MIGRATION_PORT,
                          '--listen-address', '127.0.0.1')
        ok = not reasons and rc == 0 and b.state(name) == 'paused' and \
            a.state(name) == 'none'
        tap.check(kind == 'vfio-i40evf' and ok, title,
                  'VFs %s; device type %s; blocked-reasons %s\n%s\n%s%s' %
                  (vfs[:2], kind, reasons, out, a.diagnostics(name),
                   b.diagnostics(name)))
    finally:
        for h in (a, b):
            h.virsh('destroy', name)


def keep_logs(dest):
    """The run's logs, consoles and XML, copied to dest."""
    os.makedirs(dest, exist_ok=True)
    found = glob.glob('/tmp/*.log') + glob.glob('/tmp/*.xml') + \
        glob.glob('/tmp/host-*/libvirtd.*') + \
        glob.glob('/tmp/host-*/state/var/log/libvirt/qemu/*.log')
    for path in found:
        name = path[len('/tmp/'):].replace('/state/var/log/libvirt/qemu',
                                           '')
        shutil.copy(path, os.path.join(dest, name.replace('/', '-')))
    print('# logs in %s' % dest)


# -- main ------------------------------------------------------------------

def run(args):
    tap = testbed.Tap()
    # the checkout, the build and the upstream tree beside it (QEMU's
    # python library)
    guest = private_tmp(args.guest, (SRC, os.path.dirname(
        os.path.abspath(args.build))))
    hosts = {}
    try:
        test_install(tap, args.build)
        for name, uuid in HOSTS.items():
            hosts[name] = Host(name, uuid)
        for n in HOSTS:
            hosts[n].wait()
        uuids = [re.findall(r'<uuid>([^<]*)</uuid>',
                            hosts[n].virsh('capabilities')[1])[:1]
                 for n in HOSTS]
        tap.check(uuids == [[u] for u in HOSTS.values()],
                  'two libvirtd, each in its own mount namespace with a host '
                  'UUID of its own',
                  'host UUIDs: %s' % uuids)
        print('# ' + sh(['libvirtd', '--version'])[1].strip())
        test_docs(tap, hosts['a'])
        demo.add_bridge()
        args.qemu = EMULATOR
        Scenario(args, hosts, tap, guest).run()
        test_blocker(tap, hosts, guest)
        test_hostdev(tap, hosts, guest)
    except (TestError, testbed.Error, OSError,
            subprocess.CalledProcessError) as e:
        tap.check(False, 'the test went on to the end', str(e))
    finally:
        for h in hosts.values():
            h.clean()
        if args.logs:
            keep_logs(args.logs)
    print('1..%d' % tap.n)
    return 0


def main():
    ap = testbed.parser(__doc__, raw=True)
    testbed.migration_options(ap, 'keep the logs (libvirtd, QEMU, '
                              'consoles, XML) in LOGS, which must not be '
                              'under /tmp (the test has a /tmp of its own)')
    args = testbed.parse(ap, 'libvirt test')
    if args.logs:
        args.logs = os.path.abspath(args.logs)
        if args.logs == '/tmp' or args.logs.startswith('/tmp/'):
            ap.error('--logs: not under /tmp, which the test has of its own')
    if not inside():
        testbed.needs_root('libvirt test', 'namespaces, libvirtd')
        # Debian's libvirt and the guest's kernel come from the archive:
        # before the network is left.
        if subprocess.run([os.path.join(SRC, 'scripts/install-deps.sh'),
                           'libvirt']).returncode:
            sys.exit('libvirt test: cannot install the libvirt packages')
        args.guest = tempfile.mkdtemp(prefix='i40evf-libvirt-guest-',
                                      dir='/tmp')
        try:
            testbed.build_demo_guest(args.kernel, args.guest)
        except SystemExit:
            shutil.rmtree(args.guest, ignore_errors=True)
            raise
        enter(['--guest', args.guest])
    del os.environ[_MARK]
    init()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
