#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Kernel VFIO without hardware: vfio-i40evf,host= inside a TCG guest
with a virtual IOMMU.

The outer QEMU runs a guest (L1) under TCG: q35 with intel-iommu
(interrupt remapping, caching mode), a Debian 6.12 kernel with
intel_iommu=on, two emulated X710 VFs (i40e-vf, different VSIs and
addresses) and a virtio-net NIC, the three on one hub: the VFs' link,
whose other end is L1's virtio-net interface.  L1's /init
(nested-init.sh) binds the VFs to vfio-pci and runs
tests/qtest/vfio-i40evf-test with the project's QEMU: qtest VMs with
-device vfio-i40evf,host=<VF> on L1's real kernel VFIO, driven by the
libqos iavf driver, exchanging frames with a packet socket on that
interface, and migrating over L1's loopback from one VF to the other.
The binaries and the libraries ldd names are packed into L1's initramfs
(build-guest.sh); the qtest's TAP comes back on the serial console and
is reported here, test by test.  Everything stays inside the outer QEMU:
no tap, address or route is made on the machine.  Prints TAP.

With --iavf it runs instead the slow variant, a guest with the real iavf
driver on vfio-i40evf inside L1 (nested-guest-init.sh, TCG inside TCG):
it pings L1's address on the peer interface, is live-migrated from one VF
to the other, and pings on without its driver resetting.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../pylib'))
import testbed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
QTEST = 'tests/qtest/vfio-i40evf-test'
# The firmware a qtest pc machine loads, and a q35 one booting a kernel
FIRMWARE = ('bios-256k.bin', 'kvmvapic.bin', 'linuxboot_dma.bin')
# Two VFs as two hosts' PFs would provision them: other VSIs, the first
# with an administrative MAC and the second with none (a destination must
# have the source's or none), so that the guest keeps its address
VFS = ((3, '52:54:00:76:01:01'), (5, None))
# L1's MiB: two VMs of 128 MiB pinned; with --iavf two of 256 MiB and
# their TCG translation buffers
GUEST_MEM = {False: 1024, True: 2048}
IAVF_TEST = '/x86_64/vfio-i40evf/iavf-guest/migration'
PEER_IP = '192.168.79.1'    # L1's address on the VFs' link, with --iavf
PREFIX = 'kernel VFIO in a TCG guest: '
# Of the run's time limit, what L1 takes besides the qtest (boot, report)
L1_MARGIN = 60


def stage_qemu(build, dest):
    """The QEMU binary, stripped, in dest, with what it finds relative to
    itself: the libraries of its RUNPATH and the firmware in qemu-bundle.
    Returns the files to pack, at the same paths."""
    qemu = os.path.join(dest, 'qemu-system-x86_64')
    subprocess.run(['strip', '-o', qemu,
                    os.path.join(build, 'qemu-system-x86_64')],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, check=True)
    files = [qemu]
    dyn = subprocess.run(['readelf', '-d', qemu], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         check=True).stdout
    for runpath in re.findall(r'RUNPATH.*\[(.*)\]', dyn):
        for d in runpath.split(':'):
            if not d.startswith('$ORIGIN/'):
                continue
            rel = d[len('$ORIGIN/'):]
            os.makedirs(os.path.join(dest, rel), exist_ok=True)
            for lib in glob.glob(os.path.join(build, rel, '*.so*')):
                if os.path.isfile(lib):
                    shutil.copy(lib, os.path.join(dest, rel))
    for name in FIRMWARE:
        for fw in glob.glob(os.path.join(build, 'qemu-bundle', '**', name),
                            recursive=True):
            rel = os.path.relpath(fw, build)
            os.makedirs(os.path.dirname(os.path.join(dest, rel)),
                        exist_ok=True)
            shutil.copy(fw, os.path.join(dest, rel))
            files.append(os.path.join(dest, rel))
    return files


def build_iavf_guest(out):
    """The iavf guest's kernel and initramfs in out/, for L1's
    initramfs; returns them and an error message, or None."""
    kver, log = testbed.build_guest(
        '6.12', os.path.join(HERE, 'nested-guest-init.sh'), out, ('iavf',))
    if not kver:
        return [], log
    return [os.path.realpath(os.path.join(out, 'vmlinuz')),
            os.path.join(out, 'initrd')], None


def build_guest(build, out, iavf):
    """L1's kernel and initramfs in out/ (with an iavf guest in it if
    iavf); an error message, or None."""
    qtest = os.path.join(build, QTEST)
    if not os.path.exists(qtest):
        return '%s is not built (ninja %s)' % (qtest, QTEST)
    stage = os.path.join(out, 'stage')
    os.makedirs(stage)
    try:
        files = stage_qemu(build, stage) + [qtest]
    except subprocess.CalledProcessError as e:
        return 'cannot stage QEMU: %s\n%s' % (e, e.stdout)
    except OSError as e:
        return 'cannot stage QEMU: %s' % e
    append = 'e2e.qemu=%s e2e.qtest=%s' % (files[0], qtest)
    if iavf:
        guest, err = build_iavf_guest(os.path.join(out, 'iavf-guest'))
        if err:
            return err
        files += guest
        append += ' e2e.peer-ip=%s e2e.guest=%s e2e.only=%s' % (
            PEER_IP, ','.join(guest), IAVF_TEST)
    kver, log = testbed.build_guest(
        '6.12', os.path.join(HERE, 'nested-init.sh'), out,
        ('vfio-pci', 'vfio_iommu_type1', 'virtio_net'), files=files)
    if not kver:
        return log
    with open(os.path.join(out, 'append'), 'w') as f:
        f.write(append)
    return None


