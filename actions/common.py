"""What every action shares: the person's audience, buttons, the case context and replies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import Content, voice
from bot.runtime import services

TALK_TO_PERSON = "/request_human"
LAST_MESSAGES = 10
ON_DUTY_MINUTES = 10  # a counsellor active in the console this recently is on duty


def button(title: str, payload: str) -> dict[str, str]:
    """One button in Rasa's shape."""
    return {"title": title, "payload": payload}


def yes_no(content: Content, yes_key: str, no_key: str) -> list[dict[str, str]]:
    """Two buttons answering the question just asked: `/affirm` and `/deny` (actions/yes_no.py)."""
    return [button(content.button(yes_key), "/affirm"), button(content.button(no_key), "/deny")]


def always_buttons(content: Content, intent: str, audience: str | None) -> list[dict[str, str]]:
    """A person and the other voice, one step away from every answer."""
    other = "child" if voice(audience) == "parent" else "parent"
    switch_title = content.button("i_am_child" if other == "child" else "i_am_parent")
    return [
        button(content.button("talk_to_person"), TALK_TO_PERSON),
        button(switch_title, f'/{intent}{{"audience":"{other}"}}'),
    ]


def text_of(tracker: Tracker) -> str:
    """The text of the latest message."""
    return str(tracker.latest_message.get("text") or "")


def last_messages(tracker: Tracker, limit: int = LAST_MESSAGES) -> list[dict[str, Any]]:
    """The last user and bot messages, for the counsellor's context packet."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            who = "person" if event["event"] == "user" else "bot"
            lines.append({"from": who, "text": event["text"], "time": event.get("timestamp")})
    return lines[-limit:]


def context_packet(tracker: Tracker, topic: str, audience: str | None) -> dict[str, Any]:
    """What the counsellor sees so the person never has to repeat themselves."""
    safety = tracker.latest_message.get("safety") or {}
    return {
        "topic": topic,
        "urgent": bool(safety.get("urgent")) or topic in ("urgent_danger", "self_harm"),
        "flags": list(safety.get("rules") or []),
        "audience": audience,
        "channel": channel_of(tracker),
        "last_messages": last_messages(tracker),
    }


def channel_of(tracker: Tracker) -> str:
    """The channel the person writes on."""
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("channel") or tracker.get_latest_input_channel() or "unknown")


def send(
    dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, str]] | None = None
) -> None:
    """Utter one message (buttons optional)."""
    dispatcher.utter_message(text=text, buttons=buttons or [])


def open_case(
    tracker: Tracker, priority: str, reason: str, topic: str, audience: str | None
) -> bool:
    """Record an escalation; True once it is committed, False if storage failed."""
    try:
        services().store.open_escalation(
            person_id=tracker.sender_id, channel=channel_of(tracker), priority=priority,
            reason=reason, context=context_packet(tracker, topic, audience),
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - any storage failure must become an honest reply
        import logging

        logging.getLogger(__name__).exception("could not record an escalation")
        return False
    return True


def counsellors_on_duty() -> bool:
    """Whether a counsellor is on duty now: within opening hours, and active in the console lately.

    Opening hours alone promise a person who may not be there: nobody logged in, nobody on duty.
    """
    from bot.handoff import is_open

    now = datetime.now(timezone.utc)
    if not is_open(services().settings.console, now):
        return False
    return bool(services().store.active_operators(now - timedelta(minutes=ON_DUTY_MINUTES)))


def opening_hours() -> str:
    """The counsellors' opening hours as configured ("08:00-22:00"), "" when always open."""
    return str(services().settings.console.opening_hours or "").strip()


def claim_timeout_minutes() -> int:
    """After how many minutes an unclaimed case tells the person (console settings)."""
    return int(services().settings.console.claim_timeout_minutes)
