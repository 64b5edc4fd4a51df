"""One Zalo token chain shared by several workers (two stores on one database, SQLite and
PostgreSQL) against the fake Zalo, which refuses a reused refresh token as Zalo does."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text

from bot.channels.zalo_client import RETRY_BROKEN, ChainBroken, ZaloClient, ZaloError
from bot.channels.zalo_tokens import SqlTokenStore, TokenFile, Tokens, seed_of
from bot.pseudonym import Pseudonymizer
from bot.storage.store import Store
from bot.storage.zalo_state import ZaloState
from tests.channels.test_zalo_client import zalo_settings
from tests.helpers.fake_zalo import APP_ID, FIRST_REFRESH_TOKEN, FakeZalo
from tests.helpers.fakes import Clock

KEY = Pseudonymizer(b"k" * 32)
HOUR = 3600.0
T0 = 1_800_000_000.0


@pytest.fixture
def clock() -> Clock[float]:
    return Clock(T0)


@pytest_asyncio.fixture(loop_scope="function")
async def fake(clock: Clock[float]) -> AsyncIterator[FakeZalo]:
    server = FakeZalo(clock=clock, revoke_on_refresh=True)  # the harder case: old tokens die
    await server.start()
    yield server
    await server.stop()


class Worker:
    """One `donghanh run` process as far as Zalo goes: its own engine, store and client."""

    def __init__(self, url: str, fake: FakeZalo, clock: Clock[float], tmp: Path,
                 refresh_token: str = FIRST_REFRESH_TOKEN) -> None:  # fmt: skip
        self.store = Store.open(url)
        self.tokens = SqlTokenStore(ZaloState(self.store.engine), APP_ID, refresh_token,
                                    sealer=KEY, legacy=TokenFile(tmp / "zalo_tokens.json"),
                                    clock=clock)  # fmt: skip
        settings = zalo_settings(fake.url, tmp, refresh_token=refresh_token)
        self.client = ZaloClient(settings, self.tokens, clock=clock)

    async def close(self) -> None:
        await self.client.aclose()
        self.store.engine.dispose()
        self.store.turn_engine.dispose()


@pytest_asyncio.fixture(loop_scope="function")
async def workers(
    database_url: str, fake: FakeZalo, clock: Clock[float], tmp_path: Path
) -> AsyncIterator[list[Worker]]:
    pool = [Worker(database_url, fake, clock, tmp_path) for _ in range(2)]
    yield pool
    for worker in pool:
        await worker.close()


async def test_two_workers_share_one_chain_for_three_days(
    workers: list[Worker], fake: FakeZalo, clock: Clock[float]
) -> None:
    """Sends from both workers, at once and in turn, every 37 minutes for 72 hours, with the
    background check on both: every send succeeds and no refresh token is ever sent twice."""
    a, b = workers
    sent = 0
    while clock() < T0 + 72 * HOUR:
        await asyncio.gather(a.client.send_message("u1", "a"), b.client.send_message("u2", "b"))
        await asyncio.gather(a.client.ensure_fresh(), b.client.ensure_fresh())
        await b.client.send_message("u1", "c")
        sent += 3
        clock.now += 37 * 60
    assert fake.reused == [] and fake.refused == []
    assert len(fake.messages) == sent
    used = [form["refresh_token"] for form in fake.refreshes]
    assert used == [FIRST_REFRESH_TOKEN] + [f"rt-{n}" for n in range(1, len(used))]
    assert 3 <= len(used) <= 4  # 25-hour tokens, refreshed about an hour early


async def test_workers_refreshing_at_once_send_the_refresh_token_once(
    workers: list[Worker], fake: FakeZalo
) -> None:
    a, b = workers
    await a.client.send_message("u1", "0")
    fake.expire_access_tokens()  # both workers hear -216 at the same moment
    sends = [w.client.send_message("u1", str(i)) for i, w in enumerate(workers * 3)]
    await asyncio.gather(*sends)
    assert [f["refresh_token"] for f in fake.refreshes] == [FIRST_REFRESH_TOKEN, "rt-1"]
    assert fake.reused == [] and len(fake.messages) == 7


async def test_the_fake_refuses_a_reused_refresh_token_as_zalo_does(
    fake: FakeZalo, clock: Clock[float], tmp_path: Path
) -> None:
    """What the shared store prevents: two workers with a pair each (the old token file)."""
    clients = [ZaloClient(zalo_settings(fake.url, tmp_path / d), TokenFile(tmp_path / d / "t.json"),
                          clock=clock) for d in ("w1", "w2")]  # fmt: skip
    await clients[0].send_message("u1", "một")
    with pytest.raises(ZaloError):
        await clients[1].send_message("u1", "hai")
    assert fake.reused == [FIRST_REFRESH_TOKEN]
    for client in clients:
        await client.aclose()


async def test_a_broken_chain_is_logged_and_flagged_for_the_console(
    workers: list[Worker], fake: FakeZalo, clock: Clock[float], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = workers
    assert a.store.zalo_chain() is None  # Zalo never ran on this database
    await a.client.send_message("u1", "một")
    assert a.store.zalo_chain() is not None and not a.store.zalo_chain().broken
    fake.refresh_tokens.clear()  # e.g. 3 months without a refresh
    fake.expire_access_tokens()
    with pytest.raises(ChainBroken):
        await b.client.send_message("u1", "hai")
    chain = a.store.zalo_chain()
    assert chain is not None and chain.broken and "Invalid refresh token" in (chain.reason or "")
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("re-authorise" in r.getMessage() for r in logged)
    refreshes = len(fake.refreshes)
    with pytest.raises(ChainBroken):
        await a.client.send_message("u1", "ba")
    assert len(fake.refreshes) == refreshes  # a refused token is not sent again at once
    clock.now += RETRY_BROKEN + 1
    with pytest.raises(ChainBroken):
        await a.client.send_message("u1", "bốn")
    assert len(fake.refreshes) == refreshes + 1


async def test_tokens_are_sealed_in_the_database(workers: list[Worker], database_url: str) -> None:
    await workers[0].client.send_message("u1", "một")
    with workers[0].store.engine.connect() as c:
        row = c.execute(text("SELECT access_token, refresh_token FROM zalo_tokens")).one()
    assert "at-1" not in row[0] and "rt-1" not in row[1] and row[0].startswith("sealed:")


async def test_the_pair_of_the_old_token_file_moves_to_the_database(
    database_url: str, fake: FakeZalo, clock: Clock[float], tmp_path: Path
) -> None:
    """An upgrade: the file's refresh token is the live one; the configured one is used up."""
    fake.refresh_tokens["rt-7"] = clock() + 90 * 24 * HOUR
    fake.access_tokens["at-7"] = clock() + 20 * HOUR
    TokenFile(tmp_path / "zalo_tokens.json").save(
        Tokens("at-7", "rt-7", clock() + 20 * HOUR, seed_of(FIRST_REFRESH_TOKEN), clock())
    )
    worker = Worker(database_url, fake, clock, tmp_path)
    await worker.client.send_message("u1", "một")
    assert fake.refreshes == []
    clock.now += 21 * HOUR
    await worker.client.send_message("u1", "hai")
    assert [f["refresh_token"] for f in fake.refreshes] == ["rt-7"]
    await worker.close()


