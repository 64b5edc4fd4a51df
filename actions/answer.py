"""Answers to every question that is not urgent: topics, follow-ups, small talk, clarification."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import always_buttons, button, send, text_of, yes_no
from actions.turn import CLARIFY_BELOW, Turn, is_grey  # noqa: F401 - is_grey: used by tests
from bot.content import Content
from bot.conversation.followups import Choice
from bot.runtime import services

MISSES_BEFORE_PERSON = 2


def topic_reply(
    content: Content, intent: str, audience: str | None, item: str | None = None
) -> tuple[str, list[dict[str, str]]]:
    """The text and buttons of a topic answer (or of one of its follow-ups)."""
    text = (content.followup(intent, item, audience) if item else None) or content.answer(
        intent, audience
    )
    shown = item if text != content.answer(intent, audience) else None
    buttons = [button(title, f'/{intent}{{"item":"{key}"}}')
               for key, title in content.followups(intent) if key != shown][:4]  # fmt: skip
    return text, buttons + always_buttons(content, intent, audience)


def clarify_options(content: Content, tracker: Tracker) -> list[str]:
    """The top two guesses that have a topic, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    return [r["name"] for r in ranking if content.has_topic(r["name"])][:2]


class ActionAnswer(Action):
    """Answer a topic, a follow-up, small talk, or ask which topic was meant (actions/turn.py)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Pick the reply for the latest message in the state the conversation is in."""
        return Turn(dispatcher, tracker, services().content).answer()


def payload_answer(turn: Turn) -> list[EventType]:
    """A button: a topic, one of its follow-ups, the other voice, or small talk."""
    intent = turn.intent
    if turn.content.has_topic(intent):
        item = turn.entity("item")
        if item:
            return turn.answer_choice(Choice("item", intent, item, strength=2))
        return turn.topic_answer(intent)
    key = intent if intent in turn.content.conversation else "out_of_scope"
    turn.send(turn.say(key), small_talk_buttons(turn.content, intent))
    return turn.events


def safety_check(dispatcher: CollectingDispatcher, content: Content, audience: str | None) -> None:
    """The grey zone's first reply: are you in danger? 111 and the urgent protocol, one tap away.

    The answer to the question follows in the same turn, so nobody has to answer the check first.
    """
    send(dispatcher, content.say("safety_check", audience), safety_check_buttons(content))


def safety_check_buttons(content: Content) -> list[dict[str, str]]:
    """The safety check's buttons: the urgent protocol and 111, one tap away."""
    return [button(content.button("in_danger"), "/urgent_danger"),
            button(content.button("call_111"), "/ask_hotline")]  # fmt: skip


def is_unsure(tracker: Tracker) -> bool:
    """Typed text the model is not confident about (button payloads never are)."""
    confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
    return not text_of(tracker).startswith("/") and confidence < CLARIFY_BELOW


def small_talk_buttons(content: Content, intent: str) -> list[dict[str, str]]:
    """Greetings and small talk offer the topics and a person."""
    if intent in ("greet", "out_of_scope", "bot_challenge"):
        return [button(content.button("more_topics"), "/ask_capabilities"),
                button(content.button("talk_to_person"), "/request_human")]  # fmt: skip
    if intent in ("thank", "goodbye"):  # a close: 111 and a person stay one tap away
        return [button(content.button("talk_to_person"), "/request_human"),
                button(content.button("call_111"), "/ask_hotline")]  # fmt: skip
    return []


def clarify(
    dispatcher: CollectingDispatcher, content: Content, tracker: Tracker, audience: str | None
) -> list[EventType]:
    """Ask "Có phải bạn đang hỏi về …?" with the top two guesses; after two misses, a person."""
    misses = float(tracker.get_slot("misses") or 0.0)
    if tracker.get_slot("pending") == "clarify":
        misses += 1
    if misses >= MISSES_BEFORE_PERSON:
        return two_misses(dispatcher, content, audience)
    options = clarify_options(content, tracker)
    if not options:
        send(
            dispatcher,
            content.say("out_of_scope", audience),
            small_talk_buttons(content, "out_of_scope"),
        )
        return [SlotSet("misses", misses)]
    titles = [content.title(o) for o in options]
    if len(options) == 2:
        text = content.say("clarify", audience, first=titles[0], second=titles[1])
    else:
        text = content.say("clarify_one", audience, first=titles[0])
    buttons = [button(t, f"/{o}") for o, t in zip(options, titles, strict=True)]
    send(
        dispatcher,
        text,
        buttons
        + [
            button(content.button("talk_to_person"), "/request_human"),
            button(content.button("not_this"), "/deny"),
        ],
    )
    return [SlotSet("pending", "clarify"), SlotSet("misses", misses), SlotSet("guess", options[0])]


def two_misses(
    dispatcher: CollectingDispatcher, content: Content, audience: str | None
) -> list[EventType]:
    """After two misses: apologise, offer a person and 111."""
    buttons = [button(content.button("talk_to_person"), "/request_human"),
               button(content.button("call_111"), "/ask_hotline")]  # fmt: skip
    send(dispatcher, content.say("two_misses", audience), buttons)
    # If they now ask for a person, the case is queued as "repeated fallbacks".
    return [SlotSet("pending", None), SlotSet("misses", 0.0), SlotSet("last_topic", "fallback")]


def ask_deletion(
    dispatcher: CollectingDispatcher, content: Content, audience: str | None
) -> list[EventType]:
    """Explain what is kept and ask to confirm deletion."""
    buttons = yes_no(content, "delete_yes", "delete_no")
    buttons.append(button(content.button("call_111"), "/ask_hotline"))  # 111 stays one tap away
    send(dispatcher, content.say("delete_confirm", audience), buttons)
    return [SlotSet("pending", "delete")]
