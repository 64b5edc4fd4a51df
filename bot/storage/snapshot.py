"""A value read from the database at most every few seconds: the per-message lookups of rare state.

Every message asked the database whether its sender is blocked and whether a counsellor holds
their case: two queries a turn for tables that change a few times a day. A `Snapshot` keeps the
answer for `ttl` seconds, and reads again at once after this process changed it itself
(`version` moved), so a change made here is seen at once and one made by another worker within
`ttl` seconds.
"""

from __future__ import annotations

import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Snapshot(Generic[T]):
    """`load()`'s result, reused for `ttl` seconds or until `version()` changes."""

    def __init__(
        self, load: Callable[[], T], *, ttl: float, version: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        """Read with `load`; `version` is a counter the source moves when it changes."""
        self._load = load
        self._ttl = ttl
        self._version = version
        self._clock = clock
        self._value: T | None = None
        self._read_at = float("-inf")
        self._read_version = -1

    def get(self) -> T:
        """The value, read again if it is older than `ttl` or the source changed since."""
        now, version = self._clock(), self._version()
        if self._value is None or now - self._read_at >= self._ttl or version != self._read_version:
            self._value = self._load()
            self._read_at, self._read_version = now, version
        return self._value