async def test_a_new_authorisation_starts_a_new_chain_that_old_workers_follow(
    workers: list[Worker], fake: FakeZalo, clock: Clock[float], database_url: str, tmp_path: Path
) -> None:
    a, _ = workers
    await a.client.send_message("u1", "một")  # the first chain: rt-0 -> rt-1
    fake.refresh_tokens["rt-new"] = clock() + 90 * 24 * HOUR  # an OA admin re-authorised
    fresh = Worker(database_url, fake, clock, tmp_path, refresh_token="rt-new")
    await fresh.client.send_message("u1", "hai")
    clock.now += 26 * HOUR  # the old worker (still configured with rt-0) needs a refresh
    await a.client.send_message("u1", "ba")
    assert [f["refresh_token"] for f in fake.refreshes] == [FIRST_REFRESH_TOKEN, "rt-new", "rt-2"]
    assert fake.reused == [] and len(fake.messages) == 3
    await fresh.close()


async def test_a_quiet_chain_is_refreshed_before_expiry_and_at_least_monthly(
    workers: list[Worker], fake: FakeZalo, clock: Clock[float]
) -> None:
    a, _ = workers
    assert await a.client.ensure_fresh()  # no pair yet: one is fetched
    assert not await a.client.ensure_fresh()
    clock.now += 24.5 * HOUR  # half an hour left
    assert await a.client.ensure_fresh()
    fake.expires_in = 100 * 24 * 3600  # were access tokens long-lived, the chain still moves on
    clock.now += 25 * HOUR
    assert await a.client.ensure_fresh()
    clock.now += 29 * 24 * HOUR
    assert not await a.client.ensure_fresh()
    clock.now += 2 * 24 * HOUR  # a month since the last refresh
    assert await a.client.ensure_fresh()
    assert len(fake.refreshes) == 4 and fake.reused == []


async def test_reach_is_shared_by_workers_and_deleted_with_the_person(
    workers: list[Worker],
) -> None:
    from datetime import datetime, timezone

    a, b = workers
    at = datetime(2027, 1, 2, 8, 0, tzinfo=timezone.utc)
    ZaloState(a.store.engine).interaction("zalo-p1", at)  # not a person of the database yet
    assert b.store.zalo_reach("zalo-p1") is None
    a.store.touch_person("zalo-p1", "zalo", None)
    ZaloState(a.store.engine).interaction("zalo-p1", at)
    ZaloState(b.store.engine).count_sent("zalo-p1", 7)
    ZaloState(b.store.engine).count_sent("zalo-p1", None)
    reach = a.store.zalo_reach("zalo-p1")
    assert reach is not None and (reach.window_start, reach.sent, reach.remain) == (at, 2, 6)
    ZaloState(b.store.engine).unreachable("zalo-p1", -230, at)
    assert a.store.zalo_reach("zalo-p1").unreachable_code == -230  # type: ignore[union-attr]
    a.store.forget_person("zalo-p1")
    assert b.store.zalo_reach("zalo-p1") is None


async def test_the_case_page_learns_what_a_counsellor_may_still_send(workers: list[Worker]) -> None:
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from bot.console.views.zalo_status import zalo_status
    from bot.settings import Settings

    a, _ = workers
    now = datetime(2027, 1, 2, 8, 0, tzinfo=timezone.utc)
    state = SimpleNamespace(store=a.store, settings=Settings.from_env({}), now=lambda: now)
    case = SimpleNamespace(channel="zalo", person_id="zalo-p2")
    a.store.touch_person("zalo-p2", "zalo", None)
    ZaloState(a.store.engine).interaction("zalo-p2", now)
    ZaloState(a.store.engine).count_sent("zalo-p2", None)
    status = zalo_status(state, case)
    assert status is not None and status.replies_left == 6  # 8 - 1 sent - 1 kept for 111
    assert status.unreachable_code is None and not status.chain_broken
    ZaloState(a.store.engine).unreachable("zalo-p2", -230, now)
    assert zalo_status(state, case).unreachable_code == -230  # type: ignore[union-attr]
    assert zalo_status(state, SimpleNamespace(channel="telegram", person_id="x")) is None
