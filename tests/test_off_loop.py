"""A database that makes one request wait does not stall the others (issue #17).

Another connection holds SQLite's write lock; a person's message then waits for it in the
store's bookkeeping (up to the 30 s busy timeout). Meanwhile `/health`, another person's chat
page and a console page must still be answered: the test asks for them while the lock is held,
and only releases it once they have answered. With the store called on the event loop, the
waiting message held the whole process: nothing else ran until it gave up.

The same with the trained agent, where the wait is inside Rasa's turn: the tracker store's save
of the turn's events, and a custom action that opens a case (`actions/common.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event

from bot.app import create_app
from bot.content import load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from bot.storage.store import Store
from tests.helpers.fakes import EchoAgent

WAIT = 60.0  # how long the test waits for the request to reach the lock (never reached)


class World:
    def __init__(self, store: Store, core: Core, client: httpx.AsyncClient, path: Path) -> None:
        self.store, self.core, self.client, self.path = store, core, client, path

    def on_write(self, engine: Any) -> tuple[threading.Event, threading.Event]:
        """Events set when `engine` starts a statement that needs the write lock, and when such a
        statement ends (written, or given up on at the busy timeout)."""
        reached, over = threading.Event(), threading.Event()

        def writes(statement: str) -> bool:
            return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if writes(statement):
                reached.set()

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if writes(statement):
                over.set()

        def failed(context: Any) -> None:
            if writes(context.statement or ""):
                over.set()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "handle_error", failed)
        return reached, over

    def hold_write_lock(self) -> sqlite3.Connection:
        """Another connection takes the database's write lock and keeps it."""
        other = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        return other


@pytest_asyncio.fixture(loop_scope="function")
async def world(settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "donghanh.db"
    store = Store.open(f"sqlite:///{path}")
    content = load_content()
    core = Core(Engine(EchoAgent()), store, Pseudonymizer(b"k" * 32), content, max_chars=4000)
    async with served(settings, tmp_path, store, core, path) as world:
        yield world


@contextlib.asynccontextmanager
async def served(
    settings: Settings, tmp_path: Path, store: Store, core: Core, path: Path
) -> AsyncIterator[World]:
    """The app around `core`, a client for it, and the store's engines disposed at the end."""
    configured = replace(settings, data_dir=tmp_path, secret_key="off-loop-key-0123456789")
    transport = httpx.ASGITransport(app=create_app(configured, core))
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=120) as client:
        yield World(store, core, client, path)
    store.engine.dispose()
    store.turn_engine.dispose()


async def answered_while_locked(
    world: World, engine: Any, waiting: Callable[[], Any], others: dict[str, Callable[[], Any]]
) -> list[tuple[str, int]]:
    """Start `waiting` while the write lock is held; ask `others`; then release the lock.

    Returns the order in which the requests were answered, with their status codes. Fails if
    the waiting request's write ended (gave up) before the others were answered.
    """
    reached, over = world.on_write(engine)
    order: list[tuple[str, int]] = []
    waited = False

    async def first() -> None:
        order.append(("waiting", (await waiting()).status_code))

    other = world.hold_write_lock()
    try:
        task = asyncio.create_task(first())
        # the waiting request has reached the database (with the store on the event loop this
        # line runs only after it gave up: the loop was not free to run it before)
        assert await asyncio.to_thread(reached.wait, WAIT)
        for name, ask in others.items():
            order.append((name, (await ask()).status_code))
        waited = not over.is_set()
    finally:
        other.rollback()  # release the lock
        other.close()
    await task
    assert waited, "the others were answered only after the waiting write gave up"
    return order


async def test_a_message_waiting_for_the_database_stalls_no_other_request(world: World) -> None:
    client = world.client
    sender = (await client.post("/webhooks/rest/session")).json()["sender"]
    body = {"sender": sender, "message": "con tôi bị lừa nạp thẻ game"}

    order = await answered_while_locked(
        world,
        world.store.turn_engine,  # `record_turn`: the bookkeeping of every message
        lambda: client.post("/webhooks/rest/webhook", json=body),
        {"health": lambda: client.get("/health"), "page": lambda: client.get("/")},
    )
    assert order == [("health", 200), ("page", 200), ("waiting", 200)]


