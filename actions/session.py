"""A new session (after 60 idle minutes) keeps the slots and, above all, a counsellor's pause.

Rasa's default `action_session_start` starts the new session unpaused, so a person whose case a
counsellor holds would suddenly get bot answers again after an hour of silence.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionSessionStart(Action):
    """Start a session, carrying over the slots and the pause."""

    def name(self) -> str:
        """Rasa's name for the session-start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Emit SessionStarted, the slots, the pause if one was in force, then listen."""
        events: list[EventType] = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in tracker.current_slot_values().items()
                   if value is not None and name != "session_started_metadata"]  # fmt: skip
        if tracker.is_paused():
            events.append(ConversationPaused())
        return [*events, ActionExecuted("action_listen")]
