"""Answers to every question that is not urgent: topics, follow-ups, small talk, clarification."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import always_buttons, audience_of, button, send, text_of, yes_no
from bot.content import Content
from bot.language import is_english
from bot.nlu.textnorm import fold
from bot.runtime import services

# Below this confidence the bot asks "Có phải bạn đang hỏi về …?" instead of guessing
# (chosen on dev.yml: see the README's "Low confidence" paragraph).
CLARIFY_BELOW = 0.45
MISSES_BEFORE_PERSON = 2
DELETE_WORDS = ("xoa", "delete")


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def _is_payload(tracker: Tracker) -> bool:
    return text_of(tracker).startswith("/")


def topic_reply(
    content: Content, intent: str, audience: str | None, item: str | None = None
) -> tuple[str, list[dict[str, str]]]:
    """The text and buttons of a topic answer (or of one of its follow-ups)."""
    text = (content.followup(intent, item, audience) if item else None) or content.answer(
        intent, audience
    )
    shown = item if text != content.answer(intent, audience) else None
    buttons = [button(title, f'/{intent}{{"item":"{key}"}}')
               for key, title in content.followups(intent) if key != shown]  # fmt: skip
    return text, buttons + always_buttons(content, intent, audience)


def clarify_options(content: Content, tracker: Tracker) -> list[str]:
    """The top two guesses that have a topic, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    return [r["name"] for r in ranking if content.has_topic(r["name"])][:2]


class ActionAnswer(Action):
    """Answer a topic, a follow-up, small talk, or ask which topic was meant."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Pick the reply for the latest message."""
        content = services().content
        intent = str((tracker.latest_message.get("intent") or {}).get("name") or "out_of_scope")
        audience = audience_of(tracker)
        events: list[EventType] = [SlotSet("audience", audience), SlotSet("pending", None)]
        if is_grey(tracker):
            safety_check(dispatcher, content, audience)
        if not _is_payload(tracker) and is_english(text_of(tracker)):
            buttons = [button(content.button("talk_to_person"), "/request_human"),
                       button(content.button("call_111"), "/ask_hotline")]  # fmt: skip
            send(dispatcher, content.say("english", audience), buttons)
            return events
        if intent == "ask_anonymity" and self._wants_deletion(tracker):
            return events + ask_deletion(dispatcher, content, audience)
        if self._unsure(tracker, intent):
            return events + clarify(dispatcher, content, tracker, audience)
        if content.has_topic(intent):
            text, buttons = topic_reply(content, intent, audience, _entity(tracker, "item"))
            if _entity(tracker, "audience"):
                text = f"{content.say('audience_switched', audience)}\n\n{text}"
            send(dispatcher, text, buttons)
            return events + [SlotSet("last_topic", intent), SlotSet("misses", 0.0)]
        send(dispatcher, content.say(intent, audience), small_talk_buttons(content, intent))
        return events

    @staticmethod
    def _wants_deletion(tracker: Tracker) -> bool:
        if _entity(tracker, "delete"):
            return True
        words = fold(text_of(tracker)).split()
        return any(w in DELETE_WORDS for w in words)

    @staticmethod
    def _unsure(tracker: Tracker, intent: str) -> bool:
        return is_unsure(tracker)


def is_grey(tracker: Tracker) -> bool:
    """Typed text the triage could not call safe or urgent (`safety.grey`, bot/nlu/triage.py)."""
    return not _is_payload(tracker) and bool(
        (tracker.latest_message.get("safety") or {}).get("grey")
    )


def safety_check(dispatcher: CollectingDispatcher, content: Content, audience: str | None) -> None:
    """The grey zone's first reply: are you in danger? 111 and the urgent protocol, one tap away.

    The answer to the question follows in the same turn, so nobody has to answer the check first.
    """
    buttons = [button(content.button("in_danger"), "/urgent_danger"),
               button(content.button("call_111"), "/ask_hotline")]  # fmt: skip
    send(dispatcher, content.say("safety_check", audience), buttons)


def is_unsure(tracker: Tracker) -> bool:
    """Typed text the model is not confident about (button payloads never are)."""
    confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
    return not _is_payload(tracker) and confidence < CLARIFY_BELOW


def small_talk_buttons(content: Content, intent: str) -> list[dict[str, str]]:
    """Greetings and small talk offer the topics and a person."""
    if intent in ("greet", "out_of_scope", "bot_challenge"):
        return [button(content.button("more_topics"), "/ask_capabilities"),
                button(content.button("talk_to_person"), "/request_human")]  # fmt: skip
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
    send(dispatcher, text, buttons + [button(content.button("not_this"), "/deny")])
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
    send(dispatcher, content.say("delete_confirm", audience), buttons)
    return [SlotSet("pending", "delete")]
