"""The application database: `StoreAPI` for the core and the actions, plus what the console needs.

`Store` is one object for its callers, made of one part per concern, each in its own module:
people and their turns (`bot.storage.people`), cases and notes (`bot.storage.cases`), operators
and logins (`bot.storage.operators`), the audit log (`bot.storage.audit`) and the blocklist
(`bot.storage.blocklist`); engines and migrations are in `bot.storage.database`.
`Store.open(url)` creates the engine (and the SQLite folder) and brings the schema to the latest
Alembic revision. Every method opens its own short transaction and commits before it returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine, make_url

from bot.storage.audit import AuditMixin
from bot.storage.base import StoreError
from bot.storage.blocklist import BlocklistMixin
from bot.storage.cases import FLOOD, CasesMixin, CaseView
from bot.storage.database import MIGRATIONS, make_engine, migrate
from bot.storage.models import utcnow
from bot.storage.operators import OperatorsMixin, OperatorView
from bot.storage.people import CODE, PeopleMixin
from bot.storage.zalo_state import ChainStatus, ZaloState
from bot.storage.zalo_state import Reach as ZaloReachView

__all__ = ["CODE", "FLOOD", "MIGRATIONS", "CaseView", "OperatorView", "Store", "StoreError",
           "make_engine", "migrate"]  # fmt: skip


class Store(CasesMixin, PeopleMixin, OperatorsMixin, AuditMixin, BlocklistMixin):
    """`bot.storage.api.StoreAPI` on SQLAlchemy: people, cases, operators, audit, blocklist."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        turn_engine: Engine | None = None,
    ) -> None:
        """`turn_engine`: the same database for `record_turn` (default: `engine`)."""
        self.engine = engine
        self.turn_engine = turn_engine or engine
        self.clock = clock
        self.changes = 0  # see BlocklistMixin.changes
        self._marked: dict[str, datetime] = {}  # `mark_active`: last write per operator

    @classmethod
    def open(cls, database_url: str) -> "Store":
        """Connect and bring the schema up to date."""
        engine = make_engine(database_url)
        migrate(engine)
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            # the counts of every message commit without a disk sync (`record_turn`)
            return cls(engine, turn_engine=make_engine(database_url, sync_every_commit=False))
        return cls(engine)

    # Zalo (`bot.storage.zalo_state`; written by `bot.channels.zalo`) ----------------------------
    def zalo_reach(self, person_id: str) -> ZaloReachView | None:
        """What may still be sent to a Zalo person: replies used, unreachable (-230)."""
        return ZaloState(self.engine).reach(person_id)

    def zalo_chain(self) -> ChainStatus | None:
        """The Zalo token chain (`broken`: an OA admin must re-authorise); None without Zalo."""
        return ZaloState(self.engine).chain_status()
