"""Debian's Chromium, driven by Playwright as a person's browser would be, offline."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root, with nothing fetched from outside: no sandbox of Chromium's own (root cannot
# have one), no GPU, no component updates, sync or background requests.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync",
                  "--disable-quic"]  # fmt: skip
