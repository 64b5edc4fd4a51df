"""Trained models: which one matches the data, training it, and loading it into a Rasa agent."""

from __future__ import annotations

import copy
import functools
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import rasa

from bot.settings import Settings

logger = logging.getLogger(__name__)
MODEL_PREFIX = "donghanh-"
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu_data/**/*.yml",
    "bot/nlu/*.py",
    "bot/rule_policy.py",
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


def load_agent(model_path: Path, tracker_store=None, lock_store=None):  # type: ignore[no-untyped-def]
    """Load a trained model into a Rasa `Agent` (takes a few seconds: TensorFlow imports).

    Custom actions run in this process (`bot.actions_endpoint`); the model's graph runs without
    dask (`bot.graph_runner`).
    """
    from rasa.core.agent import Agent

    from bot import tracker_copy
    from bot.actions_endpoint import InProcessActionEndpoint
    from bot.graph_runner import use_sequential_runner

    agent = Agent.load(str(model_path), tracker_store=tracker_store, lock_store=lock_store,
                       action_endpoint=InProcessActionEndpoint("actions"))  # fmt: skip
    _fail_loudly(agent.tracker_store)
    use_sequential_runner(agent.processor)
    _answer_is_empty_once(agent.domain)
    copy_for_debug_lines(logging.getLogger("rasa").isEnabledFor(logging.DEBUG))
    tracker_copy.install()  # Rasa copies the tracker before every action
    return agent


def _answer_is_empty_once(domain: Any) -> None:
    """Work out once whether the model's domain is empty; Rasa asks at every message.

    `MessageProcessor._check_for_unseen_features` calls `Domain.is_empty()`, which turns the whole
    domain and an empty one into dicts to compare them (~0.15 ms a message, `make bench`). A
    loaded model's domain never changes, so the answer does not either.
    """
    if domain is None:
        return
    domain.is_empty = functools.partial(bool, domain.is_empty())  # picklable, unlike a lambda


def _raise(error: Exception) -> None:
    raise error


def _fail_loudly(tracker_store: Any) -> None:
    """Make a database failure an error instead of Rasa's silent fallback to memory.

    Rasa wraps every tracker store in `FailSafeTrackerStore`, which on a database error treats the
    person as new and keeps their turn in memory: a conversation a counsellor holds would be
    answered by the bot, and the turn lost. We want the request to fail (503) and be retried.
    """
    from rasa.core.tracker_store import FailSafeTrackerStore

    if isinstance(tracker_store, FailSafeTrackerStore):
        tracker_store._on_tracker_store_error = _raise


class _CopyOnlyForDebug:
    """Rasa's processor and rule policy as they see the `copy` module while DEBUG is off.

    Their only use of `copy` is `copy.deepcopy(...)` of the values of a DEBUG log line, made
    before structlog drops the line: the prediction's events, the action's events, the states of
    the conversation (~0.1 ms a message, `make bench`). With DEBUG off those values are never
    read, so the copy is skipped; everything else is the `copy` module itself.
    """

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def copy_for_debug_lines(debug: bool) -> None:
    """Give Rasa's processor and rule policy the real `copy` only if Rasa logs at DEBUG.

    Decided when the model is loaded (`load_agent`), after `donghanh`'s logging is set up.
    """
    import rasa.core.policies.rule_policy
    import rasa.core.processor

    for module in (rasa.core.processor, rasa.core.policies.rule_policy):
        module.copy = copy if debug else _CopyOnlyForDebug()  # type: ignore[attr-defined]
