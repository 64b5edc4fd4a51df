"""Console fixtures: a store on SQLite, a fake agent, the console mounted at /console, accounts."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.console.app import create_console
from bot.console.security import HASHER, hash_password
from bot.content import load_content
from bot.core import Core
from bot.delivery import Delivery
from bot.engine.conversations import Engine
from bot.handoff import Handoff
from bot.messages import IncomingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from bot.storage.store import Store
from tests.helpers.fakes import Clock, EchoAgent, RecordingSender

PASSWORD = "correct horse battery"
ACCOUNTS = {"lan": "counsellor", "minh": "counsellor", "sup": "supervisor", "root": "admin"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class World:
    """Everything a console test touches."""

    def __init__(
        self,
        store: Store,
        core: Core,
        handoff: Handoff,
        sender: RecordingSender,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.store, self.core, self.handoff = store, core, handoff
        self.sender, self.clock, self.settings = sender, clock, settings

    async def person_writes(
        self, text: str, platform_id: str = "42", channel: str = "telegram"
    ) -> str:
        await self.core.handle(IncomingMessage(channel, platform_id, text))
        return self.core.person_id(channel, platform_id)

    async def urgent_case(
        self, platform_id: str = "42", priority: str = "self_harm", channel: str = "telegram"
    ) -> int:
        person = await self.person_writes("em không muốn sống nữa", platform_id, channel)
        return self.store.open_escalation(
            person_id=person,
            channel=channel,
            priority=priority,
            reason="urgent rule",
            context={
                "topic": priority,
                "urgent": True,
                "flags": ["suicidal_ideation"],
                "audience": "child",
                "channel": channel,
                "last_messages": [
                    {"from": "person", "text": "em không muốn sống nữa", "time": 1_767_225_600.0}
                ],
            },
        ).id


@functools.lru_cache(maxsize=1)
def password_hash() -> str:
    """The test accounts' hash, made at argon2's lowest cost.

    A check reads its cost from the hash, so a login here takes ~1 ms instead of ~180 ms; every
    check still runs argon2 (an unknown name runs it on a hash of the production cost), and
    accounts made by `donghanh operator add` get the production cost (`hash_password`).
    """
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    made = cheap.hash(PASSWORD)
    assert HASHER.verify(made, PASSWORD) and hash_password(PASSWORD) != made
    return made


@functools.lru_cache(maxsize=1)
def migrated_database() -> Path:
    """A SQLite file at the latest migration, copied for each world (migrating takes ~150 ms)."""
    folder = Path(tempfile.mkdtemp(prefix="donghanh-console-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = Store.open(f"sqlite:///{folder / 'template.db'}")
    template.engine.dispose()
    template.turn_engine.dispose()
    return folder / "template.db"


def console_settings(settings: Settings, tmp_path: Path, **console: Any) -> Settings:
    return replace(
        settings,
        data_dir=tmp_path,
        secret_key="test-secret-key-0123456789",
        console=replace(settings.console, **console),
    )


def make_world(settings: Settings, tmp_path: Path, **console: Any) -> World:
    configured = console_settings(settings, tmp_path, **console)
    clock = Clock(datetime.now(timezone.utc))
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(migrated_database(), tmp_path / "console.db")
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}")
    store.clock = clock
    for name, role in ACCOUNTS.items():
        store.add_operator(name, password_hash(), role)
    agent = EchoAgent()
    content = load_content()
    engine, pseudonymizer = Engine(agent), Pseudonymizer(b"k" * 32)
    delivery = Delivery(store, pseudonymizer)
    handoff = Handoff(engine, store, delivery, content, configured, clock=clock)
    core = Core(engine, store, pseudonymizer, content, max_chars=configured.max_message_chars,
                delivery=delivery, hold=handoff)  # fmt: skip
    sender = RecordingSender()
    core.register_sender(sender)
    return World(store, core, handoff, sender, clock, configured)


def mounted(world: World) -> Starlette:
    return Starlette(
        routes=[Mount("/console", app=create_console(world.store, world.handoff, world.settings))]
    )


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return make_world(settings, tmp_path)


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mounted(world))
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as c:
        yield c


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    client.cookies.clear()  # a fresh browser session
    page = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )


async def logged_in(client: httpx.AsyncClient, username: str) -> str:
    """Log in and return the session's CSRF token."""
    response = await login(client, username)
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/console/queue")).text)
