# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP output for the end-to-end tests: one line per check, and for a
failed check the end of what explains it as '#' lines (scripts/check.py
shows those under the FAIL line)."""

import sys


class Tap:
    def __init__(self):
        self.n = 0

    def check(self, ok, name, detail=''):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if not ok and detail:
            for line in detail.splitlines()[-40:]:
                print('# ' + line)
        sys.stdout.flush()

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why))
