"""`TurnTrackerStore`: Rasa's SQL tracker store, read once per turn (see `bot.storage.tracker`)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import insert

from bot.storage.tracker import current_turn


class TurnTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that reads a tracker once per `turn()` and saves only what is new."""

    async def retrieve(self, sender_id: str) -> Any:
        """The tracker of the latest session; inside a turn, the turn's own tracker."""
        current = current_turn(sender_id)
        if current is None:
            return await super().retrieve(sender_id)
        if not current.loaded:
            current.tracker = await super().retrieve(sender_id)
            current.stored = len(current.tracker.events) if current.tracker is not None else 0
            current.loaded = True
        return current.tracker

    async def save(self, tracker: Any) -> None:
        """Store the tracker's new events (in a turn, those after the ones it was read with)."""
        current = current_turn(tracker.sender_id)
        if (
            current is None
            or not current.loaded
            or tracker is not current.tracker
            or tracker.events.maxlen is not None  # a capped history shifts the indexes
        ):
            await super().save(tracker)  # counts what is stored, as Rasa does
            if current is not None:  # from now on the turn uses this (fully stored) tracker
                current.tracker, current.stored, current.loaded = tracker, len(tracker.events), True
            return
        await self.stream_events(tracker)
        new = itertools.islice(tracker.events, current.stored, None)
        rows = [self._row(tracker.sender_id, event) for event in new]
        if rows:
            with self.engine.begin() as connection:  # one multi-row INSERT, no ORM unit of work
                connection.execute(insert(self.SQLEvent.__table__), rows)
        current.stored = len(tracker.events)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The database row of one event, exactly as `SQLTrackerStore.save` writes it."""
        data = event.as_dict()
        intent = data.get("parse_data", {}).get("intent", {}).get("name")
        return {"sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"), "intent_name": intent,
                "action_name": data.get("name"), "data": json.dumps(data)}  # fmt: skip
