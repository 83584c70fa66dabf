#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark (not a test): the round trip of one virtchnl request through
the VF's mailbox, from the driver writing ATQT to the reply appearing on
the ARQ (ARQH moving), for

  i40e-vf           the emulated VF in the VM itself;
  vfio-user-i40evf  the passthrough device (mailbox trapped, requests
                    relayed to the VF's real mailbox) on an i40e-vf that an
                    x-remote server QEMU serves over vfio-user;
  vfio-user-pci     plain vfio-user on the same kind of server: the
                    transport without the trap.

No guest kernel: this script is the driver.  It speaks QEMU's qtest
protocol (-accel qtest, qemu.machine.qtest's QEMUQtestMachine from the
upstream tree's python library) to the VM and does what iavf does: PCI config
through 0xcf8/0xcfc, BAR0 and the MSI-X BAR assigned, memory and bus
mastering on, MSI-X vector 0 unmasked, RSTAT waited for, the admin queue
set up with its rings in guest RAM, VERSION and GET_VF_RESOURCES, vector 0
armed for the mailbox.  Then it times --requests requests of a cheap
opcode (GET_STATS), one at a time, busy-polling ARQH, after a warm-up.
Configurations alternate, a fresh VM (and server) per round.

Wall-clock time in this process: every configuration pays the same qtest
protocol overhead per register access (a line over a UNIX socket); the
table shows one such round trip (readl of guest RAM) for scale.

Each request wakes two or three processes in turn, so on a machine whose
idle CPUs halt (a VM's vCPUs) the wake-up latency of an idle CPU is most
of what is measured.  Like cyclictest, the benchmark therefore holds
/dev/cpu_dma_latency at 0 while it runs (idle CPUs poll instead of
halting; released when it exits); --allow-idle measures without.
Needs a build (make); root for /dev/cpu_dma_latency; no network.
"""

import contextlib
import os
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../tests/pylib'))
sys.dont_write_bytecode = True  # nothing written in the source tree
import testbed  # noqa: E402

CONFIGS = ('i40e-vf', 'vfio-user-i40evf', 'vfio-user-pci')
NETDEV = 'hubport,hubid=0'      # a netdev that goes nowhere

# include/hw/net/i40e-vf-regs.h
VENDOR_DEVICE = 0x154c8086
ARQBAH, ATQH, ATQLEN, ARQBAL = 0x6000, 0x6400, 0x6800, 0x6c00
ARQT, ARQH, ATQBAH, ATQBAL = 0x7000, 0x7400, 0x7800, 0x7c00
ARQLEN, ATQT, RSTAT = 0x8000, 0x8400, 0x8800
ICR01, ICR0_ENA1, DYN_CTL01 = 0x4800, 0x5000, 0x5c00
AQLEN_ENABLE = 1 << 31
VFR_STATE_MASK, VFR_VFACTIVE = 0x3, 2
ICR01_ADMINQ = 1 << 30
DYN_CTL_INTENA, ITR_NONE, ITR_INDX_SHIFT = 1, 3, 3
FLAG_DD, FLAG_ERR, FLAG_LB, FLAG_RD, FLAG_BUF, FLAG_SI = \
    1 << 0, 1 << 2, 1 << 9, 1 << 10, 1 << 12, 1 << 13
OPC_SEND_MSG_TO_PF = 0x0801
AQ_DESC = struct.Struct('<HHHHIIIIII')     # struct i40e_aq_desc

# include/net/virtchnl.h
OP_VERSION, OP_GET_VF_RESOURCES, OP_GET_STATS, OP_EVENT = 1, 3, 15, 17
CAPS = (1 << 0) | (1 << 16) | (1 << 19)     # L2, VLAN, RSS_PF

# Guest physical layout (the VM has testbed.GUEST_MEM MiB of RAM)
AQ_LEN, AQ_BUF = 32, 4096                # as iavf
ATQ, ARQ = 0x100000, 0x101000
ATQ_BUFS, ARQ_BUFS = 0x110000, 0x110000 + AQ_LEN * AQ_BUF
IRQ_MEM = 0x200000
MSI_DATA = 0x4000
BAR_BASE = 0xe0000000                    # the PCI hole of the pc machine

WAIT_S = 10                              # for the VF, for any one reply


QTestError = testbed.Error


class QTest:
    """A VM under -accel qtest (qemu.machine.qtest) and what the driver
    does over its qtest connection."""

    def __init__(self, qemu, args, logdir):
        self.vm = testbed.qtest_machine(
            qemu, ['-machine', 'pc', '-nodefaults', '-no-user-config',
                   '-m', str(testbed.GUEST_MEM)] + args, logdir, WAIT_S)
        self.cmd = self.vm.qtest

    def readl(self, addr):
        return int(self.cmd('readl 0x%x' % addr), 16)

    def writel(self, addr, val):
        self.cmd('writel 0x%x 0x%x' % (addr, val))

    def read(self, addr, n):
        return bytes.fromhex(self.cmd('read 0x%x %d' % (addr, n))[2:])

    def write(self, addr, data):
        self.cmd('write 0x%x %d 0x%s' % (addr, len(data), data.hex()))

    def clock_step(self, ns):
        self.cmd('clock_step %d' % ns)

    # PCI configuration mechanism #1
    def cfg_readl(self, devfn, off):
        self.cmd('outl 0xcf8 0x%x' % (0x80000000 | devfn << 8 | off & 0xfc))
        return int(self.cmd('inl 0xcfc'), 16)

    def cfg_writel(self, devfn, off, val):
        self.cmd('outl 0xcf8 0x%x' % (0x80000000 | devfn << 8 | off & 0xfc))
        self.cmd('outl 0xcfc 0x%x' % val)

    def cfg_writew(self, devfn, off, val):
        self.cmd('outl 0xcf8 0x%x' % (0x80000000 | devfn << 8 | off & 0xfc))
        self.cmd('outw 0x%x 0x%x' % (0xcfc + (off & 2), val))

    def close(self):
        """Stops the VM; returns what it printed."""
        self.vm.stop()
        return self.vm.get_log() or ''


class Driver:
    """The steps of iavf that bring the mailbox up, over qtest."""

    def __init__(self, qt):
        self.qt = qt
        self.devfn = self.find()
        self.bar0 = BAR_BASE
        self.atq_ntu = self.arq_ntc = 0
        self.events = 0

    def find(self):
        for slot in range(32):
            if self.qt.cfg_readl(slot << 3, 0) == VENDOR_DEVICE:
                return slot << 3
        raise QTestError('no X710 VF (8086:154c) on bus 0')

    def rd(self, reg):
        return self.qt.readl(self.bar0 + reg)

    def wr(self, reg, val):
        self.qt.writel(self.bar0 + reg, val)

    def bar_size(self, off):
        """Size of the 64-bit memory BAR at config offset off."""
        qt, d = self.qt, self.devfn
        qt.cfg_writel(d, off, 0xffffffff)
        low = qt.cfg_readl(d, off)
        if low & 0x7 != 0x4:
            raise QTestError('BAR at 0x%x is not 64-bit memory' % off)
        return (~(low & ~0xf) & 0xffffffff) + 1

    def pci_enable(self):
        qt, d = self.qt, self.devfn
        base = BAR_BASE
        bars = {}
        for bar in (0, 3):
            off = 0x10 + 4 * bar
            size = self.bar_size(off)
            base = (base + size - 1) & ~(size - 1)
            qt.cfg_writel(d, off, base)
            qt.cfg_writel(d, off + 4, 0)
            bars[bar] = base
            base += size
        self.bar0 = bars[0]
        qt.cfg_writew(d, 0x04, 0x0006)          # memory, bus master
        # MSI-X: enabled, vector 0 to guest RAM and unmasked, as iavf's
        # request_irq of its mailbox vector leaves it.
        cap = qt.cfg_readl(d, 0x34) & 0xff
        while cap and qt.cfg_readl(d, cap) & 0xff != 0x11:
            cap = qt.cfg_readl(d, cap) >> 8 & 0xff
        if not cap:
            raise QTestError('no MSI-X capability')
        ctrl = qt.cfg_readl(d, cap) >> 16
        table = qt.cfg_readl(d, cap + 4)
        if table & 0x7 not in bars:
            raise QTestError('MSI-X table in BAR %d' % (table & 7))
        entry = bars[table & 0x7] + (table & ~0x7)
        qt.cfg_writew(d, cap + 2, ctrl | 0x8000)
        qt.writel(entry + 0, IRQ_MEM)
        qt.writel(entry + 4, 0)
        qt.writel(entry + 8, MSI_DATA)
        qt.writel(entry + 12, 0)

    def wait_active(self):
        end = time.monotonic() + WAIT_S
        while self.rd(RSTAT) & VFR_STATE_MASK != VFR_VFACTIVE:
            if time.monotonic() > end:
                raise QTestError('the VF did not become active')
            # An i40e-vf in this VM counts its reset in virtual time
            self.qt.clock_step(1000000)
            time.sleep(0.001)

    def arq_arm(self, i):
        buf = ARQ_BUFS + i * AQ_BUF
        self.qt.write(ARQ + 32 * i, AQ_DESC.pack(
            FLAG_BUF | FLAG_LB, 0, AQ_BUF, 0, 0, 0, 0, 0, buf >> 32,
            buf & 0xffffffff))

    def aq_init(self):
        """iavf_init_adminq's register sequence."""
        self.wr(ATQH, 0)
        self.wr(ATQT, 0)
        self.wr(ATQLEN, AQ_LEN | AQLEN_ENABLE)
        self.wr(ATQBAL, ATQ)
        self.wr(ATQBAH, 0)
        for i in range(AQ_LEN):
            self.arq_arm(i)
        self.wr(ARQH, 0)
        self.wr(ARQT, 0)
        self.wr(ARQLEN, AQ_LEN | AQLEN_ENABLE)
        self.wr(ARQBAL, ARQ)
        self.wr(ARQBAH, 0)
        self.wr(ARQT, AQ_LEN - 1)
        if self.rd(ARQBAL) != ARQ or self.rd(ATQBAL) != ATQ:
            raise QTestError('the admin queue registers do not hold')

    def irq_enable(self):
        """iavf_misc_irq_enable: vector 0 armed for the mailbox."""
        self.wr(DYN_CTL01, DYN_CTL_INTENA | ITR_NONE << ITR_INDX_SHIFT)
        self.wr(ICR0_ENA1, ICR01_ADMINQ)

    def post(self, op, msg):
        """Write the request's buffer and descriptor; returns ATQT's new
        value, for the caller to write."""
        slot = self.atq_ntu
        buf = ATQ_BUFS + slot * AQ_BUF
        flags = FLAG_SI
        if msg:
            flags |= FLAG_BUF | FLAG_RD
            self.qt.write(buf, msg)
        self.qt.write(ATQ + 32 * slot, AQ_DESC.pack(
            flags, OPC_SEND_MSG_TO_PF, len(msg), 0, op, 0, 0, 0,
            buf >> 32, buf & 0xffffffff))
        self.atq_ntu = (slot + 1) % AQ_LEN
        return self.atq_ntu

    def take(self):
        """The ARQ message at ntc (ARQH has passed it): opcode, status,
        payload; the descriptor goes back to the device."""
        i = self.arq_ntc
        d = AQ_DESC.unpack(self.qt.read(ARQ + 32 * i, 32))
        if not d[0] & FLAG_DD:
            raise QTestError('ARQ descriptor %d without DD' % i)
        payload = self.qt.read(ARQ_BUFS + i * AQ_BUF, d[2]) if d[2] else b''
        self.arq_arm(i)
        self.wr(ARQT, i)
        self.arq_ntc = (i + 1) % AQ_LEN
        return d[4], d[5], payload

    def check_atq(self, slot):
        d = AQ_DESC.unpack(self.qt.read(ATQ + 32 * slot, 32))
        if not d[0] & FLAG_DD or d[0] & FLAG_ERR:
            raise QTestError('ATQ descriptor %d: flags 0x%x' % (slot, d[0]))

    def call(self, op, msg=b''):
        """One request and its reply (events on the way are counted);
        returns (seconds from the ATQT write to ARQH moving past the
        reply, ARQH reads it took, the reply's payload)."""
        slot = self.atq_ntu
        tail = self.post(op, msg)
        arqh = self.bar0 + ARQH
        qt = self.qt
        polls = 0
        t0 = time.perf_counter()
        qt.writel(self.bar0 + ATQT, tail)
        end = t0 + WAIT_S
        while True:
            head = qt.readl(arqh)
            t1 = time.perf_counter()
            polls += 1
            if head & 0x3ff != self.arq_ntc:
                rop, status, payload = self.take()
                if rop == op:
                    break
                if rop != OP_EVENT:
                    raise QTestError('reply %d to request %d' % (rop, op))
                self.events += 1
            elif t1 > end:
                raise QTestError('no reply to %d within %ds' % (op, WAIT_S))
        if status:
            raise QTestError('request %d: status %d' % (op, status))
        self.check_atq(slot)
        return t1 - t0, polls, payload

    def bring_up(self):
        self.pci_enable()
        self.wait_active()
        self.aq_init()
        _, _, ver = self.call(OP_VERSION, struct.pack('<II', 1, 1))
        if struct.unpack('<II', ver) != (1, 1):
            raise QTestError('virtchnl version %r' % (ver,))
        _, _, res = self.call(OP_GET_VF_RESOURCES, struct.pack('<I', CAPS))
        self.vsi_id = struct.unpack_from('<H', res, 20)[0]
        self.irq_enable()

    def vec0_done(self):
        """What iavf does after its adminq task: read the cause, re-arm."""
        self.rd(ICR01)
        self.irq_enable()


def percentile(data, p):
    s = sorted(data)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure_one(qemu, config, args):
    """One VM (and server) of config: per-request seconds and polls, and
    the seconds of qtest round trips (readl of guest RAM)."""
    with tempfile.TemporaryDirectory(prefix='i40evf-qtest-') as logdir, \
            contextlib.ExitStack() as stack:
        server, log = None, []
        try:
            if config == 'i40e-vf':
                vm_args = testbed.direct_nic(NETDEV)
            else:
                server = stack.enter_context(
                    testbed.VfioUserServer(qemu, NETDEV, config))
                if server.error:
                    raise QTestError('server: ' + server.error)
                vm_args = server.nic_args
            qt = QTest(qemu, vm_args + args.qemu_arg, logdir)
            stack.callback(lambda: log.append(qt.close()))
            return drive(qt, config, args)
        except (QTestError, OSError) as e:
            stack.close()       # stops the VM and the server: logs read
            detail = ''.join(log)[-2000:]
            if server:
                detail += ''.join('server: %s\n' % line for line in
                                  server.log.splitlines()[-10:])
            sys.exit('%s: %s\n%s' % (config, e, detail))


def drive(qt, config, args):
    drv = Driver(qt)
    drv.bring_up()
    stats_req = struct.pack('<HHII', drv.vsi_id, 0, 0, 0)
    lat, polls = [], []
    for n in range(args.warmup + args.requests):
        secs, np, _ = drv.call(OP_GET_STATS, stats_req)
        drv.vec0_done()
        if n + 1 == args.warmup:
            drv.events = 0          # the link event after GET_VF_RESOURCES
        if n >= args.warmup:
            lat.append(secs)
            polls.append(np)
    rtt = []
    for _ in range(200):
        t0 = time.perf_counter()
        qt.readl(IRQ_MEM)
        rtt.append(time.perf_counter() - t0)
    if drv.events:
        print('%s: %d PF events during the loop' % (config, drv.events),
              file=sys.stderr)
    return lat, polls, rtt


def hold_cpus_awake():
    """An open /dev/cpu_dma_latency holding 0 us, or why not."""
    try:
        fd = os.open('/dev/cpu_dma_latency', os.O_WRONLY)
        os.write(fd, struct.pack('i', 0))
        return fd, None
    except OSError as e:
        return None, str(e)


def main():
    ap = testbed.parser(__doc__, raw=True)
    ap.add_argument('--configs', default=','.join(CONFIGS),
                    help='comma-separated, of %s' % ', '.join(CONFIGS))
    ap.add_argument('--requests', type=int, default=1000,
                    help='timed requests per configuration and round')
    ap.add_argument('--rounds', type=int, default=5,
                    help='rounds; each runs every configuration once, '
                    'in a fresh VM')
    ap.add_argument('--warmup', type=int, default=50)
    ap.add_argument('--allow-idle', action='store_true',
                    help='leave /dev/cpu_dma_latency alone: idle CPUs may '
                    'halt, and waking them is measured too')
    ap.add_argument('--qemu-arg', action='append', default=[],
                    help='extra argument for the VM (e.g. -trace ...), '
                    'repeatable')
    args = testbed.parse(ap, 'mailbox-latency')
    configs = args.configs.split(',')
    if set(configs) - set(CONFIGS):
        ap.error('unknown configuration in %s' % args.configs)
    qemu = args.qemu
    if args.allow_idle:
        idle = 'idle CPUs may halt (--allow-idle)'
    else:
        fd, why = hold_cpus_awake()
        idle = 'idle CPUs poll (/dev/cpu_dma_latency 0)' if fd is not None \
            else 'idle CPUs may halt (/dev/cpu_dma_latency: %s)' % why

    lat = {c: [] for c in configs}
    polls = {c: [] for c in configs}
    rtt = {c: [] for c in configs}
    rounds = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            times, n, qrtt = measure_one(qemu, c, args)
            lat[c] += times
            polls[c] += n
            rtt[c] += qrtt
            rounds[c].append(statistics.median(times))

    us = 1e6
    print('virtchnl GET_STATS round trip, ATQT write to the reply on the '
          'ARQ; %d requests x %d rounds per configuration, alternating; '
          'qtest VM, wall clock in the driver (every access is one qtest '
          'round trip for all configurations); %s' %
          (args.requests, args.rounds, idle))
    print('%-17s %9s %9s %9s %15s %7s %11s' %
          ('configuration', 'median', 'p99', 'mean', 'round medians',
           'polls', 'qtest rtt'))
    for c in configs:
        print('%-17s %9.1f %9.1f %9.1f %7.1f-%-7.1f %7.0f %11.1f' %
              (c, statistics.median(lat[c]) * us,
               percentile(lat[c], 99) * us, statistics.mean(lat[c]) * us,
               min(rounds[c]) * us, max(rounds[c]) * us,
               statistics.median(polls[c]), statistics.median(rtt[c]) * us))
    for name, a, b in (('trap/direct', 'vfio-user-i40evf', 'i40e-vf'),
                       ('trap/vfio-user', 'vfio-user-i40evf',
                        'vfio-user-pci')):
        if a in configs and b in configs:
            a, b = lat[a], lat[b]
            print('%-17s %9.2f %9.2f %9.2f' %
                  (name, statistics.median(a) / statistics.median(b),
                   percentile(a, 99) / percentile(b, 99),
                   statistics.mean(a) / statistics.mean(b)))
    print('(microseconds, ratios of them; polls: ARQH reads until the '
          'reply, median; qtest rtt: one readl of guest RAM, median)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
