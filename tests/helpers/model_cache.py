"""The test run's trained model, cached between runs under `.cache/test-model/` (git-ignored).

Training takes minutes, and most runs change nothing the model is made of. The cache entry is
named by the model's own fingerprint (`bot.engine.model.model_name`: Rasa's version, config, domain,
training data and our NLU and policy code) and by the versions of the libraries that compute
its numbers, so a change to any of them trains a new model; anything else reuses the last one.
`tests/test_model_cache.py` checks both directions, and that every component `config.yml`
names is covered by the fingerprint.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from bot.settings import Settings

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "test-model"
# Libraries whose versions change what a training run computes (Rasa's own is in the fingerprint).
LIBRARIES = ("rasa", "scikit-learn", "scipy", "numpy", "underthesea", "tensorflow")
KEEP = 2  # entries kept: the current one and the one before (switching branches back and forth)

Trainer = Callable[..., Path]


def library_versions() -> str:
    """Python's and the training libraries' versions, one string."""
    found = [platform.python_version()]
    for name in LIBRARIES:
        try:
            found.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ";".join(found)


def cache_key(root: Path, versions: str | None = None) -> str:
    """The name of the cached model for the project at `root`."""
    from bot.engine import model

    libraries = hashlib.sha256((versions or library_versions()).encode()).hexdigest()[:8]
    return f"{model.model_name(root)}-{libraries}"


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the cache's lock: two test runs in one checkout train once, one after the other."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_model(
    settings: Settings,
    *,
    folder: Path = CACHE_DIR,
    train: Trainer | None = None,
    versions: str | None = None,
) -> Path:
    """The model for `settings.root`, trained only when no cache entry matches it.

    Args:
        settings: the project to train (its `root`).
        folder: the cache folder.
        train: `bot.engine.model.train` unless given (the tests of the cache pass a fake).
        versions: library versions (default: the installed ones).

    Returns:
        The path of the cached model archive.
    """
    if train is None:
        from bot.engine import model

        train = model.train
    key = cache_key(settings.root, versions)
    target = folder / f"{key}.tar.gz"
    with _locked(folder):
        if target.is_file():
            return target
        work = Path(tempfile.mkdtemp(prefix="training-", dir=folder))
        try:
            trained = train(settings, output=work, fixed_name=key)
            os.replace(trained, target)  # whole or not at all: a killed run leaves no entry
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _prune(folder, keep=target)
    return target


def _prune(folder: Path, *, keep: Path) -> None:
    """Delete all but the `KEEP` newest entries (always keeping `keep`)."""
    entries = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in entries if p != keep][KEEP - 1 :]:
        old.unlink(missing_ok=True)