def boot(build, guest, iavf, timeout):
    with open(os.path.join(guest, 'append')) as f:
        append = f.read()
    # One TCG thread for L1's two vCPUs: with one thread per vCPU, 2 of 14
    # boots failed in upstream TCG (a lost timer wakeup that stalls L1's
    # RCU; a CPU TLB entry outliving a topology change another vCPU made,
    # which asserts in iotlb_to_section); single-threaded, none of 20 did.
    cmd = [os.path.join(build, 'qemu-system-x86_64'),
           '-M', 'q35,kernel-irqchip=split', '-accel', 'tcg,thread=single',
           '-m', str(GUEST_MEM[iavf]), '-smp', '2',
           '-nodefaults', '-no-user-config', '-display', 'none',
           '-serial', 'stdio', '-no-reboot',
           '-device', 'intel-iommu,intremap=on,caching-mode=on',
           '-kernel', os.path.join(guest, 'vmlinuz'),
           '-initrd', os.path.join(guest, 'initrd'),
           '-append', 'console=ttyS0 panic=-1 intel_iommu=on ipv6.disable=1 '
           '%s e2e.timeout=%d' % (append, max(timeout - L1_MARGIN, 60))]
    for i, (vsi, mac) in enumerate(VFS):
        cmd += ['-netdev', 'hubport,id=vf%d,hubid=0' % i,
                '-device', 'i40e-vf,netdev=vf%d,vsi-id=%d%s' %
                (i, vsi, ',mac=' + mac if mac else '')]
    cmd += ['-netdev', 'hubport,id=peer,hubid=0',
            '-device', 'virtio-net-pci,netdev=peer,romfile=']
    return testbed.run_to_end(cmd, timeout)


def report(tap, out, iavf, elapsed):
    """The checks of L1's setup, then the qtest's results one by one."""
    res = {}
    for m in re.finditer(r'^E2E (\S+) ?(.*)$', out, re.MULTILINE):
        res.setdefault(m.group(1), []).append(m.group(2))
    console = out.partition('Run /init as init process')[2] or out
    bound = [d for d in res.get('driver', []) if ' vfio-pci ' in d]
    groups = {d.split()[-1] for d in bound}
    tap.check(len(bound) == len(VFS) and len(groups) == len(VFS) and
              res.get('peer', [''])[0] and
              'DMAR-IR: Enabled IRQ remapping' in out,
              'L1 binds both VFs to vfio-pci, each in an IOMMU group of its '
              'own, behind the virtual IOMMU (interrupt remapping on)',
              console)

    inner = out.partition('E2E tap-begin\n')[2].partition('E2E tap-end')[0]
    lines = inner.splitlines()
    plan = re.search(r'^1\.\.(\d+)$', inner, re.MULTILINE)
    ran, since = 0, 0
    for i, line in enumerate(lines):
        m = re.match(r'^(ok|not ok) \d+ (\S+)(.*)$', line)
        if not m:
            continue
        ran += 1
        name = PREFIX + m.group(2).replace('/x86_64/', '')
        detail = '\n'.join(lines[since:i])
        since = i + 1
        skip = re.search(r'# SKIP (.*)', m.group(3))
        if skip and m.group(2) == IAVF_TEST and not iavf:
            tap.skip(name, skip.group(1))
        elif skip:
            # Inside L1 nothing else may be skipped: the VFs are there.
            tap.check(False, name, 'skipped: ' + skip.group(1))
        else:
            tap.check(m.group(1) == 'ok', name, detail)
    exit_status = res.get('qtest-exit', ['none'])[0]
    tap.check(plan and ran == int(plan.group(1)) and exit_status == '0',
              PREFIX + 'the qtest ran all its tests and exited with 0 '
              '(%s of %s, status %s, %.0fs)' % (
                  ran, plan.group(1) if plan else '?', exit_status, elapsed),
              '\n'.join(lines[since:]) + '\n' + console)


def main():
    ap = testbed.parser(__doc__, build_required=True)
    ap.add_argument('--iavf', action='store_true',
                    help='the slow variant: a guest with the real iavf '
                    'driver inside L1, migrated (make check runs both)')
    ap.add_argument('--timeout', type=int,
                    help='hard limit on the outer QEMU run, seconds '
                    '(default 540, with --iavf 900)')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print L1\'s console')
    args = testbed.parse(ap, 'nested')
    build = os.path.abspath(args.build)
    timeout = args.timeout or (900 if args.iavf else 540)
    tap = testbed.Tap()
    guest = tempfile.mkdtemp(prefix='i40evf-nested-')
    try:
        err = build_guest(build, guest, args.iavf)
        tap.check(err is None, 'L1 from Debian packages, with the project\'s '
                  'QEMU and qtest%s in its initramfs' %
                  (' and an iavf guest' if args.iavf else ''), err or '')
        if err is None:
            start = time.monotonic()
            out = boot(build, guest, args.iavf, timeout)
            if args.verbose:
                for line in out.splitlines():
                    print('# ' + line)
            report(tap, out, args.iavf, time.monotonic() - start)
    finally:
        shutil.rmtree(guest, ignore_errors=True)
    print('1..%d' % tap.n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
