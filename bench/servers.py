"""Real `donghanh run` worker processes on consecutive ports, started and stopped by the bench.

One worker runs on SQLite in a temporary folder. Several workers share a fresh PostgreSQL
database (created here, dropped afterwards) and Redis, as in the multi-worker deployment. The
first worker starts alone (it migrates the new database); the others start once it is healthy.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"


@dataclass
class Worker:
    """One `donghanh run` process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Base URL of the worker."""
        return f"http://{HOST}:{self.port}"


@dataclass
class Cluster:
    """The workers serving one model, and how long the first took to become healthy."""

    workers: list[Worker] = field(default_factory=list)
    ready_seconds: float = 0.0

    @property
    def urls(self) -> list[str]:
        """Base URLs in routing order."""
        return [w.url for w in self.workers]

    def peak_rss_mib(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker so far, in MiB."""
        return [vm_hwm_mib(w.process.pid) for w in self.workers]


def parse_vm_hwm(status: str) -> float:
    """The VmHWM line of /proc/<pid>/status (peak resident set), in MiB.

    Raises:
        ValueError: when the text has no VmHWM line.
    """
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"unexpected unit {unit!r}")
            return int(value) / 1024
    raise ValueError("no VmHWM line")


def vm_hwm_mib(pid: int) -> float:
    """Peak resident memory of a running process, in MiB (Linux)."""
    return parse_vm_hwm(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))


def port_is_free(port: int) -> bool:
    """Whether nothing listens on the port (and it can be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_ports(count: int, start: int) -> int:
    """The first port from `start` on such that `count` consecutive ports are free."""
    for base in range(start, 65535 - count):
        if all(port_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free ports")


def worker_env(data_dir: Path, database_url: str, redis_url: str, secret: str) -> dict[str, str]:
    """The environment of a worker: its own data, no Telegram/Zalo, the shared pseudonym key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update({
        "DONGHANH_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DONGHANH_SECRET_KEY": secret,
        "DONGHANH_DEBUG": "false",
        "TELEGRAM_BOT_TOKEN": "",
        "ZALO_APP_ID": "",
        "RASA_TELEMETRY_ENABLED": "false",
    })  # fmt: skip
    return env


def _spawn(root: Path, model: Path, port: int, env: dict[str, str], log: Path) -> Worker:
    # `python -m bot.cli` in `root`: the checkout's own code (`--before`), this virtualenv
    command = [sys.executable, "-m", "bot.cli", "run", "--port", str(port), "--model", str(model)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Worker(port, process, log)


def wait_healthy(worker: Worker, *, timeout: float) -> None:
    """Poll GET /health until it answers 200.

    Raises:
        RuntimeError: when the worker exits or is not healthy within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"worker on port {worker.port} exited:\n{tail(worker.log)}")
        try:
            if httpx.get(worker.url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"worker on port {worker.port} not healthy in {timeout:.0f} s")


def tail(log: Path, lines: int = 30) -> str:
    """The last lines of a worker's log."""
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def start(
    root: Path, model: Path, count: int, *, folder: Path, database_url: str, redis_url: str,
    base_port: int, timeout: float = 300, extra_env: dict[str, str] | None = None,
) -> Cluster:  # fmt: skip
    """Start `count` workers on `model` (the code of `root`); the first alone, then the rest."""
    env = worker_env(folder / "data", database_url, redis_url, secrets.token_urlsafe(32))
    if extra_env:
        env["PYTHONPATH"] = extra_env.get("PYTHONPATH", "")
    port = free_ports(count, base_port)
    cluster = Cluster()
    try:
        spawned = time.perf_counter()
        cluster.workers.append(_spawn(root, model, port, env, folder / "worker-0.log"))
        wait_healthy(cluster.workers[0], timeout=timeout)
        cluster.ready_seconds = time.perf_counter() - spawned
        for i in range(1, count):
            cluster.workers.append(_spawn(root, model, port + i, env, folder / f"worker-{i}.log"))
        for worker in cluster.workers[1:]:
            wait_healthy(worker, timeout=timeout)
    except BaseException:
        stop(cluster)
        raise
    return cluster


def stop(cluster: Cluster, *, grace: float = 15) -> None:
    """SIGTERM every worker, then SIGKILL those still running after `grace` seconds."""
    for worker in cluster.workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    for worker in cluster.workers:
        try:
            worker.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


def create_database(admin_url: str) -> str:
    """Create a fresh PostgreSQL database `bench_<random>` and return its URL."""
    from sqlalchemy import create_engine, text

    name = f"bench_{secrets.token_hex(4)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database made by `create_database` (closing what is still connected to it)."""
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    if not name.startswith("bench_"):
        raise ValueError(f"refusing to drop {name!r}: not made by the bench")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
