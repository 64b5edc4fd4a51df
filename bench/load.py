"""Simulated people talking to the REST endpoint at a given concurrency (reusable load driver).

Each person is a distinct sender with a short conversation (3-5 messages: maybe a greeting, one to
four questions, maybe a thank-you or goodbye) drawn from the training data (nlu_data/) and the
dialogue tests (tests/conversations/), never from the blind sets in tests/nlu/. A person sends a
message, waits for the answer, then sends the next one (after a pause drawn around `think`
seconds; none by default, the worst case), and leaves after an error.
With several workers, each person is routed to one worker by a hash of the sender (sticky).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.stats import percentile

WEBHOOK = "/webhooks/rest/webhook"
SESSION = "/webhooks/rest/session"  # the server issues each web chat id (signed) before a chat
OPENERS = frozenset({"greet"})
CLOSERS = frozenset({"thank", "goodbye"})
# Escalations, urgent protocols and bare yes/no answers start flows that wait for a counsellor or
# answer a pending question: the load measures the ordinary answer path.
PEOPLE_PER_CLIENT = 20  # people sharing one HTTP client (connection pool)
LEFT_OUT = frozenset({"request_human", "urgent_danger", "self_harm", "affirm", "deny"})


@dataclass(frozen=True)
class MessagePool:
    """Texts to build conversations from, by role."""

    openers: tuple[str, ...]
    topics: tuple[str, ...]
    closers: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    """One simulated person: a sender id and the messages they send in order."""

    sender: str
    messages: tuple[str, ...]


@dataclass
class LevelResult:
    """What one concurrency level measured: latencies of answered messages, errors by kind."""

    concurrency: int
    people: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        """Messages answered with a 200 and a non-empty reply."""
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        """Non-200 answers, timeouts, connection errors and empty replies."""
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        """Answered messages per second of the level's wall time."""
        return self.answered / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float | None:
        """The q-th percentile of the round-trip latency (None if nothing was answered)."""
        return percentile(self.latencies_ms, q) if self.latencies_ms else None


def pool_from(steps: list[tuple[str, str]]) -> MessagePool:
    """Sort (intent, text) pairs into openers, topics and closers; leave escalations out."""
    kept = [(intent, text.strip()) for intent, text in steps if intent not in LEFT_OUT]
    kept = [(intent, text) for intent, text in kept if text]
    return MessagePool(
        openers=tuple(t for i, t in kept if i in OPENERS),
        topics=tuple(t for i, t in kept if i not in OPENERS | CLOSERS),
        closers=tuple(t for i, t in kept if i in CLOSERS),
    )


def load_pool(root: Path) -> MessagePool:
    """The pool from nlu_data/nlu/*.yml and the user steps of tests/conversations/*.yml."""
    from bot.nlu.datacheck import load_examples

    steps = [(e.intent, e.text) for e in load_examples(sorted((root / "nlu_data").rglob("*.yml")))]
    for path in sorted((root / "tests" / "conversations").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):  # dialogues.yml: multi-turn checks, not Rasa stories
            continue
        for story in data.get("stories", []):
            steps += [(s["intent"], str(s["user"])) for s in story.get("steps", [])
                      if "user" in s and "intent" in s]  # fmt: skip
    return pool_from(steps)


def conversation(pool: MessagePool, rng: random.Random, sender: str) -> Conversation:
    """A 3-5 message conversation: half open with a greeting, half close with thanks or goodbye."""
    length = rng.randint(3, 5)
    opener = [rng.choice(pool.openers)] if rng.random() < 0.5 else []
    closer = [rng.choice(pool.closers)] if rng.random() < 0.5 else []
    middle = [rng.choice(pool.topics) for _ in range(length - len(opener) - len(closer))]
    return Conversation(sender, tuple(opener + middle + closer))


def conversations(pool: MessagePool, count: int, *, seed: int, prefix: str) -> list[Conversation]:
    """`count` people with distinct senders `<prefix>-<i>`, reproducible for a seed."""
    rng = random.Random(seed)
    return [conversation(pool, rng, f"{prefix}-{i}") for i in range(count)]


