#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# apt-archive.sh: print the URI of the Debian archive this machine's apt
# already uses for its own release (not the security archive), so that the
# entries the project adds (backports, the pinned qemu source) go through
# the same mirror or proxy.  Falls back to deb.debian.org only when apt has
# no Debian entry at all.  APT_ETC points it at another apt directory
# (the build suite's test).
set -eu
etc=${APT_ETC:-/etc/apt}

codename=$(. /etc/os-release && echo "$VERSION_CODENAME")

# deb822 files: the URIs of a stanza whose Suites name the release itself.
for f in "$etc"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v rel="$codename" '
        function flush() {
            if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " rel " "))
                { split(uris, u, " "); print u[1]; found = 1; exit }
            types = suites = uris = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        tolower($1) == "types:"  { $1 = ""; types = $0 }
        tolower($1) == "suites:" { $1 = ""; suites = $0 }
        tolower($1) == "uris:"   { $1 = ""; uris = $0 }
        END { if (!found) flush() }
    ' "$f"
done | grep -m1 . && exit 0

# One-line format: "deb [options] URI SUITE COMPONENT...".
for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/\[[^]]*\]//' "$f" |
        awk -v rel="$codename" '$1 == "deb" && $3 == rel { print $2; exit }'
done | grep -m1 . && exit 0

echo http://deb.debian.org/debian
