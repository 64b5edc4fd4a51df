"""Where the Zalo OA token pair lives, shared by every worker, and the lock around its refresh.

Zalo's refresh tokens are single-use and last 3 months; access tokens last 25 hours (Zalo's
OAuth page, quoted in the README's *Platforms*). Every refresh returns a new pair and kills the
old refresh token, so with several workers:

- the pair lives in the application database (`SqlTokenStore`, table `zalo_tokens`), not in each
  worker's memory; without a database (tests, a one-off process) in `zalo_tokens.json`
  (`FileTokenStore`, with a file lock);
- every refresh runs under a lock all workers share (a lease row in the database; `flock` for the
  file) and re-reads the pair first: if another worker refreshed meanwhile, its pair is used and
  the used refresh token is never sent again;
- the new pair is stored before anything uses it.

Redis is deliberately not used for the pair: a Redis without persistence loses it on restart,
and a lost refresh token can only be replaced by an OA admin re-authorising the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Protocol

from bot.storage.zalo_state import ZaloState

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0  # a refresh is one HTTP call of at most 10 s; a dead worker's lease expires
LOCK_WAIT_SECONDS = 30.0  # give up (and fail this send) after waiting this long for the lock
LOCK_POLL_SECONDS = 0.05
SEALED = "sealed:"


class ZaloError(RuntimeError):
    """The Open API or OAuth refused a call; `code` is Zalo's error number."""

    def __init__(self, code: Any, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code


class TokenStoreError(ZaloError):
    """The stored pair cannot be read or the lock cannot be taken."""

    def __init__(self, message: str, code: str = "token_store") -> None:
        super().__init__(code, message)


@dataclass(frozen=True)
class Tokens:
    """An access token, the refresh token that goes with it, and when the access token expires."""

    access_token: str
    refresh_token: str
    expires_at: float
    seed: str  # a hash of the ZALO_REFRESH_TOKEN this chain started from
    refreshed_at: float = 0.0  # when this pair was issued (0: not by us)


def seed_of(refresh_token: str) -> str:
    """A short hash of a configured refresh token (never the token itself)."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class Sealer(Protocol):
    """Encrypts what is stored (`bot.pseudonym.Pseudonymizer`)."""

    def seal(self, platform_id: str) -> str:
        """Encrypt."""

    def open(self, token: str) -> str:
        """Decrypt."""


class TokenFile:
    """The current token pair on disk (`zalo_tokens.json` in the data folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Tokens | None:
        """The saved pair, or None when there is no file.

        Raises:
            TokenStoreError: the file is not a saved pair.
        """
        try:
            return Tokens(**json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            raise TokenStoreError(f"{self.path} is unreadable ({exc})", "token_file") from None

    def load(self, configured_refresh_token: str) -> Tokens:
        """The saved pair; the configured refresh token when there is none or it was replaced."""
        seed = seed_of(configured_refresh_token)
        saved = self.read()
        if saved is None or saved.seed != seed:  # first start, or an admin re-authorised
            return Tokens("", configured_refresh_token, 0.0, seed)
        return saved

    def save(self, tokens: Tokens) -> None:
        """Write the pair atomically, readable by this user only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(tokens), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


class TokenStore(ABC):
    """The current pair, shared by every worker; `lock()` is held around every refresh."""

    @abstractmethod
    def load(self) -> Tokens:
        """Must be implemented by a subclass: the current pair (re-read every time)."""

    @abstractmethod
    def save(self, tokens: Tokens) -> None:
        """Must be implemented by a subclass: store a new pair (and clear a broken chain)."""

    @abstractmethod
    def lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Must be implemented by a subclass: the lock every worker takes to refresh."""

    @abstractmethod
    def mark_broken(self, reason: str, at: float) -> None:
        """Must be implemented by a subclass: Zalo refused the refresh token."""

    @abstractmethod
    def broken_at(self) -> float | None:
        """Must be implemented by a subclass: when the chain broke (None: it is whole)."""


async def _poll(take: Callable[[], bool], what: str) -> None:
    """Call `take` until it returns True, sleeping between tries (never blocking the loop)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not take():
        if time.monotonic() > deadline:
            raise TokenStoreError(f"{what}: still held after {LOCK_WAIT_SECONDS:.0f} s")
        await asyncio.sleep(LOCK_POLL_SECONDS)


class FileTokenStore(TokenStore):
    """The pair in `zalo_tokens.json`, locked with `flock` (workers on one machine)."""

    def __init__(self, file: TokenFile, configured_refresh_token: str) -> None:
        """Nothing is read until `load`."""
        self.file = file
        self.configured = configured_refresh_token
        self._local = asyncio.Lock()
        self._broken: float | None = None

    def load(self) -> Tokens:
        """The pair in the file (the configured token on a first start or after re-authorising)."""
        return self.file.load(self.configured)

    def save(self, tokens: Tokens) -> None:
        """Write the file; the chain is whole again."""
        self.file.save(tokens)
        self._broken = None

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """This process's lock, then an exclusive `flock` on `<file>.lock`."""
        async with self._local:
            path = self.file.path.with_name(self.file.path.name + ".lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await _poll(lambda: _try_flock(fd), str(path))
                yield
            finally:
                os.close(fd)  # closing releases the lock

    def mark_broken(self, reason: str, at: float) -> None:
        """Remember it in this process (a file store serves no console)."""
        self._broken = at

    def broken_at(self) -> float | None:
        """When this process saw the refresh refused."""
        return self._broken


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


class SqlTokenStore(TokenStore):
    """The pair in the `zalo_tokens` row of this app, under a lease every worker respects."""

    def __init__(
        self,
        state: ZaloState,
        app_id: str,
        configured_refresh_token: str,
        *,
        sealer: Sealer | None = None,
        legacy: TokenFile | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`legacy`: the file of earlier versions; its pair is taken over on the first start."""
        self.state = state
        self.app_id = app_id
        self.configured = configured_refresh_token
        self.seed = seed_of(configured_refresh_token)
        self.sealer = sealer
        self.legacy = legacy
        self.clock = clock
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._local = asyncio.Lock()
        self._warned = False

    def load(self) -> Tokens:
        """The shared pair; created from the configured token (or the old file) on first use.

        A configured token whose seed differs from the row's starts a new chain (an admin
        re-authorised), unless the row already retired that seed: then this worker runs with an
        outdated ZALO_REFRESH_TOKEN and uses the shared chain.
        """
        row = self.state.token_row(self.app_id)
        if row is None:
            self.state.create_token_row(self.app_id, self._first_row())
            row = self.state.token_row(self.app_id)
            assert row is not None
        if row["seed"] != self.seed:
            if self.seed not in row["retired_seeds"].split():
                self._restart_chain(row)
                return Tokens("", self.configured, 0.0, self.seed)
            if not self._warned:
                log.warning("zalo: this worker's ZALO_REFRESH_TOKEN was replaced by a newer "
                            "authorisation; using the chain the other workers share")  # fmt: skip
                self._warned = True
        access, refresh = self._open(row["access_token"]), self._open(row["refresh_token"])
        return Tokens(access, refresh, float(row["expires_at"]), row["seed"],
                      float(row["refreshed_at"]))  # fmt: skip

    def save(self, tokens: Tokens) -> None:
        """Store the new pair (unless an admin started a new chain meanwhile); clears `broken`."""
        values = {"access_token": self._seal(tokens.access_token),
                  "refresh_token": self._seal(tokens.refresh_token),
                  "expires_at": tokens.expires_at, "refreshed_at": tokens.refreshed_at,
                  "broken_at": None, "broken_reason": None}  # fmt: skip
        if not self.state.update_tokens(self.app_id, values, seed=tokens.seed):
            log.error("zalo: a new token pair was not stored: the chain was replaced meanwhile")

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """This process's lock, then the row's lease (polled; a dead worker's lease expires)."""
        async with self._local:
            self.load()  # the row must exist before it can be leased

            def take() -> bool:
                return self.state.try_lock(self.app_id, self.owner, self.clock(), LEASE_SECONDS)

            await _poll(take, "the Zalo token lease")
            try:
                yield
            finally:
                self.state.unlock(self.app_id, self.owner)

    def mark_broken(self, reason: str, at: float) -> None:
        """Record it where the console reads it (`Store.zalo_chain`)."""
        self.state.update_tokens(self.app_id, {"broken_at": at, "broken_reason": reason[:200]})

    def broken_at(self) -> float | None:
        """When the refresh was last refused (None: the chain is whole)."""
        row = self.state.token_row(self.app_id)
        return float(row["broken_at"]) if row and row["broken_at"] is not None else None

    def _first_row(self) -> dict[str, Any]:
        """The configured token, or the pair an earlier version kept in its file."""
        tokens = Tokens("", self.configured, 0.0, self.seed)
        if self.legacy is not None:
            try:
                saved = self.legacy.read()
            except TokenStoreError as exc:
                log.warning("zalo: the old token file was not taken over (%s)", exc)
                saved = None
            if saved is not None and saved.seed == self.seed:
                tokens = saved
                log.info("zalo: the token pair of %s moved to the database", self.legacy.path)
        return {"seed": tokens.seed, "retired_seeds": "", "refreshed_at": tokens.refreshed_at,
                "access_token": self._seal(tokens.access_token), "expires_at": tokens.expires_at,
                "refresh_token": self._seal(tokens.refresh_token)}  # fmt: skip

    def _restart_chain(self, row: dict[str, Any]) -> None:
        retired = " ".join([*row["retired_seeds"].split(), row["seed"]][-20:])
        log.warning("zalo: a new ZALO_REFRESH_TOKEN: starting a new token chain")
        self.state.update_tokens(self.app_id, {
            "seed": self.seed, "retired_seeds": retired, "access_token": "",
            "refresh_token": self._seal(self.configured), "expires_at": 0.0,
            "refreshed_at": 0.0, "broken_at": None, "broken_reason": None,
        })  # fmt: skip

    def _seal(self, value: str) -> str:
        return SEALED + self.sealer.seal(value) if self.sealer is not None and value else value

    def _open(self, value: str) -> str:
        if not value.startswith(SEALED):
            return value
        if self.sealer is None:
            raise TokenStoreError("the Zalo tokens are sealed and this process has no key")
        try:
            return self.sealer.open(value[len(SEALED) :])
        except Exception as exc:  # noqa: BLE001 - any failure to open means the key changed
            raise TokenStoreError(f"the Zalo tokens cannot be opened ({type(exc).__name__}): "
                                  "was DONGHANH_SECRET_KEY changed?") from None  # fmt: skip


def token_store_for(
    data_dir: Path, app_id: str, configured_refresh_token: str, core: Any
) -> TokenStore:
    """The database store when the core has a SQL store, else the file in the data folder."""
    file = TokenFile(data_dir / "zalo_tokens.json")
    engine = getattr(getattr(core, "store", None), "engine", None)
    if engine is None:
        return FileTokenStore(file, configured_refresh_token)
    return SqlTokenStore(ZaloState(engine), app_id, configured_refresh_token,
                         sealer=getattr(core, "pseudonymizer", None), legacy=file)  # fmt: skip