def route(sender: str, workers: int) -> int:
    """The worker (0-based) that serves this sender: a stable hash, the same in every process."""
    if workers < 1:
        raise ValueError("need at least one worker")
    digest = hashlib.sha256(sender.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % workers


def reply_error(status: int, body: Any) -> str | None:
    """Why an answer counts as an error (None if it is a good one): non-200 or no text in it."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list) or not any(
        isinstance(m, dict) and str(m.get("text") or "").strip() for m in body
    ):
        return "empty reply"
    return None


async def send(client: httpx.AsyncClient, url: str, sender: str, text: str) -> float | str:
    """Post one message: the round trip in ms, or the kind of error."""
    start = time.perf_counter()
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        body = response.json() if response.status_code == 200 else None
    except httpx.TimeoutException:
        return "timeout"
    except (httpx.HTTPError, ValueError) as exc:
        return type(exc).__name__
    elapsed = (time.perf_counter() - start) * 1000
    return reply_error(response.status_code, body) or elapsed


def pauses(sender: str, count: int, think: float) -> list[float]:
    """Seconds a person waits before each of their messages; all zero when `think` is 0.

    Otherwise people arrive spread over the first `think` seconds (uniform), then pause an
    exponential pause of mean `think` before each next message. Reproducible per sender.
    """
    if think <= 0:
        return [0.0] * count
    rng = random.Random(sender)
    return [rng.uniform(0, think)] + [rng.expovariate(1 / think) for _ in range(count - 1)]


async def _person(
    client: httpx.AsyncClient, urls: list[str], talk: Conversation, gate: asyncio.Semaphore,
    result: LevelResult, think: float,
) -> None:  # fmt: skip
    base = urls[route(talk.sender, len(urls))]
    async with gate:
        try:
            issued = (await client.post(base + SESSION)).json()["sender"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            result.errors[type(exc).__name__] += 1
            return
        for text, pause in zip(talk.messages, pauses(talk.sender, len(talk.messages), think),
                               strict=True):  # fmt: skip
            await asyncio.sleep(pause)
            outcome = await send(client, base + WEBHOOK, issued, text)
            if isinstance(outcome, str):
                result.errors[outcome] += 1
                return  # the person gives up
            result.latencies_ms.append(outcome)


async def run_level(
    urls: list[str], people: list[Conversation], concurrency: int, *, timeout: float,
    think: float = 0.0,
) -> LevelResult:  # fmt: skip
    """Let `people` talk, at most `concurrency` of them at the same time.

    Args:
        urls: base URL of each worker (`http://127.0.0.1:PORT`), in routing order.
        people: the conversations; each runs start to end without pause.
        concurrency: how many people talk at once.
        timeout: seconds before a message counts as timed out.
        think: mean pause in seconds between a person's messages (0: none).
    """
    result = LevelResult(concurrency=concurrency, people=len(people))
    gate = asyncio.Semaphore(concurrency)
    # httpx looks through all of a client's connections for every request: with hundreds in one
    # pool the load client, not the bot, set the pace. One small pool per PEOPLE_PER_CLIENT.
    limits = httpx.Limits(max_connections=PEOPLE_PER_CLIENT + 2,
                          max_keepalive_connections=PEOPLE_PER_CLIENT)  # fmt: skip
    count = -(-min(concurrency, len(people)) // PEOPLE_PER_CLIENT)
    clients = [httpx.AsyncClient(timeout=httpx.Timeout(timeout), limits=limits)
               for _ in range(count)]  # fmt: skip
    try:
        start = time.perf_counter()
        await asyncio.gather(*(_person(clients[i % len(clients)], urls, p, gate, result, think)
                               for i, p in enumerate(people)))  # fmt: skip
        result.seconds = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    return result


async def warm_up(urls: list[str], texts: list[str], *, timeout: float) -> None:
    """Send each worker a few messages (not measured): first calls pay one-time costs.

    Raises:
        RuntimeError: when a worker answers none of them.
    """
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout)) as client:
        for url in urls:
            # the web chat answers only chat ids it issued (POST /webhooks/rest/session)
            outcomes = [await send(client, url + WEBHOOK, await _chat_id(client, url), text)
                        for text in texts]  # fmt: skip
            if all(isinstance(o, str) for o in outcomes):
                raise RuntimeError(f"worker {url} answered no warm-up message: {outcomes}")


async def _chat_id(client: httpx.AsyncClient, base: str) -> str:
    """A chat id issued by the worker at `base`."""
    return str((await client.post(base + SESSION)).json()["sender"])
