"""`Engine`: what the rest of the bot asks of Rasa about conversations, and nothing more.

The core runs one turn through it, the handoff and the deletion write to a conversation through
it, and the channels read who is writing or the operator's replies through the core, which asks
it. Nothing outside `bot.engine` touches Rasa's agent, tracker store or event classes: what is
written is described with the small records below (`Said`, `Reply`, `SetSlot`, `Pause`), and what
is read comes back as Rasa's tracker, read by attribute (`events`, `get_slot`, `is_paused`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union

from bot.engine.tracker_store import forget_tracker
from bot.engine.turns import turn
from bot.storage.threads import off_loop

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.shared.core.trackers import DialogueStateTracker

T = TypeVar("T")
AUDIENCE_SLOT = "audience"


@dataclass(frozen=True)
class Said:
    """A message of the person's, written by the bot itself (not parsed by Rasa)."""

    text: str
    intent: str
    message_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Reply:
    """A message of the bot's (or a counsellor's: `metadata={"operator": name}`)."""

    text: str
    data: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetSlot:
    """A slot set to a value."""

    name: str
    value: Any


@dataclass(frozen=True)
class Pause:
    """Pause the bot for the person (True) or resume it (False); nothing if already so."""

    paused: bool


Change = Union[Said, Reply, SetSlot, Pause]


@dataclass(frozen=True)
class BotLine:
    """A message of the bot's or a counsellor's, as stored in the conversation."""

    text: str
    timestamp: float
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]


class Engine:
    """One loaded Rasa agent, behind the questions the bot asks of it."""

    def __init__(self, agent: Agent) -> None:
        """Serve conversations with `agent` (`bot.engine.model.load_agent`)."""
        self.agent = agent

    @property
    def model_name(self) -> str | None:
        """The file name of the model the agent runs (None if it has none)."""
        processor = getattr(self.agent, "processor", None)
        filename = getattr(processor, "model_filename", None)
        return Path(filename).name if filename else None

    async def parse(self, text: str) -> dict[str, Any]:
        """The NLU result for `text` (nothing is stored)."""
        return dict(await self.agent.parse_message(text))

    @asynccontextmanager
    async def lock(self, person: str, *, poll_seconds: float | None = None) -> AsyncIterator[None]:
        """Hold the person's conversation lock (shared by every worker through Redis)."""
        lock_store = self.agent.lock_store
        if poll_seconds is None:
            async with lock_store.lock(person):
                yield
        else:
            async with lock_store.lock(person, wait_time_in_seconds=poll_seconds):
                yield

    async def tracker(self, person: str) -> DialogueStateTracker | None:
        """The person's conversation (latest session); None for someone never seen."""
        return await self.agent.tracker_store.retrieve(person)

    async def full_tracker(self, person: str) -> DialogueStateTracker | None:
        """The person's conversation, every session."""
        return await self.agent.tracker_store.retrieve_full_tracker(person)

    async def audience(self, person: str) -> str | None:
        """Who is writing (the `audience` slot), if known."""
        tracker = await self.tracker(person)
        return tracker.get_slot(AUDIENCE_SLOT) if tracker is not None else None

    async def is_paused(self, person: str) -> bool:
        """Whether a counsellor holds the conversation (the bot is paused)."""
        tracker = await self.tracker(person)
        return bool(tracker is not None and tracker.is_paused())

    async def bot_lines(self, person: str, after: float = 0.0) -> list[BotLine]:
        """The bot's and the counsellors' messages newer than `after` (a tracker timestamp)."""
        tracker = await self.tracker(person)
        if tracker is None:
            return []
        return [
            BotLine(event.text or "", event.timestamp, event.data or {}, event.metadata or {})
            for event in tracker.events
            if event.type_name == "bot" and event.timestamp > after
        ]

    async def run_turn(
        self,
        person: str,
        text: str,
        *,
        channel: str,
        metadata: dict[str, Any],
        message_id: str,
        read: Callable[[DialogueStateTracker], T],
        lock_poll_seconds: float | None = None,
    ) -> tuple[list[dict[str, Any]], T | None] | None:
        """Run one message through the agent under the person's lock.

        Returns the bot's messages (Rasa's dicts) and `read(tracker)` of the tracker the turn
        ended with (read before the lock is released: the tracker store may keep the same object
        for the person's next turn), or None when this message id was handled before. The check
        and the turn happen under the same lock, so a platform's retry is never answered twice.
        """
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender_id=person, input_channel=channel,
                              metadata=metadata, message_id=message_id)  # fmt: skip
        async with self.lock(person, poll_seconds=lock_poll_seconds):
            with turn(person) as current:
                if await self._seen(person, message_id):
                    return None
                await self.agent.processor.handle_message(message)
                tracker = current.tracker if current.loaded else None
                if tracker is None:  # a tracker store that does not keep turns
                    tracker = await self.tracker(person)
                facts = read(tracker) if tracker is not None else None
        return list(output.messages), facts

    async def _seen(self, person: str, message_id: str) -> bool:
        tracker = await self.tracker(person)
        return tracker is not None and any(
            e.type_name == "user" and e.message_id == message_id for e in tracker.events
        )

    async def replies_to(self, person: str, message_id: str) -> list[dict[str, Any]]:
        """What the bot answered to this message id the first time (Rasa's dicts)."""
        tracker = await self.tracker(person)
        replies: list[dict[str, Any]] = []
        found = False
        for event in tracker.events if tracker is not None else []:
            if event.type_name == "user":
                if found:
                    break
                found = event.message_id == message_id
            elif found and event.type_name == "bot":
                replies.append({"text": event.text, **(event.data or {})})
        return replies

    async def write(self, person: str, *changes: Change) -> None:
        """Append `changes` to the person's conversation, in order, under their lock."""
        from rasa.shared.core.events import (
            BotUttered,
            ConversationPaused,
            ConversationResumed,
            SlotSet,
            UserUttered,
        )

        async with self.lock(person):
            tracker = await self.agent.tracker_store.get_or_create_tracker(person)
            for change in changes:
                if isinstance(change, Said):
                    intent = {"name": change.intent, "confidence": 1.0}
                    tracker.update(UserUttered(change.text, intent, message_id=change.message_id,
                                               input_channel=change.channel))  # fmt: skip
                elif isinstance(change, Reply):
                    tracker.update(BotUttered(change.text, data=dict(change.data),
                                              metadata=dict(change.metadata)))  # fmt: skip
                elif isinstance(change, SetSlot):
                    tracker.update(SlotSet(change.name, change.value))
                elif change.paused and not tracker.is_paused():
                    tracker.update(ConversationPaused())
                elif not change.paused and tracker.is_paused():
                    tracker.update(ConversationResumed())
            await self.agent.tracker_store.save(tracker)

    async def forget(self, person: str) -> int:
        """Delete the person's whole conversation; returns how many events were deleted.

        The DELETE runs in a worker thread, like the tracker store's reads and saves.
        """
        async with self.lock(person):
            return await off_loop(forget_tracker, self.agent.tracker_store, person)


def unavailable_errors() -> tuple[type[Exception], ...]:
    """Rasa's error for a lock it could not take (Redis down or a lock held too long)."""
    from rasa.core.lock_store import LockError

    return (LockError,)
