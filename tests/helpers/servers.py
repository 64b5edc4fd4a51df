"""Private PostgreSQL and Redis servers for the fault tests, and key spaces on the machine's Redis.

A test may use the machine's PostgreSQL and Redis only as a client, in its own database or under its
own key prefix. A test that stops, restarts or flushes a server starts its own first:
`private_postgres()` (`initdb` into a temporary folder, a free port, its socket in that folder) or
`private_redis()` (`redis-server` on a free port, nothing saved to disk).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers.workers import free_port

UNPRIVILEGED_USERS = ("postgres", "nobody")  # initdb and postgres refuse to run as root


def postgres_program(name: str) -> str | None:
    """`initdb`/`pg_ctl` on the PATH, else in Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    candidates = [p / name for p in versions if (p / name).is_file()]
    return str(candidates[-1]) if candidates else None


def run_as_prefix() -> tuple[list[str], pwd.struct_passwd | None] | None:
    """The command prefix that drops root to an unprivileged user (empty when not root), or None."""
    if os.geteuid() != 0:
        return [], None
    for name in UNPRIVILEGED_USERS:
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("setpriv"):
            ids = [f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
            return ["setpriv", *ids, "--"], user
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], user
    return None


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster: data, socket and log in `folder`; trust auth, 127.0.0.1."""

    folder: Path
    port: int
    pg_ctl: str
    prefix: list[str]

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.prefix, self.pg_ctl, "-D", str(self.data_dir), "-w", "-t", "60", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=90)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "start")
        assert done.returncode == 0, f"{done.stderr}\n{self.log()}"

    def stop(self, mode: str = "fast") -> None:
        done = self._pg_ctl("-m", mode, "stop")
        assert done.returncode == 0, f"{done.stderr}\n{self.log()}"

    def running(self) -> bool:
        return self._pg_ctl("status").returncode == 0

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.is_file() else ""


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A new PostgreSQL cluster, started; stopped and deleted afterwards. Skips when impossible."""
    initdb, pg_ctl = postgres_program("initdb"), postgres_program("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl to run a private server")
    dropped = run_as_prefix()
    if dropped is None:
        pytest.skip(f"running as root and none of the users {UNPRIVILEGED_USERS} exists for initdb")
    prefix, user = dropped
    folder = Path(tempfile.mkdtemp(prefix="donghanh-pg-"))  # in /tmp: the user can reach it
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    server = PrivatePostgres(folder, free_port(), pg_ctl, prefix)
    try:
        command = [*prefix, initdb, "-D", str(server.data_dir), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        server.start()
        yield server
    finally:
        if server.data_dir.is_dir() and server.running():
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A throwaway `redis-server` on 127.0.0.1 that saves nothing to disk."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, self.log()
                with contextlib.suppress(redis.exceptions.ConnectionError):
                    if client.ping():
                        return
                time.sleep(0.05)
        finally:
            client.close()
        raise TimeoutError(f"redis-server on {self.port} not ready:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.is_file() else ""


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A new `redis-server`, started; stopped and its folder deleted afterwards (or a skip)."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server to run a private Redis")
    server = PrivateRedis(Path(tempfile.mkdtemp(prefix="donghanh-redis-")), free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@contextlib.contextmanager
def redis_key_space(url: str) -> Iterator[str]:
    """A unique key prefix on the Redis at `url`; afterwards its keys, and only those, are deleted.

    Skips the test when nothing answers at `url`. Never flushes: the database may be someone's.
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip(f"Redis part skipped: nothing answers at {url}")
    prefix = f"test-{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
