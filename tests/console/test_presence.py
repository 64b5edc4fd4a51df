"""The console notes who is on duty: at login and on every authenticated request."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.console.conftest import World, logged_in, login


async def test_login_and_every_request_mark_the_operator_active(
    client: httpx.AsyncClient, world: World
) -> None:
    since = world.clock.now - timedelta(minutes=1)
    assert world.store.active_operators(since) == []
    await login(client, "lan", "wrong")
    assert world.store.active_operators(since) == []  # a failed login is no presence
    await logged_in(client, "lan")
    assert world.store.active_operators(since) == ["lan"]
    world.clock.now += timedelta(minutes=10)
    later = world.clock.now - timedelta(seconds=30)
    assert world.store.active_operators(later) == []
    assert (await client.get("/console/queue.json")).status_code == 200  # the tab polls
    assert world.store.active_operators(later) == ["lan"]


async def test_a_refused_request_is_no_presence(client: httpx.AsyncClient, world: World) -> None:
    await logged_in(client, "lan")
    world.clock.now += timedelta(minutes=10)
    world.store.set_operator_active("lan", False)
    assert (await client.get("/console/queue.json")).status_code == 403
    world.store.set_operator_active("lan", True)  # enabled again, but it did not work meanwhile
    assert world.store.active_operators(world.clock.now - timedelta(minutes=5)) == []
