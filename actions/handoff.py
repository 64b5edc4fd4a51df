"""Asking for a person: the case is committed first, then the bot says it was passed on."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import audience_of, counsellors_on_duty, open_case, send
from bot.content import Content
from bot.runtime import services

PROTOCOLS = ("urgent_danger", "self_harm")
# The queue's priority for a case, from the last topic of the conversation.
PRIORITY_OF_TOPIC = {**{p: p for p in PROTOCOLS}, "fallback": "fallback"}


def pass_to_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content, audience: str | None
) -> list[EventType]:
    """Record a case for a counsellor and tell the person honestly what happens next."""
    topic = str(tracker.get_slot("last_topic") or "request_human")
    priority = PRIORITY_OF_TOPIC.get(topic, "request_human")
    if not open_case(tracker, priority, "asked for a person", topic, audience):
        send(dispatcher, content.say("request_human_failed", audience))
        return [SlotSet("pending", None)]
    if topic in PROTOCOLS:
        send(dispatcher, content.protocol(topic, "handed_over", audience))
    else:
        send(dispatcher, content.say("request_human_saved", audience))
    if not counsellors_on_duty():
        send(dispatcher, content.say("handoff_closed", audience))
    return [SlotSet("pending", None), SlotSet("audience", audience)]


class ActionRequestHuman(Action):
    """request_human: open (or update) a case and say so once it is saved."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Pass the conversation to a person."""
        return pass_to_person(dispatcher, tracker, services().content, audience_of(tracker))
