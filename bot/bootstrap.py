"""Build the running bot: agent, store, content, pseudonyms, the core and the actions' services."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import runtime
from bot.content import Content, load_content
from bot.core import Core
from bot.limits import rate_limiter_for
from bot.pseudonym import Pseudonymizer, load_key
from bot.settings import Settings
from bot.storage.api import StoreAPI
from bot.storage.blocklist import BlocklistSnapshot
from bot.storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything one process serves with."""

    settings: Settings
    agent: Any
    store: StoreAPI
    content: Content
    core: Core
    handoff: Any = None  # bot.handoff.Handoff when the store is the real database


def open_store(settings: Settings) -> StoreAPI:
    """The application database (SQLite by default, PostgreSQL through DATABASE_URL)."""
    return Store.open(settings.database_url)


def load_bot_agent(settings: Settings, model_path: Path) -> Any:
    """The trained model with the SQL tracker store on the same database."""
    from bot.model import load_agent
    from bot.storage.locks import lock_store_for
    from bot.storage.tracker import tracker_store_for

    locks = lock_store_for(settings.redis_url, settings.redis_key_prefix)
    return load_agent(model_path, tracker_store=tracker_store_for(settings.database_url),
                      lock_store=locks)  # fmt: skip


def build(
    settings: Settings, *, agent: Any, store: StoreAPI | None = None, content: Content | None = None
) -> Bot:
    """Wire the core and install the services the actions use."""
    store = store if store is not None else open_store(settings)
    content = content or load_content()
    key = load_key(settings.secret_key, settings.data_dir, production=settings.production)
    blocklist = BlocklistSnapshot(store) if isinstance(store, Store) else None
    core = Core(agent, store, Pseudonymizer(key), content, max_chars=settings.max_message_chars,
                rate_limiter=rate_limiter_for(settings), blocklist=blocklist)  # fmt: skip
    handoff = None
    if isinstance(store, Store):
        from bot.handoff import Handoff

        handoff = Handoff(agent, store, core, content, settings)
        core.listeners.append(handoff.on_message)
        core.held = handoff.holds
    services = runtime.Services(settings=settings, content=content, store=store, handoff=handoff)
    runtime.install(services)
    return Bot(settings=settings, agent=agent, store=store, content=content, core=core,
               handoff=handoff)  # fmt: skip
