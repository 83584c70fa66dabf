#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkpatch.sh PRISTINE CHANGED HEADER-FILE FILE...: print a patch of FILE...
# (paths relative to both trees) from the pristine upstream tree to the
# changed one, preceded by the text of HEADER-FILE (why the patch exists).
set -eu
a=$1 b=$2 header=$3
shift 3
cat "$header"
echo
for f; do
    diff -u --label "a/$f" --label "b/$f" "$a/$f" "$b/$f" || [ $? = 1 ]
done
