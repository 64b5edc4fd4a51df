"""Yes and no ("Có", "Không"): their meaning depends on the question just asked (slot `pending`)."""

from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import MISSES_BEFORE_PERSON, topic_reply, two_misses
from actions.common import send, yes_no
from actions.handoff import pass_to_person
from actions.turn import Turn
from actions.urgent import offer_once, self_harm_next
from bot.content import Content
from bot.nlu.textnorm import fold
from bot.runtime import services

ACK_ONLY = frozenset({"ok", "oke", "okay", "okie", "uk", "ukm", "k", "kk", "oki"})
ANSWER_WORDS = 4  # a yes or a no is short; a longer question is a question of its own
Handler = Callable[[CollectingDispatcher, Tracker, Content, "str | None"], list[EventType]]
TurnHandler = Callable[[Turn], list[EventType]]


def is_ack_only(text: str) -> bool:
    """Whether the message is only "ok" or "uk": it takes a message in, answers no question."""
    return fold(text).strip(" .!") in ACK_ONLY


def counsellor_yes(turn: Turn) -> list[EventType]:
    """They want a counsellor (or to leave a message for the next shift): record, then say so."""
    return pass_to_person(turn)


def counsellor_no(turn: Turn) -> list[EventType]:
    """They do not: stay, 111 one step away."""
    topic = turn.slot("last_topic")
    intent = turn.protocol or (
        topic if topic in ("urgent_danger", "self_harm") else "urgent_danger"
    )
    turn.send(turn.content.protocol(intent, "declined", turn.role))
    return turn.events


def reply_then_offer(turn: Turn, key: str) -> list[EventType]:
    """A self-harm protocol reply, then the counsellor once (actions/urgent.py, `offer_once`)."""
    turn.send(turn.content.protocol("self_harm", key, turn.role))
    offer_once(turn, "self_harm")
    return turn.events


def safe_yes(turn: Turn) -> list[EventType]:
    """Safe right now: thank them, stay; the 115 reminders stop."""
    turn.keep("attempt", False)
    return reply_then_offer(turn, "safe")


def safe_no(turn: Turn) -> list[EventType]:
    """Not safe: 111 now (115 if hurt); said once, never the same text twice.

    "có ai không?" after "are you safe?" asks who is there (honestly); a question the protocol
    knows ("mình không dám gọi, nhắn tin được không") gets its answer.
    """
    if turn.asks_who_is_there():
        return turn.honest_about_us()
    if turn.said_before(turn.content.protocol("self_harm", "unsafe", turn.role)):
        return self_harm_next(turn)
    return reply_then_offer(turn, "unsafe")


def thoughts_yes(turn: Turn) -> list[EventType]:
    """Yes, thoughts of suicide: thanks for saying it, 111 now, not alone; the protocol goes on."""
    turn.keep("protocol", "self_harm")
    turn.keep("protocol_step", max(1.0, float(turn.slot("protocol_step") or 0.0)))
    return reply_then_offer(turn, "thoughts_yes")


def thoughts_unclear(turn: Turn) -> list[EventType]:
    """An "ok" to "are you thinking of suicide?": not a yes; asked again once, 111 in it."""
    if turn.said_before(turn.content.protocol("self_harm", "thoughts_unclear", turn.role)):
        return thoughts_no(turn)  # asked twice, taken in twice: listening, 111 there
    turn.send(turn.content.protocol("self_harm", "thoughts_unclear", turn.role),
              yes_no(turn.content, "yes", "no"))  # fmt: skip
    turn.keep("pending", "thoughts")
    return turn.events


def thoughts_no(turn: Turn) -> list[EventType]:
    """No: glad, still listening."""
    return reply_then_offer(turn, "thoughts_no")


TURN_HANDLERS: dict[tuple[str, str], TurnHandler] = {
    ("thoughts", "affirm"): thoughts_yes,
    ("thoughts", "deny"): thoughts_no,
    ("counsellor", "affirm"): counsellor_yes,
    ("counsellor", "deny"): counsellor_no,
    ("safety_check", "affirm"): safe_yes,
    ("safety_check", "deny"): safe_no,
}


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
        """Dispatch on (pending question, yes or no); with nothing pending, on the conversation."""
        turn = Turn(dispatcher, tracker, services().content)
        pending = turn.slot("pending")
        intent = turn.intent
        turn.keep("pending", None)
        long = len(turn.text.split()) > ANSWER_WORDS
        if not turn.payload and (
            (long and turn.follow.is_question(turn.text)) or turn.follow.asks_what_to_do(turn.text)
        ):
            # "em có nên chạy sang nhà nó không", "tôi phải làm sao": a question of its own, not a
            # "không" or a "có", however short
            return turn.answer()
        if pending is None and not turn.payload:
            # nothing was asked: "có ai ở đó không?", "lấy lại facebook ở đâu?" read in context
            return turn.answer()
        if turn.waiting and not turn.payload:
            # "vẫn ở đây", "dạ" while waiting for a person: the counsellor reads it too
            turn.record("message while waiting")
        if pending == "thoughts" and intent == "affirm" and is_ack_only(turn.text):
            return thoughts_unclear(turn)
        if (pending, intent) in TURN_HANDLERS:
            return TURN_HANDLERS[(pending, intent)](turn)
        handler = HANDLERS.get((pending, intent)) or HANDLERS[(None, intent)]
        return turn.events + handler(dispatcher, tracker, turn.content, turn.role)
