"""The operators' blocklist on SQLite and PostgreSQL: block, expiry, unblock, replace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.limits import Blocklist
from bot.storage.store import Store
from tests.helpers.fakes import Clock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
PERSON = "telegram-0123456789abcdef01234567"


def test_store_is_a_blocklist(store: Store) -> None:
    assert isinstance(store, Blocklist)


def test_block_lasts_until_it_expires(store: Store, clock: Clock) -> None:
    assert not store.is_blocked(PERSON) and store.block_of(PERSON) is None
    made = store.block(PERSON, "sup", days=7, reason="spam")
    assert store.is_blocked(PERSON) and not store.is_blocked("telegram-other")
    found = store.block_of(PERSON)
    assert found == made
    assert (found.blocked_by, found.reason, found.expires_at) == ("sup", "spam", T0 + timedelta(7))
    clock.now = T0 + timedelta(days=7, seconds=-1)
    assert store.is_blocked(PERSON)
    clock.now = T0 + timedelta(days=7)
    assert not store.is_blocked(PERSON) and not store.unblock(PERSON)


def test_unblock_and_block_again_replaces(store: Store, clock: Clock) -> None:
    store.block(PERSON, "sup", days=1)
    assert store.unblock(PERSON) and not store.is_blocked(PERSON)
    assert not store.unblock(PERSON)
    store.block(PERSON, "sup", days=1, reason="first")
    clock.now = T0 + timedelta(hours=1)
    store.block(PERSON, "root", days=30, reason="second")
    found = store.block_of(PERSON)
    assert found is not None and (found.blocked_by, found.reason) == ("root", "second")
    assert found.expires_at == clock.now + timedelta(days=30)


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_block_must_expire_within_a_year(store: Store, days: int) -> None:
    with pytest.raises(ValueError):
        store.block(PERSON, "sup", days=days)
    assert not store.is_blocked(PERSON)


def test_long_reasons_are_cut(store: Store) -> None:
    made = store.block(PERSON, "sup", days=1, reason="x" * 500)
    assert len(made.reason) == 200 and len(store.block_of(PERSON).reason) == 200  # type: ignore[union-attr]
