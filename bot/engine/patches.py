"""Every change we make to Rasa's own code or objects, in one table, applied by one `install()`.

Rasa Open Source 3.6 is the last open line, so every private attribute touched here is ours to
carry. Each patch says what it replaces, why, and the figure that justifies it; a patch whose
figure a user would not notice does not belong here (issue #19 removed five). `install()` refuses
to run on any Rasa but the pinned one, since each patch assumes that version's code.

What Rasa offers for extension (a policy, a tracker-store subclass, the agent's action endpoint,
NLU components) is not a patch and is listed in `EXTENSIONS` for the README only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from rasa.core.agent import Agent

log = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"  # pyproject.toml pins the same


class UnsupportedRasa(RuntimeError):
    """Rasa is not the version the patches were written and measured against."""


@dataclass(frozen=True)
class Patch:
    """One change to Rasa: what it replaces, why, and what it buys."""

    name: str
    scope: str  # "process" (a class of Rasa's, once), "agent" or "tracker store" (one object)
    replaces: str
    reason: str
    figure: str
    apply: Callable[[Any], None]  # called with None, the agent or the tracker store


def _compiled_result_check(_: Any) -> None:
    from bot.engine.actions_endpoint import validate_once_compiled

    validate_once_compiled()


def _event_type_lookup(_: Any) -> None:
    resolve_event_types_once()


def _sequential_runner(agent: Any) -> None:
    from bot.engine.graph_runner import use_sequential_runner

    use_sequential_runner(agent.processor)


def _raise(error: Exception) -> None:
    raise error


def _fail_loudly(agent: Any) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    if isinstance(agent.tracker_store, FailSafeTrackerStore):
        agent.tracker_store._on_tracker_store_error = _raise


def _pre_ping(store: Any) -> None:
    if store.engine.dialect.name != "sqlite":
        store.engine.pool._pre_ping = True


def _pooled_sqlite(store: Any) -> None:
    use_pooled_sqlite(store)


def resolve_event_types_once() -> None:
    """Make Rasa find an event's class by a dictionary lookup, not a walk of every subclass.

    `Event.resolve_by_type` lists all subclasses of `Event` (recursively, with an abstractness
    check) for every event it reads back from the database: most of the time spent rebuilding a
    tracker. The lookup table is built on first use and rebuilt when a name is not in it (a
    subclass imported later); the answer, and the error for an unknown name, are unchanged.
    """
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "looked_up", False):
        return
    original = Event.resolve_by_type
    table: dict[str, type] = {}

    def rebuild() -> None:
        from rasa.shared.utils.common import all_subclasses

        table.clear()
        for cls in all_subclasses(Event):
            table.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa's loop

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        if type_name not in table:
            rebuild()
        found = table.get(type_name)
        return found if found is not None else original(type_name, default)

    resolve_by_type.looked_up = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


def use_pooled_sqlite(store: Any) -> None:
    """Give a SQLite file store our pooled WAL engine (`bot.storage.store.make_engine`).

    Rasa's engine opens a connection per transaction (NullPool). Conversation events get no disk
    sync per commit (see `make_engine`; cases always sync). An in-memory database is left alone.
    """
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or (url.database or ":memory:") == ":memory:":
        return
    from sqlalchemy.orm import sessionmaker

    from bot.storage.database import make_engine

    store.engine.dispose()
    store.engine = make_engine(f"sqlite:///{url.database}", sync_every_commit=False)
    store.sessionmaker = sessionmaker(bind=store.engine)


PATCHES: tuple[Patch, ...] = (
    Patch(
        "compiled_result_check", "process", "RemoteAction._validate_action_result",
        "Rasa builds a validator for its whole event schema at every custom action and tries "
        "every event type on every event; ours is built once and checks each event against its "
        "own type (same verdicts, same errors)",
        "~13 ms of a ~45 ms turn; with the in-process endpoint 20 → 37 msg/s",
        _compiled_result_check,
    ),
    Patch(
        "event_type_lookup", "process", "Event.resolve_by_type",
        "Rasa walks every subclass of Event for each event it reads back from the database",
        "reading a 61-event conversation back from SQLite: 6.4–6.5 → 2.4–2.9 ms",
        _event_type_lookup,
    ),
    Patch(
        "sequential_graph_runner", "agent", "MessageProcessor.graph_runner",
        "dask builds and schedules a task graph for each parse and prediction of a dozen nodes "
        "that run one after the other anyway",
        "~0.5 ms per call, 3 calls a turn",
        _sequential_runner,
    ),
    Patch(
        "fail_loudly", "agent", "FailSafeTrackerStore._on_tracker_store_error",
        "on a database error Rasa treats the person as new and keeps the turn in memory: a "
        "conversation a counsellor holds would be answered by the bot and the turn lost",
        "correctness: the request fails with 503 and is retried",
        _fail_loudly,
    ),
    Patch(
        "pre_ping", "tracker store", "SQLTrackerStore.engine (pool pre-ping)",
        "Rasa builds its engine without pool_pre_ping: after a database restart every pooled "
        "connection fails once",
        "correctness: the bot recovers by itself after PostgreSQL restarts",
        _pre_ping,
    ),
    Patch(
        "pooled_sqlite", "tracker store", "SQLTrackerStore.engine and .sessionmaker on SQLite",
        "Rasa opens a connection per transaction (NullPool) and syncs the disk at each commit",
        "part of ~40 → ~13 ms a turn (pooled WAL connections, session 3)",
        _pooled_sqlite,
    ),
)  # fmt: skip

# Extension points Rasa offers, used as designed (listed for the README, nothing to apply).
EXTENSIONS: tuple[tuple[str, str], ...] = (
    ("bot.engine.actions_endpoint.InProcessActionEndpoint", "Agent.load(action_endpoint=...)"),
    ("bot.engine.tracker_store.TurnTrackerStore", "a SQLTrackerStore subclass"),
    ("bot.engine.policy.IntentPolicy", "a Policy (config.yml)"),
    ("bot.nlu.*", "NLU graph components (config.yml)"),
)

_installed: set[str] = set()


def check_version(version: str | None = None) -> None:
    """Raise `UnsupportedRasa` unless Rasa is the pinned version."""
    if version is None:
        import rasa

        version = rasa.__version__
    if version != PINNED_RASA:
        raise UnsupportedRasa(f"Rasa {version} is installed; bot.engine's patches are written for "
                              f"{PINNED_RASA} only (see bot/engine/patches.py)")  # fmt: skip


def install(agent: Agent | None = None, *, tracker_store: Any = None) -> list[str]:
    """Apply every patch: the process-wide ones once, and those of the objects given.

    Args:
        agent: a loaded Rasa agent (its processor and tracker store are patched).
        tracker_store: a Rasa `SQLTrackerStore` just built (`tracker_store_for`).

    Returns:
        The names of the patches applied by this call.

    Raises:
        UnsupportedRasa: when Rasa is not the pinned version (nothing is applied).
    """
    check_version()
    targets = {"process": None, "agent": agent, "tracker store": tracker_store}
    applied = []
    for patch in PATCHES:
        target = targets[patch.scope]
        if patch.scope == "process":
            if patch.name in _installed:
                continue
            _installed.add(patch.name)
        elif target is None:
            continue
        patch.apply(target)
        applied.append(patch.name)
    log.debug("Rasa patches applied: %s", ", ".join(applied) or "none")
    return applied
