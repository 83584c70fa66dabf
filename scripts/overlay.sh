#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# overlay.sh SRCDIR UPSTREAM: link every file of the project's source
# directories into the upstream tree, so that an edit in the repository is
# picked up by the next build.  A project file never replaces an upstream
# file (changes to upstream files are patches/), and links to files that
# were removed from the project are dropped.
set -eu

src=$1
up=$2
roots="configs docs hw include net qapi tests"

cd "$src"
for f in $(find $roots -type f 2>/dev/null); do
    dst="$up/$f"
    if [ -e "$dst" ] && [ ! -L "$dst" ]; then
        echo "overlay: $f exists upstream; change it with a patch in patches/" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$dst")"
    ln -sfn "$src/$f" "$dst"
done

# Drop links whose project file is gone.
find "$up" -type l -lname "$src/*" ! -exec test -e {} \; -print |
    while read -r stale; do rm -f "$stale"; done
