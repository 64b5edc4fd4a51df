"""`DialogueStateTracker.copy()` without replaying the whole conversation.

Rasa's processor copies the tracker before every action it runs (`_run_action`: the copy is
thrown away if the action is rejected). Rasa's `copy` makes a fresh tracker and applies every
event of the conversation to it again: ~4% of a turn, and more as the conversation grows. A
tracker's state is what its events made it, so the copy here takes that state as it is: the same
events (the same objects, as Rasa's replay shares them), the slots copied with their values, and
the few other attributes the events set. tests/test_tracker_copy.py checks
that it is Rasa's copy, attribute by attribute, for any sequence of events.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import deque
from typing import Any, Callable

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

UNKNOWN = object()  # a latest message that is neither an event nor an empty one
RASA_COPY: Callable[[DialogueStateTracker], DialogueStateTracker] = DialogueStateTracker.copy


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What `tracker.copy()` returns, without applying the events again.

    Rasa's own copy is used for what the shortcut does not know: a bounded history (the replay
    would start from the oldest event kept, not from the state the dropped ones left), events
    whose timestamp does not compare below infinity (the replay stops there, or raises), and a
    latest message that is neither an event nor an empty one (set by hand: the replay ignores it).
    """
    events = tracker.events
    if events.maxlen is not None:
        return RASA_COPY(tracker)
    try:
        ordered = all(event.timestamp <= math.inf for event in events)
    except TypeError:
        ordered = False
    if not ordered:
        return RASA_COPY(tracker)
    # The latest messages are events of the conversation, shared as the replay shares them, or
    # the empty ones a reset made, which the replay makes anew; anything else is Rasa's to copy.
    shared = {id(event) for event in events}
    message = _own(tracker.latest_message, shared)
    utterance = _own(tracker.latest_bot_utterance, shared)
    if message is UNKNOWN or utterance is UNKNOWN:
        return RASA_COPY(tracker)
    # What `DialogueStateTracker.__init__` sets (Rasa's copy starts from `init_copy`), set
    # directly: building a tracker resets every slot and makes two empty messages, the most
    # expensive part of a copy once nothing is replayed.
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new.__dict__.update(
        _max_event_history=None,
        events=deque(events),
        sender_id=tracker.sender_id or DEFAULT_SENDER_ID,
        slots={name: _copied(slot) for name, slot in tracker.slots.items()},  # with values
        sender_source=None,
        is_rule_tracker=tracker.is_rule_tracker,
        _paused=tracker._paused,
        followup_action=tracker.followup_action,
        latest_action=dict(tracker.latest_action) if tracker.latest_action is not None else None,
        latest_message=message,
        latest_bot_utterance=utterance,
        active_loop=(
            dataclasses.replace(tracker.active_loop) if tracker.active_loop is not None else None
        ),  # fmt: skip
        model_id=None,  # as `init_copy` leaves them: the events already carry them
        assistant_id=None,
    )
    return new


def _copied(slot: Slot) -> Slot:
    """`copy.copy(slot)` (every attribute, the value included) without `copy`'s generic path."""
    if type(slot).__reduce_ex__ is not object.__reduce_ex__ or hasattr(slot, "__copy__"):
        return copy.copy(slot)
    new = object.__new__(type(slot))
    new.__dict__.update(slot.__dict__)
    return new


def _own(value: Any, shared: set[int]) -> Any:
    """The copy's latest message: the same event, a new empty one, or `UNKNOWN`."""
    if value is None or id(value) in shared:
        return value
    empty = getattr(type(value), "empty", None)
    fresh = empty() if callable(empty) else None
    if fresh is None or _untimed(fresh) != _untimed(value):
        return UNKNOWN
    return fresh


def _untimed(event: Any) -> dict[str, Any]:
    return {key: value for key, value in event.as_dict().items() if key != "timestamp"}


def install() -> None:
    """Make `DialogueStateTracker.copy` the shortcut (idempotent)."""
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
