"""Shared fixtures: settings, and one model trained per test run (in a temporary folder)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bot.settings import ROOT, Settings  # noqa: E402


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with models and data in temporary folders (the checkout is never written)."""
    tmp = tmp_path_factory.mktemp("donghanh")
    return Settings.from_env({
        "DONGHANH_MODELS_DIR": str(tmp / "models"),
        "DONGHANH_DATA_DIR": str(tmp / "data"),
    })  # fmt: skip


@pytest.fixture(scope="session")
def trained_model(settings: Settings) -> Path:
    """Train the project's model on the project's data, once per test run."""
    from bot import model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.train(settings)


@pytest.fixture(scope="session")
def agent(trained_model: Path, settings: Settings):  # noqa: ANN201
    """The trained model loaded into a Rasa agent (in-memory tracker store)."""
    from bot import model, runtime
    from bot.content import load_content
    from tests.helpers.fakes import MemoryStore

    runtime.install(runtime.Services(settings, load_content(), MemoryStore()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.load_agent(trained_model)


@pytest.fixture(scope="session")
def parser(agent, settings: Settings):  # noqa: ANN001, ANN201
    """A `bot.parser.Parser` on the session's agent."""
    from bot.parser import Parser

    return Parser(agent, max_chars=settings.max_message_chars)


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT
