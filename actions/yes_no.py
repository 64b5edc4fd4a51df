"""Yes and no ("Có", "Không"): their meaning depends on the question just asked (slot `pending`)."""

from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import MISSES_BEFORE_PERSON, clarify, is_unsure, topic_reply, two_misses
from actions.common import audience_of, send
from actions.handoff import pass_to_person
from actions.urgent import offer
from bot.content import Content
from bot.runtime import services

Handler = Callable[[CollectingDispatcher, Tracker, Content, "str | None"], list[EventType]]


def counsellor_yes(
    d: CollectingDispatcher, t: Tracker, c: Content, a: str | None
) -> list[EventType]:
    """They want a counsellor: record it, then say it was passed on."""
    return pass_to_person(d, t, c, a)


def counsellor_no(
    d: CollectingDispatcher, t: Tracker, c: Content, a: str | None
) -> list[EventType]:
    """They do not: stay, 111 one step away."""
    send(d, c.protocol(str(t.get_slot("last_topic") or "urgent_danger"), "declined", a))
    return []


def safe_yes(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Safe right now: thank them, stay, offer a counsellor."""
    send(d, c.protocol("self_harm", "safe", a))
    offer(d, c, "self_harm", a)
    return [SlotSet("pending", "counsellor")]


def safe_no(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Not safe: 111 now (115/113 if hurt), then offer a counsellor."""
    send(d, c.protocol("self_harm", "unsafe", a))
    offer(d, c, "self_harm", a)
    return [SlotSet("pending", "counsellor")]


def delete_yes(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Delete what is kept about the person; the core then wipes the conversation itself."""
    try:
        services().store.forget_person(t.sender_id)
    except Exception:  # noqa: BLE001 - the person must hear that it failed
        import logging

        logging.getLogger(__name__).exception("could not delete a person's data")
        send(d, c.say("request_human_failed", a))
        return []
    send(d, c.say("delete_done", a))
    return [SlotSet("forget", True)]


def delete_no(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Keep everything as it is."""
    send(d, c.say("delete_cancelled", a))
    return []


def guess_yes(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Answer the first guess when the person confirms a clarification ("Đúng rồi")."""
    guess = t.get_slot("guess")
    if not guess or not c.has_topic(str(guess)):
        return nothing_yes(d, t, c, a)
    text, buttons = topic_reply(c, str(guess), a)
    send(d, text, buttons)
    return [SlotSet("last_topic", guess), SlotSet("misses", 0.0)]


def guess_no(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """Ask again after "Không phải"; after two misses, offer a person and 111."""
    misses = float(t.get_slot("misses") or 0.0) + 1
    if misses >= MISSES_BEFORE_PERSON:
        return two_misses(d, c, a)
    send(d, c.say("clarify_retry", a))
    return [SlotSet("misses", misses), SlotSet("pending", "clarify")]


def nothing_yes(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """A yes to no question."""
    send(d, c.say("affirm", a))
    return []


def nothing_no(d: CollectingDispatcher, t: Tracker, c: Content, a: str | None) -> list[EventType]:
    """A no to no question."""
    send(d, c.say("deny", a))
    return []


HANDLERS: dict[tuple[str | None, str], Handler] = {
    ("counsellor", "affirm"): counsellor_yes,
    ("counsellor", "deny"): counsellor_no,
    ("safety_check", "affirm"): safe_yes,
    ("safety_check", "deny"): safe_no,
    ("delete", "affirm"): delete_yes,
    ("delete", "deny"): delete_no,
    ("clarify", "affirm"): guess_yes,
    ("clarify", "deny"): guess_no,
    (None, "affirm"): nothing_yes,
    (None, "deny"): nothing_no,
}


class ActionYesNo(Action):
    """Answer "Có"/"Không" according to the pending question."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Dispatch on (pending question, yes or no)."""
        pending = tracker.get_slot("pending")
        intent = str((tracker.latest_message.get("intent") or {}).get("name"))
        audience = audience_of(tracker)
        if pending is None and is_unsure(tracker):
            return clarify(dispatcher, services().content, tracker, audience)
        handler = HANDLERS.get((pending, intent)) or HANDLERS[(None, intent)]
        events = [SlotSet("pending", None)]
        return events + handler(dispatcher, tracker, services().content, audience)
