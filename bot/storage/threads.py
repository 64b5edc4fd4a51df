"""Blocking database work off the event loop.

Every store call is a short transaction, but a short transaction can wait: on SQLite for another
connection's write lock (up to the 30 s busy timeout), on PostgreSQL for a row lock or a pool
slot. Run on the event loop, that wait stalls every request of the process, `/health` and other
people's messages included. Async code therefore calls the store through `off_loop`, which runs
the call in a worker thread and lets the loop serve others meanwhile (the store's engines allow
connections from any thread: `check_same_thread=False`, pooled connections).

Some blocking work is written as coroutines that never suspend: Rasa's SQL tracker store and
rasa_sdk's actions are `async def` around synchronous bodies. `off_loop_coroutine` runs such a
coroutine to its end in a worker thread without an event loop of its own (`run_to_end`): a
thread hop costs ~0.1 ms, an `asyncio.run` there ~0.25 ms more.
"""

from __future__ import annotations

import functools
from collections.abc import Coroutine
from typing import Any, Callable, TypeVar

import anyio.to_thread

T = TypeVar("T")


class NeedsEventLoop(RuntimeError):
    """A coroutine given to `run_to_end` suspended: it awaits something only a loop can finish."""


async def off_loop(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` in a worker thread; its result (or exception) here.

    Context variables (such as `bot.limits.CASE_ORIGIN`) are copied into the thread.
    """
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))


async def off_loop_coroutine(
    function: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **kwargs: Any
) -> T:
    """`await function(*args, **kwargs)` in a worker thread, for a coroutine that never suspends.

    Raises:
        NeedsEventLoop: the coroutine suspended (see `run_to_end`).
    """
    return await off_loop(run_to_end, function, *args, **kwargs)


def run_to_end(function: Callable[..., Coroutine[Any, Any, T]], /, *args: Any, **kwargs: Any) -> T:
    """Call a coroutine function and run its coroutine to its end, with no event loop.

    A coroutine whose awaits all finish at once (a synchronous body inside `async def`) ends at its
    first step. One that suspends (network I/O, a sleep, a lock) is closed, and `NeedsEventLoop`
    raised: it must be awaited on the loop instead.
    """
    coroutine = function(*args, **kwargs)
    try:
        coroutine.send(None)
    except StopIteration as end:
        return end.value  # type: ignore[no-any-return]
    coroutine.close()
    name = getattr(function, "__qualname__", repr(function))
    raise NeedsEventLoop(f"{name} suspended: it needs an event loop, not a worker thread")
