"""`bot.storage.threads`: blocking work, and coroutines that never suspend, off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.storage.threads import NeedsEventLoop, off_loop, off_loop_coroutine, run_to_end


async def synchronous_body(value: int) -> tuple[int, str]:
    return value, threading.current_thread().name


async def suspends() -> None:
    await asyncio.sleep(0)


async def test_a_coroutine_that_never_suspends_runs_to_its_end_in_a_worker_thread() -> None:
    value, thread = await off_loop_coroutine(synchronous_body, 7)
    assert value == 7 and thread != threading.current_thread().name
    assert run_to_end(synchronous_body, 8)[0] == 8


async def test_a_coroutine_that_suspends_is_refused_and_closed() -> None:
    with pytest.raises(NeedsEventLoop, match="suspends"):
        await off_loop_coroutine(suspends)


async def test_errors_come_back_as_raised() -> None:
    async def fails() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        await off_loop_coroutine(fails)
    with pytest.raises(ZeroDivisionError):
        await off_loop(lambda: 1 / 0)
