"""Server hygiene of `donghanh run`: slow clients are cut off, connections are capped, a public
address needs a real key, and what we write to disk is private."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.app import is_loopback, refuse_public_without_key, server_config
from bot.pseudonym import MissingKey
from bot.settings import Settings
from tests.helpers.workers import free_port


async def hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


@pytest_asyncio.fixture(loop_scope="function")
async def server(settings: Settings) -> AsyncIterator[int]:
    import uvicorn

    configured = replace(settings, server=replace(settings.server, header_timeout_seconds=0.3,
                                                  max_connections=4))  # fmt: skip
    port = free_port()
    app = Starlette(routes=[Route("/", hello)])
    running = uvicorn.Server(server_config(configured, app, "127.0.0.1", port))
    task = asyncio.create_task(running.serve())
    while not running.started:
        await asyncio.sleep(0.02)
    yield port
    running.should_exit = True
    await asyncio.wait_for(task, 10)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), seconds) == b""
    except asyncio.TimeoutError:
        return False


async def test_a_request_head_sent_too_slowly_is_cut_off(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # ... and the rest never comes
    await writer.drain()
    assert await closed_within(reader, 2.0)
    writer.close()


async def test_an_idle_connection_that_never_speaks_is_cut_off(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    assert await closed_within(reader, 2.0)
    writer.close()


async def test_a_kept_alive_connection_gets_the_same_limit_for_its_next_head(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"ok"), 2.0)
    assert b"200 OK" in head
    writer.write(b"GET / HTTP/1.1\r\nHo")  # the next request starts, slowly
    await writer.drain()
    assert await closed_within(reader, 2.0)
    writer.close()


async def test_a_prompt_client_is_served(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 2.0)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    writer.close()


async def test_over_the_connection_cap_requests_get_503(server: int) -> None:
    held = [await asyncio.open_connection("127.0.0.1", server) for _ in range(4)]
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 2.0)
    assert answer.startswith(b"HTTP/1.1 503")
    for _, w in [*held, (reader, writer)]:
        w.close()


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("bot.example.vn", False),
])  # fmt: skip
def test_only_loopback_addresses_count_as_private(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_address_needs_a_secret_key(settings: Settings) -> None:
    keyless = replace(settings, secret_key="")
    with pytest.raises(MissingKey):
        refuse_public_without_key(keyless, "0.0.0.0")
    refuse_public_without_key(keyless, "127.0.0.1")
    refuse_public_without_key(replace(settings, secret_key="k" * 32), "0.0.0.0")


def run_cli(tmp_path: Path, *args: str, key: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DONGHANH_", "DATABASE_"))}
    env = {
        **clean,
        "DONGHANH_DATA_DIR": str(tmp_path / "data"),
        "DONGHANH_SECRET_KEY": key,
        "DONGHANH_MODELS_DIR": str(tmp_path / "models"),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    command = [sys.executable, "-m", "bot.cli", *args]
    root = Path(__file__).parent.parent
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=root
    )


def test_run_refuses_a_public_address_without_a_key_before_loading_anything(
    tmp_path: Path,
) -> None:
    refused = run_cli(tmp_path, "run", "--host", "0.0.0.0")
    assert refused.returncode == 2 and "DONGHANH_SECRET_KEY" in refused.stderr
    assert not (tmp_path / "data" / "secret.key").exists()  # no development key was made
    keyed = run_cli(tmp_path, "run", "--host", "0.0.0.0", key="k" * 32)
    assert keyed.returncode != 2 and "No trained model" in keyed.stderr  # got past the check


def test_what_the_bot_writes_in_its_data_folder_is_private(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "purge", "--dry-run")
    assert done.returncode == 0, done.stderr
    data = tmp_path / "data"
    written = [data, *data.iterdir()]
    assert any(p.name == "donghanh.db" for p in written)
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
