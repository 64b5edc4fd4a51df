"""Fixtures for calling actions directly: services with an in-memory store, tracker builders."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import runtime
from bot.content import Content, load_content
from bot.settings import Settings
from tests.helpers.fakes import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def content() -> Content:
    return load_content()


@pytest.fixture(autouse=True)
def services(
    settings: Settings, content: Content, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> Iterator[runtime.Services]:
    installed = runtime.Services(settings=settings, content=content, store=store)
    monkeypatch.setattr(runtime, "_current", installed)
    store.mark_active("counsellor", datetime.now(timezone.utc))  # someone is on duty
    yield installed


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    text: str,
    intent: str,
    *,
    confidence: float = 0.95,
    ranking: list[tuple[str, float]] | None = None,
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    urgent: bool = False,
    grey: bool = False,
    channel: str = "telegram",
) -> Tracker:
    """A tracker whose latest message is `text`, classified as `intent`."""
    ranking = ranking or [(intent, confidence)]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": {"channel": channel},
        "safety": {
            "urgent": urgent,
            "grey": grey,
            "rules": ["sextortion_threat"] if urgent else [],
        },
    }
    events = [
        {"event": "bot", "text": "Chào bạn", "timestamp": 1.0},
        {"event": "user", "text": text, "timestamp": 2.0, "parse_data": latest},
    ]
    all_slots = {
        "audience": None,
        "pending": None,
        "last_topic": None,
        "guess": None,
        "misses": None,
        "forget": None,
        **(slots or {}),
    }
    return Tracker("tg-abc123", all_slots, latest, events, False, None, {}, "action_listen")


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots an action set, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
