#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-style.sh SRCDIR CHECKPATCH: upstream's checkpatch.pl (CHECKPATCH, from
# the unpacked upstream tree) on every C file and header the project's git
# tree holds, one TAP line per file; a file with any error or warning fails
# and shows checkpatch's findings.
set -u

src=$1
checkpatch=$2

if [ ! -f "$checkpatch" ]; then
    echo "Bail out! no $checkpatch (is the upstream tree unpacked?)"
    exit 1
fi
if ! files=$(git -C "$src" ls-files '*.c' '*.h') || [ -z "$files" ]; then
    echo "Bail out! git ls-files found no C files in $src"
    exit 1
fi

cd "$src" || exit 1
n=0
for f in $files; do
    n=$((n + 1))
    if out=$(perl "$checkpatch" --no-tree -f "$f" 2>&1); then
        echo "ok $n - checkpatch.pl $f"
    else
        echo "not ok $n - checkpatch.pl $f"
        printf '%s\n' "$out" | sed -n '/^$/d; s/^/# /p; /^# total:/q'
    fi
done
echo "1..$n"
