"""Login without an oracle: the same answers whatever the account state, every attempt counted,
back-off per address, per account and in total, and argon2 off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from bot.console import security
from bot.settings import Settings
from tests.console.conftest import PASSWORD, World, csrf_of, login, make_world, mounted

DEVICE_COOKIE = "donghanh_device"  # bot.console.throttle.DEVICE_COOKIE


def same(html: str) -> str:
    """A page without its session-specific CSRF token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


@contextlib.asynccontextmanager
async def browser(app: Starlette, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at `address` (its own cookies) on the same running console."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as c:
        yield c


async def log_in_keeping_device(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Log in as a returning browser would: a new session, the device cookie kept."""
    client.cookies.delete("donghanh_console")
    page = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )


async def test_the_right_password_gets_the_same_answer_as_a_wrong_one_while_waiting(
    world: World,
) -> None:
    limit = world.settings.console.max_failed_logins
    async with browser(mounted(world), "10.1.0.1") as client:
        for _ in range(limit):
            assert (await login(client, "lan", "wrong")).status_code == 401
        right = await login(client, "lan", PASSWORD)
        wrong = await login(client, "lan", "still wrong")
        assert (right.status_code, same(right.text)) == (wrong.status_code, same(wrong.text))
        assert right.status_code == 429
        assert (await client.get("/console/queue")).status_code == 303  # no session was made


async def test_a_disabled_account_with_its_password_answers_as_a_wrong_password(
    world: World,
) -> None:
    world.store.set_operator_active("minh", False)
    async with browser(mounted(world), "10.1.0.2") as client:
        disabled = await login(client, "minh", PASSWORD)
        unknown = await login(client, "ghost", PASSWORD)
    assert disabled.status_code == unknown.status_code == 401
    assert same(disabled.text) == same(unknown.text)


async def test_every_attempt_while_waiting_counts_and_makes_the_wait_longer(
    world: World,
) -> None:
    limit = world.settings.console.max_failed_logins
    async with browser(mounted(world), "10.1.0.3") as client:
        for _ in range(limit):
            await login(client, "lan", "wrong")
        waits = []
        for _ in range(4):
            response = await login(client, "lan", "guess")
            assert response.status_code == 429
            waits.append(int(response.headers["retry-after"]))
        assert waits == sorted(waits) and waits[-1] >= 4 * waits[0]
        world.clock.now += timedelta(seconds=waits[-1] // 2)  # half the wait: still waiting
        assert (await login(client, "lan", PASSWORD)).status_code == 429
    operator = world.store.operator("lan")
    assert operator is not None and operator[0].failed_logins == limit + 5


async def test_the_wait_doubles_up_to_the_ceiling_then_the_right_password_passes(
    settings: Settings, tmp_path: Path
) -> None:
    world = make_world(settings, tmp_path, max_failed_logins=3, lockout_minutes=1)
    async with browser(mounted(world), "10.1.0.4") as client:
        for _ in range(3):
            assert (await login(client, "lan", "wrong")).status_code == 401
        for _ in range(10):
            response = await login(client, "lan", "wrong")
        assert int(response.headers["retry-after"]) == 60  # lockout_minutes is the ceiling
        world.clock.now += timedelta(seconds=61)
        assert (await login(client, "lan", PASSWORD)).status_code == 303


async def test_an_attacker_elsewhere_cannot_lock_a_counsellor_out_of_her_browser(
    world: World,
) -> None:
    app = mounted(world)
    async with browser(app, "10.2.0.1") as own:
        assert (await log_in_keeping_device(own, "lan")).status_code == 303
        assert own.cookies.get(DEVICE_COOKIE)
        for n in range(40):  # many addresses guess her password
            async with browser(app, f"10.9.{n}.1") as attacker:
                await login(attacker, "lan", f"guess {n}")
        async with browser(app, "10.3.0.1") as elsewhere:  # a browser she never used: waits
            assert (await login(elsewhere, "lan", PASSWORD)).status_code == 429
        assert (await log_in_keeping_device(own, "lan")).status_code == 303  # hers: no wait


async def test_a_device_cookie_gets_its_own_back_off(world: World) -> None:
    limit = world.settings.console.max_failed_logins
    async with browser(mounted(world), "10.2.0.2") as own:
        assert (await log_in_keeping_device(own, "lan")).status_code == 303
        for _ in range(limit):
            assert (await log_in_keeping_device(own, "lan", "wrong")).status_code == 401
        assert (await log_in_keeping_device(own, "lan")).status_code == 429


async def test_one_address_guessing_many_accounts_is_slowed_down(world: World) -> None:
    per_address = world.settings.console.login_failures_per_address
    app = mounted(world)
    async with browser(app, "10.4.0.1") as sprayer:
        for n in range(per_address):  # one guess per name: no account reaches its allowance
            assert (await login(sprayer, f"user{n}", "Password1")).status_code == 401
        assert (await login(sprayer, "minh", PASSWORD)).status_code == 429
    async with browser(app, "10.4.0.2") as other:
        assert (await login(other, "minh", PASSWORD)).status_code == 303


async def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(
    settings: Settings, tmp_path: Path
) -> None:
    from dataclasses import replace

    world = make_world(settings, tmp_path)
    world.settings = replace(
        world.settings, limits=replace(world.settings.limits, trusted_proxies=("10.5.0.1",))
    )
    per_address = world.settings.console.login_failures_per_address
    app = mounted(world)
    async with browser(app, "10.5.0.1") as proxy:  # every client comes through the proxy
        for n in range(per_address):
            proxy.headers["x-forwarded-for"] = f"1.2.3.4, 203.0.113.{n}"  # n different clients
            await login(proxy, f"user{n}", "x")
        proxy.headers["x-forwarded-for"] = "203.0.113.200"
        assert (await login(proxy, "minh", PASSWORD)).status_code == 303
        for _ in range(per_address):  # one client, whatever it writes on the left
            proxy.headers["x-forwarded-for"] = f"9.9.9.{_}, 198.51.100.7"
            await login(proxy, "ghost", "x")
        assert (await login(proxy, "minh", PASSWORD)).status_code == 429
    async with browser(app, "10.6.0.1") as direct:  # not a proxy: its header is ignored
        direct.headers["x-forwarded-for"] = "198.51.100.7"
        assert (await login(direct, "minh", PASSWORD)).status_code == 303


async def test_a_flood_of_failures_from_everywhere_slows_every_new_browser(
    settings: Settings, tmp_path: Path
) -> None:
    world = make_world(settings, tmp_path, login_failures_per_minute=20)
    app = mounted(world)
    async with browser(app, "10.7.0.1") as own:
        assert (await log_in_keeping_device(own, "lan")).status_code == 303
        for n in range(21):
            async with browser(app, f"10.8.{n}.1") as attacker:
                await login(attacker, f"name{n}", "x")
        async with browser(app, "10.7.0.2") as new:
            assert (await login(new, "minh", PASSWORD)).status_code == 429
        assert (await log_in_keeping_device(own, "lan")).status_code == 303
        world.clock.now += timedelta(seconds=61)  # a quiet minute ends it
        async with browser(app, "10.7.0.3") as later:
            assert (await login(later, "minh", PASSWORD)).status_code == 303


async def test_password_checks_do_not_stall_other_requests(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six slow password checks at once (1.8 s on the event loop); the login page of someone else
    still answers at once."""

    class SlowHasher:
        def verify(self, password_hash: str, password: str) -> bool:
            time.sleep(0.3)  # argon2's cost, without the CPU
            return False

        def hash(self, password: str) -> str:
            return "$argon2id$dummy"

    monkeypatch.setattr(security, "HASHER", SlowHasher())
    app = mounted(world)

    async def attempt(n: int) -> int:
        async with browser(app, f"10.11.{n}.1") as c:
            page = await c.get("/console/login")
            form = {"csrf_token": csrf_of(page.text), "username": "lan", "password": "x"}
            return (await c.post("/console/login", data=form)).status_code

    started = time.perf_counter()

    async def other() -> float:
        await asyncio.sleep(0.05)  # the checks are under way
        async with browser(app, "10.12.0.1") as c:
            assert (await c.get("/console/login")).status_code == 200
        return time.perf_counter() - started

    results = await asyncio.gather(*(attempt(n) for n in range(6)), other())
    assert results[:6] == [401] * 6
    assert results[6] < 1.0, f"the login page answered after {results[6]:.2f} s, behind the checks"
