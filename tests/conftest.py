"""Shared fixtures: settings, the cached trained model, databases, and the machine's servers.

`make test-fast` runs only what needs no trained model, no browser and no worker process: tests
that ask for the model are marked `model` here, whatever their file says (see
`pytest_collection_modifyitems`), and the model fixture refuses to train in that mode.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bot.settings import ROOT, Settings  # noqa: E402
from tests.helpers import machine  # noqa: E402
from tests.helpers.databases import BACKENDS, database_url_for  # noqa: E402

FAST = os.environ.get("DONGHANH_TEST_FAST") == "1"  # set by `make test-fast`
MODEL_FIXTURES = {"trained_model", "agent", "parser", "real_core"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the trained model `model`, so `-m "not model"` leaves it out."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session", autouse=True)
def machine_servers_untouched() -> Iterator[None]:
    """Fail the run if it restarted the machine's PostgreSQL or Redis, or dropped or flushed
    anything there (`tests/helpers/machine.py`)."""
    before = machine.look()
    yield
    breaches = before.breaches(machine.look())
    assert not breaches, "the tests touched the machine's own servers: " + "; ".join(breaches)


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
    """The project's model, trained on the project's data; reused from `.cache/test-model/`
    while nothing it is made of changed (`tests/helpers/model_cache.py`)."""
    if FAST:
        pytest.fail("make test-fast never trains: mark this test `model` (or use a fake agent)")
    from tests.helpers.model_cache import cached_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cached_model(settings)


@pytest.fixture(scope="session")
def agent(trained_model: Path, settings: Settings):  # noqa: ANN201
    """The trained model loaded into a Rasa agent (in-memory tracker store)."""
    from bot import runtime
    from bot.content import load_content
    from bot.engine import model
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test: a SQLite file, then (with `TEST_DATABASE_URL`) a
    PostgreSQL schema of its own (`tests/helpers/databases.py`)."""
    yield from database_url_for(request.param, tmp_path)
