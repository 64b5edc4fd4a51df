"""Real `donghanh run` worker processes for the scale and fault tests, and a retrying client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

from bot.settings import ROOT

DONGHANH = Path(sys.executable).parent / "donghanh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Worker:
    """One `donghanh run` process on its own port."""

    env: dict[str, str]
    model: Path
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"worker-{self.port}-{self.starts}.log").open("wb")
        command = [str(DONGHANH), "run", "--port", str(self.port), "--model", str(self.model)]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.last_log()
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"worker on {self.port} not healthy:\n{self.last_log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def last_log(self) -> str:
        logs = sorted(self.log_dir.glob(f"worker-{self.port}-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


def migrate(env: dict[str, str]) -> None:
    """`donghanh migrate` on the database of `env`, as before starting several workers."""
    done = subprocess.run([str(DONGHANH), "migrate"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@contextlib.contextmanager
def running_workers(
    env: dict[str, str], model: Path, log_dir: Path, count: int = 2
) -> Iterator[list[Worker]]:
    """Migrate, start `count` workers and wait until they answer; stop them afterwards."""
    migrate(env)
    pool = [Worker(env, model, log_dir) for _ in range(count)]
    try:
        for worker in pool:
            worker.start()
        for worker in pool:
            worker.wait_healthy()
        yield pool
    finally:
        for worker in pool:
            worker.stop()


def worker_env(
    database_url: str, redis_url: str, data_dir: Path, key: str, *, redis_key_prefix: str
) -> dict[str, str]:
    """The environment of a worker; every Redis key it writes starts with `redis_key_prefix`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=redis_key_prefix,
        DONGHANH_DATA_DIR=str(data_dir),
        DONGHANH_SECRET_KEY=key,  # every worker must share it: it makes the pseudonyms
        DONGHANH_RATE_LIMIT_PER_MINUTE="1000",
        DONGHANH_NEW_CONVERSATIONS_PER_ADDRESS="0",  # every test person comes from 127.0.0.1
        DONGHANH_CASES_PER_ADDRESS="0",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    return env


@dataclass
class Outcome:
    """What one message got: the replies, and how many attempts it took."""

    sender: str
    message_id: str
    text: str
    replies: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)


# Requests sent and not yet answered, by worker port (a fault test kills a worker holding some).
IN_FLIGHT: dict[int, int] = {}

# Web chat ids are issued by the server (`POST /webhooks/rest/session`, signed with the shared key,
# so any worker accepts them); tests name their people, and each name gets one issued id.
CHAT_IDS: dict[str, str] = {}
_ASKING: dict[str, asyncio.Lock] = {}


async def chat_id(client: httpx.AsyncClient, workers: list[Worker], name: str) -> str:
    """The issued web chat id of the person a test calls `name` (asked once, of any live worker)."""
    async with _ASKING.setdefault(name, asyncio.Lock()):  # three messages at once: one id
        return await _ask_id(client, workers, name)


async def _ask_id(client: httpx.AsyncClient, workers: list[Worker], name: str) -> str:
    while name not in CHAT_IDS:
        for worker in workers:
            try:
                response = await client.post(f"{worker.url}/webhooks/rest/session")
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                CHAT_IDS[name] = response.json()["sender"]
                break
        else:
            await asyncio.sleep(0.25)
    return CHAT_IDS[name]


async def send(
    client: httpx.AsyncClient,
    workers: list[Worker],
    sender: str,
    text: str,
    *,
    message_id: str | None = None,
    tries: int = 60,
) -> Outcome:
    """Send one message to the sender's worker; on failure retry, same message id, on the others.

    This is what a client (or a platform's webhook retry) does when a worker dies mid-request.
    """
    outcome = Outcome(sender, message_id or uuid.uuid4().hex, text)
    issued = await chat_id(client, workers, sender)
    start = hash(sender) % len(workers)
    for attempt in range(tries):
        worker = workers[(start + attempt) % len(workers)]
        outcome.attempts += 1
        body = {"sender": issued, "message": text, "message_id": outcome.message_id}
        IN_FLIGHT[worker.port] = IN_FLIGHT.get(worker.port, 0) + 1
        try:
            response = await client.post(f"{worker.url}/webhooks/rest/webhook", json=body)
        except (httpx.HTTPError, AttributeError):
            # AttributeError: anyio's socket stream, closed while httpcore opens a connection to
            # the worker just killed, has no socket to ask for its peer (a client-side race): the
            # request never reached a worker, so it is retried like any failed connection
            await asyncio.sleep(0.25)
            continue
        finally:
            IN_FLIGHT[worker.port] -= 1
        outcome.statuses.append(response.status_code)
        if response.status_code == 200:
            outcome.replies = response.json()
            return outcome
        await asyncio.sleep(0.25)
    return outcome
