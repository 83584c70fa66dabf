# SPDX-License-Identifier: GPL-2.0-or-later
"""A network namespace of the test's own, for tests and benchmarks that
need tap devices, addresses or host-side servers.

enter() re-executes the calling script under ``unshare --net`` and brings
up its loopback; anything that needs the machine's network (downloading a
guest kernel from the archive) is done before, while inside() is false.  The namespace has no name under /run/netns: the kernel
deletes it, with every tap, address and route made in it, when its last
process exits, so a run that is killed leaves nothing behind and two runs
never see each other's devices.  The machine's own interfaces and routes
are never touched.  Child processes (QEMU) are started with
``preexec_fn=die_with_parent`` so that they cannot outlive the run either.
"""

import ctypes
import os
import signal
import subprocess
import sys

_MARK = 'VFIO_I40EVF_OWN_NETNS'
_PR_SET_PDEATHSIG = 1


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
