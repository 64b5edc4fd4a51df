"""How Telegram updates are scheduled: concurrently, each chat's in arrival order.

python-telegram-bot 22 handles one update at a time unless `concurrent_updates` is given; then
`Application.__update_fetcher` starts a task per update and the update processor's semaphore
bounds them (`telegram/ext/_baseupdateprocessor.py`). `ChatOrder` adds the per-chat order.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

CONCURRENT_UPDATES = 16  # updates handled at once (each chat's one at a time)
ADMITTED_UPDATES = 1024  # updates admitted at once, running or waiting for their chat


class ChatOrder(BaseUpdateProcessor):
    """Up to `workers` updates at once; the updates of one chat one at a time, in order.

    PTB's own bound (`max_concurrent_updates`) admits updates; each then waits for its chat's
    lock (FIFO, so a chat's messages keep their order) and for one of the `workers` slots, so a
    chat flooding the bot occupies one slot, not all of them.
    """

    def __init__(self, workers: int = CONCURRENT_UPDATES, admitted: int = ADMITTED_UPDATES) -> None:
        """`workers` updates run at once; `admitted` may wait (PTB's bound)."""
        super().__init__(admitted)
        self.workers = workers
        self._slots: asyncio.Semaphore | None = None
        self._chats: dict[object, asyncio.Lock] = {}
        self._users: Counter[object] = Counter()

    async def initialize(self) -> None:
        """Create the slots on the running loop."""
        self._slots = asyncio.Semaphore(self.workers)

    async def shutdown(self) -> None:
        """Nothing to free."""
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn and a free slot, then handle the update."""
        if self._slots is None:
            await self.initialize()
        assert self._slots is not None
        key = _chat_key(update)
        lock = self._chats.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._chats[key]


def _chat_key(update: object) -> object:
    chat = update.effective_chat if isinstance(update, Update) else None
    return chat.id if chat is not None else object()  # no chat: no order to keep
