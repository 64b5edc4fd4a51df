"""Fingerprints of the code and data files behind our components, for Rasa's training cache.

Rasa fingerprints a component by its class source and config only, so a change to a word list
or to a module-level helper would otherwise reuse a stale cached model (docs/tech-notes.md §2.4,
pitfall 6).
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def files_fingerprint(*paths: Path) -> str:
    """Return a SHA-256 over the bytes of the given files, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
