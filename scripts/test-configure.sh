#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-configure.sh SRCDIR: configure's promise that a missing or wrong
# upstream source stops it with one clear error and leaves no tree behind.
# Runs on a copy of the project's scripts in a scratch directory; prints TAP.
set -u

src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/configure" "$src/patches" "$src/scripts" "$tmp/"
cd "$tmp"
# The tree configure unpacks, named as the Makefile names it.
upstream=build/qemu-$(sed -n 's/^QEMU_VERSION=//p' configure)
if [ "$upstream" = build/qemu- ]; then
    echo "Bail out! configure sets no QEMU_VERSION"
    exit 1
fi

n=0
result() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

expect_failure() {
    what=$1
    shift
    ./configure "$@" > out.txt 2>&1
    status=$?
    errors=$(grep -c '^configure: error:' out.txt)
    ok=1
    if [ "$status" != 0 ] && [ "$errors" = 1 ] && [ ! -e "$upstream" ] &&
       grep -q "$what" out.txt; then
        ok=0
    else
        sed 's/^/# /' out.txt
    fi
    echo "$ok"
}

result "$(expect_failure 'no such file' --tarball="$tmp/missing.tar.xz")" \
    "a missing upstream tarball is one clear error"

echo "not qemu" > wrong.tar.xz
result "$(expect_failure 'does not have the pinned sha256' \
          --tarball="$tmp/wrong.tar.xz")" \
    "a tarball with the wrong checksum is refused"

result "$(expect_failure 'unknown option' --frobnicate)" \
    "an unknown option is refused"

# A machine without libfdt-dev: upstream would try to download dtc; we name
# the package instead.  dpkg-query is faked to say it is not installed.
mkdir fakebin
cat > fakebin/dpkg-query <<EOF
#!/bin/sh
case "\$*" in *libfdt-dev*) exit 1 ;; esac
exec $(command -v dpkg-query) "\$@"
EOF
chmod +x fakebin/dpkg-query
result "$(PATH="$tmp/fakebin:$PATH" expect_failure \
          'missing Debian build packages: libfdt-dev$')" \
    "a missing build package is one error that names it"

# The entries the project adds to apt use the machine's own archive.
rel=$(. /etc/os-release && echo "$VERSION_CODENAME")
mkdir -p apt/sources.list.d
printf 'Types: deb\nURIs: http://security.example/s\nSuites: %s-security\n\n%s\n%s\nSuites: %s %s-updates\n' \
    "$rel" 'Types: deb' 'URIs: http://mirror.example/debian' "$rel" "$rel" \
    > apt/sources.list.d/debian.sources
uri=$(APT_ETC="$tmp/apt" scripts/apt-archive.sh)
[ "$uri" = http://mirror.example/debian ]
result $? "apt entries use the machine's own mirror ($uri)"

echo "1..$n"
