"""Rasa's SQL tracker store from DATABASE_URL, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from bot.storage.tracker import tracker_store_for

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _urls(tmp_path: Path) -> dict[str, str]:
    return {"sqlite": f"sqlite:///{tmp_path / 'nested' / 'donghanh.db'}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL part skipped: TEST_DATABASE_URL is not set")
        return PG_URL
    return _urls(tmp_path)["sqlite"]


async def test_tracker_round_trip(database_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = tracker_store_for(database_url)
    store.domain = Domain.empty()
    sender = f"test-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(ActionExecuted("action_listen"))
    intent = {"name": "ask_cyberbullying", "confidence": 0.9}
    tracker.update(UserUttered("con tôi bị bắt nạt", intent))
    await store.save(tracker)
    loaded = await store.retrieve(sender)
    assert loaded is not None
    assert loaded.latest_message.text == "con tôi bị bắt nạt"
    assert sender in list(await store.keys())


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    tracker_store_for(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    assert (tmp_path / "a" / "b").is_dir()
