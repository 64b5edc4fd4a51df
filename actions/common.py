"""What every action shares: the person's audience, buttons, the case context and replies."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content import Content, voice
from bot.nlu.textnorm import fold, is_teencode
from bot.runtime import services

# How a person writes tells who they are; checked on the accent-free, teencode-expanded text.
PARENT_CUES = (
    "con toi", "con minh", "con nha", "chau nha", "be nha", "con gai toi", "con trai toi",
    "con gai minh", "con trai minh", "chau toi", "toi la phu huynh", "phu huynh",
    "con em toi", "hoc sinh cua toi", "lop toi", "chau ngoai", "chau noi", "dua con", "con em",
    "con cua em", "con cua minh",
)  # fmt: skip
CHILD_CUES = (
    "em", "minh", "tui", "e", "bo em", "me em", "ban em", "lop em", "truong em",
    "co giao em", "bo minh", "me minh", "chau la hoc sinh", "em la hoc sinh",
)  # fmt: skip
TALK_TO_PERSON = "/request_human"
LAST_MESSAGES = 10


# Words that contain a cue but say nothing about the writer ("trẻ em" is "children").
NOT_CUES = ("tre em", "em be", "anh em", "chi em", "ban be")
# Abbreviations adults use as much as teenagers: they do not tell who is writing.
SHARED_ABBREVIATIONS = {
    "ad",
    "admin",
    "ok",
    "oke",
    "fb",
    "acc",
    "tk",
    "sdt",
    "stk",
    "otp",
    "pass",
    "mk",
}


def infer_audience(text: str) -> str | None:
    """Return "parent", "child" or None from the words of one message (parent cues win).

    Teencode ("ko", "dc", "j") with no parent cue reads as a child writing.
    """
    folded = f" {fold(text)} "
    for phrase in NOT_CUES:
        folded = folded.replace(f" {phrase} ", " _ ")
    if any(f" {cue} " in folded for cue in PARENT_CUES):
        return "parent"
    if any(f" {cue} " in folded for cue in CHILD_CUES):
        return "child"
    if any(is_teencode(word) and word.lower() not in SHARED_ABBREVIATIONS for word in text.split()):
        return "child"
    return None


def audience_of(tracker: Tracker) -> str | None:
    """The audience set by a button, else inferred from this message, else the one known."""
    entity = next(tracker.get_latest_entity_values("audience"), None)
    if entity in ("parent", "child"):
        return str(entity)
    return infer_audience(tracker.latest_message.get("text") or "") or tracker.get_slot("audience")


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
    """Whether counsellors are on duty now (opening hours of the console settings)."""
    from bot.handoff import is_open

    return bool(is_open(services().settings.console, datetime.now(timezone.utc)))