async def test_the_handoffs_background_writes_stall_no_request(
    world: World, settings: Settings
) -> None:
    """The claim-timeout check, every 30 s in every worker, marks cases as told."""
    from datetime import timedelta

    from bot.handoff import Handoff

    handoff = Handoff(world.core.engine, world.store, world.core.delivery, load_content(),
                      settings)  # fmt: skip
    now = handoff.clock()
    world.store.clock = lambda: now - timedelta(hours=1)  # a case nobody claimed for an hour
    world.store.open_escalation(person_id="p-off-loop", channel="web", priority="request_human",
                                reason="test", context={})  # fmt: skip
    world.store.clock = handoff.clock

    async def check() -> httpx.Response:
        return httpx.Response(200 if await handoff.check_timeouts() == 1 else 500)

    order = await answered_while_locked(
        world, world.store.engine, check, {"health": lambda: world.client.get("/health")}
    )
    assert order == [("health", 200), ("waiting", 200)]


@pytest.fixture(scope="module")
def trackers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Rasa's tracker store as `donghanh run` builds it, on a SQLite file."""
    from bot.engine.tracker_store import tracker_store_for

    found = tracker_store_for(f"sqlite:///{tmp_path_factory.mktemp('off-loop') / 'donghanh.db'}")
    yield found
    found.engine.dispose()


@pytest.fixture(scope="module")
def real_agent(trained_model: Path, trackers: Any) -> Any:
    """The trained agent with that tracker store (and the in-process actions)."""
    from bot.engine.model import load_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_agent(trained_model, tracker_store=trackers)


@pytest_asyncio.fixture(loop_scope="function")
async def real_world(
    real_agent: Any, trackers: Any, settings: Settings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:  # fmt: skip
    """The trained agent, and the store the actions use on the tracker store's SQLite file."""
    from bot import runtime

    path = Path(trackers.engine.url.database)
    store = Store.open(f"sqlite:///{path}")
    content = load_content()
    monkeypatch.setattr(runtime, "_current", runtime.Services(settings, content, store))
    core = Core(Engine(real_agent), store, Pseudonymizer(os.urandom(32)), content, max_chars=4000)
    async with served(settings, tmp_path, store, core, path) as world:
        yield world


async def say(world: World, text: str) -> Callable[[], Any]:
    """A new web chat person's message, to be sent when called."""
    sender = (await world.client.post("/webhooks/rest/session")).json()["sender"]
    body = {"sender": sender, "message": text}
    return lambda: world.client.post("/webhooks/rest/webhook", json=body)


async def test_rasas_turn_waiting_for_the_database_stalls_no_other_request(
    real_world: World, trackers: Any
) -> None:
    """The tracker store saves the turn's events (Rasa's processor, inside the turn): the first
    write to the tracker store's engine."""
    order = await answered_while_locked(
        real_world, trackers.engine, await say(real_world, "con tôi bị lừa nạp thẻ game"),
        {"health": lambda: real_world.client.get("/health"),
         "page": lambda: real_world.client.get("/")},
    )  # fmt: skip
    assert order == [("health", 200), ("page", 200), ("waiting", 200)]


async def test_an_action_opening_a_case_while_the_database_waits_stalls_no_request(
    real_world: World,
) -> None:
    """`open_case` (actions/common.py) writes the case from inside Rasa's turn: the turn's first
    write to the store's engine (the core's own bookkeeping comes after the turn)."""
    order = await answered_while_locked(
        real_world, real_world.store.engine,
        await say(real_world, "cứu em với, có người đang đánh em"),
        {"health": lambda: real_world.client.get("/health")},
    )  # fmt: skip
    assert order == [("health", 200), ("waiting", 200)]
    assert [case.priority for case in real_world.store.queue()] == ["urgent_danger"]


async def test_deleting_a_conversation_while_the_database_waits_stalls_no_request(
    real_world: World, trackers: Any
) -> None:
    """`/xoa`'s deletion of the tracker store's events (`Engine.forget`)."""
    client = real_world.client
    sender = (await client.post("/webhooks/rest/session")).json()["sender"]
    said = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "chào"})
    assert said.status_code == 200
    person = real_world.core.person_id("web", sender)

    async def forget() -> httpx.Response:
        return httpx.Response(200 if await real_world.core.engine.forget(person) > 0 else 500)

    order = await answered_while_locked(
        real_world, trackers.engine, forget, {"health": lambda: client.get("/health")}
    )
    assert order == [("health", 200), ("waiting", 200)]
