"""action_session_start carries a counsellor's pause into the new session."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart


def tracker(paused: bool) -> Tracker:
    slots = {"audience": "child", "pending": None}
    return Tracker("tg-1", slots, {}, [], paused, None, {}, "action_listen")


async def test_pause_and_slots_are_carried_over() -> None:
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker(True), {})
    kinds = [e["event"] for e in events]
    assert kinds == ["session_started", "slot", "pause", "action"]
    assert events[1]["name"] == "audience" and events[1]["value"] == "child"


async def test_an_unpaused_conversation_stays_unpaused() -> None:
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker(False), {})
    assert "pause" not in [e["event"] for e in events]
