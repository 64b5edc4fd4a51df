"""Build the running bot: agent, store, content, pseudonyms, the core and the actions' services."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot import runtime
from bot.content import Content, load_content
from bot.core import Core
from bot.delivery import Delivery
from bot.engine.conversations import Engine
from bot.handoff import Handoff
from bot.limits import rate_limiter_for
from bot.pseudonym import Pseudonymizer, load_key
from bot.settings import Settings
from bot.storage.api import StoreAPI
from bot.storage.blocklist import BlocklistSnapshot
from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.engine.model import Agent

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything one process serves with."""

    settings: Settings
    engine: Engine
    store: StoreAPI
    content: Content
    core: Core
    handoff: Handoff | None = None  # when the store is the real database


def open_store(settings: Settings) -> StoreAPI:
    """The application database (SQLite by default, PostgreSQL through DATABASE_URL)."""
    return Store.open(settings.database_url)


def load_bot_agent(settings: Settings, model_path: Path) -> Agent:
    """The trained model with the SQL tracker store on the same database."""
    from bot.engine.locks import lock_store_for
    from bot.engine.model import load_agent
    from bot.engine.tracker_store import tracker_store_for

    locks = lock_store_for(settings.redis_url, settings.redis_key_prefix)
    return load_agent(model_path, tracker_store=tracker_store_for(settings.database_url),
                      lock_store=locks)  # fmt: skip


def build(
    settings: Settings,
    *,
    agent: Agent,
    store: StoreAPI | None = None,
    content: Content | None = None,
) -> Bot:
    """Wire the core and its handoff, and install the services the actions use."""
    store = store if store is not None else open_store(settings)
    content = content or load_content()
    key = load_key(settings.secret_key, settings.data_dir, production=settings.production)
    pseudonymizer = Pseudonymizer(key)
    engine = Engine(agent)
    delivery = Delivery(store, pseudonymizer)
    blocklist = BlocklistSnapshot(store) if isinstance(store, Store) else None
    handoff = (
        Handoff(engine, store, delivery, content, settings) if isinstance(store, Store) else None
    )
    core = Core(engine, store, pseudonymizer, content, max_chars=settings.max_message_chars,
                rate_limiter=rate_limiter_for(settings), blocklist=blocklist, delivery=delivery,
                hold=handoff)  # fmt: skip
    services = runtime.Services(settings=settings, content=content, store=store, handoff=handoff)
    runtime.install(services)
    return Bot(settings=settings, engine=engine, store=store, content=content, core=core,
               handoff=handoff)  # fmt: skip
