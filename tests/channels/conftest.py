"""Fixtures for the channel tests: the real bot (trained model, in-memory store) when needed."""

from __future__ import annotations

import os
from typing import Any, AsyncIterator

import pytest
import pytest_asyncio

from bot import runtime
from bot.content import load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from tests.helpers.fake_zalo import FakeZalo
from tests.helpers.fakes import MemoryStore


@pytest.fixture
def real_core(agent: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Core:
    """The conversation core on the trained agent, a MemoryStore and a fresh key.

    A fresh key gives every test new pseudonyms, so conversations in the session's shared
    in-memory tracker store never carry over between tests.
    """
    store = MemoryStore()
    content = load_content()
    services = runtime.Services(settings=settings, content=content, store=store)
    monkeypatch.setattr(runtime, "_current", services)
    key = Pseudonymizer(os.urandom(32))
    return Core(Engine(agent), store, key, content, max_chars=settings.max_message_chars)


@pytest_asyncio.fixture(loop_scope="function")
async def fake() -> AsyncIterator[FakeZalo]:
    """A local fake of Zalo's Open API and OAuth servers."""
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()
