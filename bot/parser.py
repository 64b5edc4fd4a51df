"""Parse messages with a loaded model into the triage JSON of `donghanh parse`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.nlu.textnorm import nfc
from bot.nlu.triage import URGENT_INTENTS

if TYPE_CHECKING:
    from bot.engine.model import Agent

RANKING_SIZE = 3


class InvalidMessage(ValueError):
    """A message that cannot be parsed; the text says why."""


class MessageTooLong(InvalidMessage):
    """A message over the character limit (the person is told the limit)."""

    def __init__(self, length: int, limit: int) -> None:
        """Say how long the message is and what the limit is."""
        super().__init__(f"message too long ({length} characters; the limit is {limit})")
        self.length = length
        self.limit = limit


def check_text(raw: bytes | str, *, max_chars: int) -> str:
    """Decode and validate one message; return it in NFC or raise `InvalidMessage`."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMessage(f"not valid UTF-8 (byte {exc.start})") from None
    if "\x00" in raw:
        raise InvalidMessage("binary data (NUL byte)")
    text = nfc(raw)
    if not text:
        raise InvalidMessage("empty message")
    if len(text) > max_chars:
        raise MessageTooLong(len(text), max_chars)
    return text


def triage_result(parse_data: dict[str, Any]) -> dict[str, Any]:
    """Shape Rasa's parse data into the `donghanh parse` JSON object."""
    intent = parse_data.get("intent") or {}
    safety = parse_data.get("safety") or {}
    ranking = [
        {"intent": r["name"], "confidence": round(float(r["confidence"]), 4)}
        for r in (parse_data.get("intent_ranking") or [])[:RANKING_SIZE]
    ]
    name = intent.get("name")
    return {
        "text": parse_data.get("text"),
        "intent": name,
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "urgent": bool(safety.get("urgent", name in URGENT_INTENTS)),
        "ranking": ranking,
        "grey": bool(safety.get("grey")),
        "safety": {k: safety.get(k) for k in ("reason", "rules", "evidence", "score")},
        "urgency": parse_data.get("urgency"),
    }


class Parser:
    """Wraps a loaded Rasa agent; validates and parses one message at a time."""

    def __init__(self, agent: Agent, *, max_chars: int) -> None:
        """Keep the agent (loaded once by the caller)."""
        self._agent = agent
        self._max_chars = max_chars

    async def parse(self, raw: bytes | str) -> dict[str, Any]:
        """Return the triage JSON for `raw`, or `{"error": ...}` when the message is invalid."""
        try:
            text = check_text(raw, max_chars=self._max_chars)
        except InvalidMessage as exc:
            return {"error": str(exc)}
        return triage_result(await self._agent.parse_message(text))
