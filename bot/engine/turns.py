"""One turn of one person: inside `turn(sender)` the tracker is read at most once.

The core opens a turn while it holds the person's lock; `bot.engine.tracker_store.TurnTrackerStore`
hands the same tracker to everyone in the turn (the duplicate check, Rasa's processor, the turn's
bookkeeping) and saves only the events added since it was read. No Rasa import here: the tracker
store imports this module, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Turn:
    """What one turn knows of a person's tracker: the object in use, and how much is stored."""

    sender_id: str
    loaded: bool = False
    tracker: Any = None  # Rasa's DialogueStateTracker, or None for a person not seen before
    stored: int = 0  # how many of `tracker.events` are in the database
    over: bool = False  # set when the turn ends (a task started inside it may live longer)
    # run when the turn ends without an error, still under the person's lock
    on_success: list[Callable[[], None]] = field(default_factory=list)


_TURN: ContextVar[Turn | None] = ContextVar("donghanh_tracker_turn", default=None)


@contextmanager
def turn(sender_id: str) -> Iterator[Turn]:
    """One turn of one person (hold their lock): the tracker is read at most once inside it.

    After the turn `Turn.tracker` is the tracker as last saved, or None when the tracker store is
    not a `TurnTrackerStore` or nothing read it. Read what you need of it before the turn ends:
    the store may hand the same object to the person's next turn.
    """
    current = Turn(sender_id)
    token = _TURN.set(current)
    try:
        yield current
    finally:
        current.over = True
        _TURN.reset(token)
    for callback in current.on_success:  # not reached when the turn raised
        callback()


def current_turn(sender_id: str) -> Turn | None:
    """The turn of `sender_id` this task is in, if any."""
    found = _TURN.get()
    return found if found is not None and found.sender_id == sender_id and not found.over else None
