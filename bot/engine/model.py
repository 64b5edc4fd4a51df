"""Trained models: which one matches the data, training it, and loading it into a Rasa agent."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rasa

from bot.settings import Settings

if TYPE_CHECKING:
    from rasa.core.agent import Agent

__all__ = ["Agent", "load_agent", "train"]  # `Agent`: for type hints outside bot.engine

logger = logging.getLogger(__name__)
MODEL_PREFIX = "donghanh-"
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu_data/**/*.yml",
    "bot/nlu/*.py",
    "bot/engine/policy.py",
    "bot/nlu/data/*.yml",
)


def training_fingerprint(root: Path) -> str:
    """A hash of everything that shapes the model: config, domain, data and our NLU code.

    A model whose file name carries this hash is up to date; anything else is retrained.
    """
    return fingerprint(root, TRAINING_INPUTS)


def fingerprint(root: Path, patterns: tuple[str, ...] | list[str]) -> str:
    """A hash of Rasa's version and the files matching `patterns` under `root`."""
    digest = hashlib.sha256(rasa.__version__.encode())
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def model_name(root: Path) -> str:
    """The file stem of the model that matches the current data."""
    return MODEL_PREFIX + training_fingerprint(root)


def current_model(settings: Settings) -> Path | None:
    """The model that matches the current data, if it has been trained."""
    path = settings.models_dir / f"{model_name(settings.root)}.tar.gz"
    return path if path.is_file() else None


def latest_model(settings: Settings) -> Path | None:
    """The matching model, else the newest trained one (for when the data changed since)."""
    found = current_model(settings)
    if found:
        return found
    models = sorted(settings.models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=os.path.getmtime)
    return models[-1] if models else None


def train(
    settings: Settings,
    *,
    force: bool = False,
    output: Path | None = None,
    nlu_only: bool = False,
    training_files: list[Path] | None = None,
    fixed_name: str | None = None,
) -> Path:
    """Train a model on the project's data and return its path.

    Args:
        settings: where the project and the models live.
        force: retrain even if a model matching the data exists (and bypass Rasa's cache).
        output: folder for the model (default: the models folder).
        nlu_only: train the NLU pipeline only (cross-validation folds).
        training_files: training data to use instead of `nlu_data/`.
        fixed_name: file stem instead of the data fingerprint.
    """
    from rasa.model_training import train as rasa_train
    from rasa.model_training import train_nlu

    root = settings.root
    output = output or settings.models_dir
    name = fixed_name or model_name(root)
    target = output / f"{name}.tar.gz"
    if target.is_file() and not force:
        logger.info("Model %s is up to date", target)
        return target
    output.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in (training_files or [root / "nlu_data"])]
    if nlu_only:
        result = train_nlu(str(root / "config.yml"), files[0], str(output), fixed_model_name=name,
                           domain=str(root / "domain.yml"))  # fmt: skip
        path = result
    else:
        path = rasa_train(str(root / "domain.yml"), str(root / "config.yml"), files, str(output),
                          force_training=force, fixed_model_name=name).model  # fmt: skip
    if not path:
        raise RuntimeError("Rasa training produced no model; see the log above.")
    return Path(path)


def load_agent(model_path: Path, tracker_store: Any = None, lock_store: Any = None) -> Agent:
    """Load a trained model into a Rasa `Agent` (takes a few seconds: TensorFlow imports).

    Custom actions run in this process (`bot.engine.actions_endpoint`); every patch of
    `bot.engine.patches` is applied to the agent (the model's graph runs without dask, a database
    error fails the request).
    """
    from rasa.core.agent import Agent

    from bot.engine import patches
    from bot.engine.actions_endpoint import InProcessActionEndpoint

    patches.check_version()
    agent = Agent.load(str(model_path), tracker_store=tracker_store, lock_store=lock_store,
                       action_endpoint=InProcessActionEndpoint("actions"))  # fmt: skip
    patches.install(agent)
    return agent


def configure_structlog(level: int) -> None:
    """Rasa's own structlog setup (Rasa logs through structlog as well as `logging`)."""
    from rasa.utils.log_utils import configure_structlog as configure

    configure(level)
