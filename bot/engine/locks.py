"""The per-conversation lock: in memory for one process, in Redis for several workers.

Rasa's ticket lock serialises the messages of one person; with `REDIS_URL` set, every worker takes
the same lock, so one person's messages are never handled by two workers at once
(docs/tech-notes.md §3: the Redis lock store's known races concern lock lifetimes shorter than a
turn; ours are 60 s).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from bot.settings import DEFAULT_REDIS_KEY_PREFIX


def lock_store_for(redis_url: str, key_prefix: str = DEFAULT_REDIS_KEY_PREFIX) -> Any:
    """`InMemoryLockStore` when `redis_url` is empty, else a `RedisLockStore` on that server.

    The Redis locks are the keys `<key_prefix>lock:<person>` (`REDIS_KEY_PREFIX`).
    """
    from rasa.core.lock_store import (
        DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
        InMemoryLockStore,
        RedisLockStore,
    )

    if not redis_url:
        return InMemoryLockStore()
    url = urlparse(redis_url)
    if url.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, not {url.scheme}://")
    db = int(url.path.lstrip("/") or 0)
    store = RedisLockStore(
        host=url.hostname or "localhost",
        port=url.port or 6379,
        db=db,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_ssl=url.scheme == "rediss",
    )
    # Rasa's `key_prefix` argument takes only letters and digits and adds ":lock:"; the public
    # attribute it sets is all that get/save/delete_lock read, so any prefix can be set on it.
    store.key_prefix = f"{key_prefix}{DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX}"
    return store
