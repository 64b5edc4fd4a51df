"""Debian's Chromium for Playwright tests: where it is, and why a test is skipped without it.

Never run `playwright install`: the tests drive the system browser at `CHROMIUM`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("DONGHANH_CHROMIUM", "/usr/bin/chromium"))


def skip_reason() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt install chromium, or set DONGHANH_CHROMIUM)"
    return None
