"""Blocking database work off the event loop.

Every store call is a short transaction, but a short transaction can wait: on SQLite for another
connection's write lock (up to the 30 s busy timeout), on PostgreSQL for a row lock or a pool
slot. Run on the event loop, that wait stalls every request of the process, `/health` and other
people's messages included. Async code therefore calls the store through `off_loop`, which runs
the call in a worker thread and lets the loop serve others meanwhile (the store's engines allow
connections from any thread: `check_same_thread=False`, pooled connections).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import anyio.to_thread

T = TypeVar("T")


async def off_loop(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` in a worker thread; its result (or exception) here.

    Context variables (such as `bot.limits.CASE_ORIGIN`) are copied into the thread.
    """
    return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs))
