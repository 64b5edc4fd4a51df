"""The two urgent protocols: a child in danger now, and thoughts of self-harm.

The first reply is always the hotline: empathy, 111 (and 113 when someone may be in danger now) and
the one step that matters most, never a question or a menu first. The case is recorded for a
counsellor before the bot offers one; if recording fails the bot says so and gives 111 again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import audience_of, open_case, send, text_of, yes_no
from bot.content import Content
from bot.runtime import services


def offer(
    dispatcher: CollectingDispatcher, content: Content, intent: str, audience: str | None
) -> None:
    """Ask whether they want a counsellor, with yes/no buttons."""
    send(dispatcher, content.protocol(intent, "offer", audience), yes_no(content, "yes", "no"))


class ActionUrgent(Action):
    """urgent_danger: 111 first, the most important step, record the case, offer a counsellor."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_urgent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Run the protocol for the latest message."""
        content = services().content
        audience = audience_of(tracker)
        situation = content.urgent_situation(text_of(tracker))
        send(dispatcher, content.urgent_first(situation, audience))
        saved = open_case(tracker, "urgent_danger", situation, "urgent_danger", audience)
        events: list[EventType] = [
            SlotSet("audience", audience),
            SlotSet("last_topic", "urgent_danger"),
        ]
        if not saved:
            send(dispatcher, content.protocol("urgent_danger", "not_recorded", audience))
            return events + [SlotSet("pending", None)]
        offer(dispatcher, content, "urgent_danger", audience)
        return events + [SlotSet("pending", "counsellor")]


class ActionSelfHarm(Action):
    """self_harm: empathy, are you safe right now, 111, stay; record the case."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_self_harm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Run the protocol for the latest message."""
        content = services().content
        audience = audience_of(tracker)
        buttons = yes_no(content, "safe_yes", "safe_no")
        # Pills taken, bleeding, dizzy: 115 comes first, in every such message until they are safe.
        first = "attempt" if content.self_harm_attempt(text_of(tracker)) else "first"
        send(dispatcher, content.protocol("self_harm", first, audience), buttons)
        saved = open_case(tracker, "self_harm", "self_harm", "self_harm", audience)
        events: list[EventType] = [
            SlotSet("audience", audience),
            SlotSet("last_topic", "self_harm"),
        ]
        if not saved:
            send(dispatcher, content.protocol("self_harm", "not_recorded", audience))
        return events + [SlotSet("pending", "safety_check")]
