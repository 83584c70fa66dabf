#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvirtd.sh DIR UUID: one "host" of tests/libvirt/run.py, a libvirtd of
# its own.  Run it in a mount namespace of its own (unshare --mount): the
# daemon gets directories of its own for its configuration, state, cache
# and logs (libvirtd has no option for them) in DIR/state, mounted on
# /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt, so two of them run side by side and neither sees the
# machine's libvirt (its domains, networks, running QEMUs).  /etc, /run
# and /var themselves become overlays whose changes land in DIR/root, so
# that those directories can be made where they do not exist and the
# machine's files are never changed.  Without systemd: no virtlogd
# (stdio_handler "file"), no cgroups, no security driver, QEMU as root;
# libvirt 9.0 wants a libvirt-qemu user to exist, so the overlaid /etc
# gets one.  The host UUID is UUID (libvirt refuses to migrate between two
# hosts with the same one).  Its sockets are in DIR/sock, its log
# DIR/libvirtd.log; QEMU's logs are in DIR/state/var/log/libvirt/qemu.
set -eu

dir=$1
uuid=$2
for d in etc run var; do
    mkdir -p "$dir/root/$d" "$dir/work/$d"
    mount -t overlay overlay \
        -o "lowerdir=/$d,upperdir=$dir/root/$d,workdir=$dir/work/$d" "/$d"
done
for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt \
         /var/log/libvirt; do
    mkdir -p "$d" "$dir/state$d"
    mount --bind "$dir/state$d" "$d"
done
getent passwd libvirt-qemu >/dev/null ||
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin libvirt-qemu
mkdir -p "$dir/sock"
cat > /etc/libvirt/libvirtd.conf <<EOF
unix_sock_dir = "$dir/sock"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "$uuid"
log_outputs = "3:file:$dir/libvirtd.log"
EOF
cat > /etc/libvirt/qemu.conf <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
seccomp_sandbox = 0
stdio_handler = "file"
EOF
exec libvirtd --pid-file "$dir/libvirtd.pid"
