"""Make sure Debian's Chromium is on this machine, for the tests that check the leaderboard page in a real browser.

Run by tox before the test suite (so ``tox -e tests`` works on a fresh machine): installs the ``chromium`` package
with apt-get when it is missing and this is a Debian-like machine where we are root; otherwise says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main() -> int:
    if shutil.which("chromium"):
        return 0
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("installing Debian's chromium for the browser tests (apt-get install chromium)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, stdout=subprocess.DEVNULL)
        return 0
    print("ERROR: the browser tests need Chromium at /usr/bin/chromium: install it (on Debian: sudo apt-get install"
          " chromium) and run the tests again", file=sys.stderr)  # fmt: skip
    return 1


if __name__ == "__main__":
    sys.exit(main())
