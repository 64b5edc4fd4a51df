import asyncio
import json
import stat
from pathlib import Path

import pytest

from bot.channels.zalo_client import (
    MAX_BUTTONS,
    TokenFile,
    Tokens,
    ZaloClient,
    ZaloError,
    message_body,
    seed_of,
)
from bot.messages import Button
from bot.settings import Settings, ZaloSettings
from tests.helpers.fake_zalo import APP_ID, APP_SECRET, FIRST_REFRESH_TOKEN, OA_SECRET_KEY, FakeZalo
from tests.helpers.fakes import Clock


def zalo_env(url: str, data_dir: Path, refresh_token: str = FIRST_REFRESH_TOKEN) -> dict[str, str]:
    return {
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
        "ZALO_REFRESH_TOKEN": refresh_token,
        "ZALO_OPENAPI_BASE_URL": url,
        "ZALO_OAUTH_BASE_URL": url,
        "DONGHANH_DATA_DIR": str(data_dir),
    }


def zalo_settings(url: str, data_dir: Path, **kw: str) -> ZaloSettings:
    return Settings.from_env(zalo_env(url, data_dir, **kw)).zalo


def make_client(
    fake: FakeZalo, tmp_path: Path, clock: Clock | None = None, **kw: str
) -> ZaloClient:
    token_file = TokenFile(tmp_path / "zalo_tokens.json")
    return ZaloClient(
        zalo_settings(fake.url, tmp_path, **kw), token_file, clock=clock or Clock(1_000_000.0)
    )


def saved(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "zalo_tokens.json").read_text())


def test_message_body_has_query_buttons_with_rasa_payloads() -> None:
    buttons = [Button(f"B{i}", f"/b{i}") for i in range(MAX_BUTTONS + 2)]
    body = message_body("u1", "Chào", buttons)
    assert body["recipient"] == {"user_id": "u1"}
    shown = body["message"]["attachment"]["payload"]["buttons"]
    assert shown[0] == {"type": "oa.query.hide", "title": "B0", "payload": "/b0"}
    assert len(shown) == MAX_BUTTONS
    assert message_body("u1", "Chào") == {
        "recipient": {"user_id": "u1"},
        "message": {"text": "Chào"},
    }


async def test_first_send_refreshes_from_the_configured_token_and_persists(
    fake: FakeZalo, tmp_path: Path
) -> None:
    client = make_client(fake, tmp_path)
    data = await client.send_message("u1", "Xin chào", [Button("Có", "/affirm")])
    await client.aclose()
    assert data["user_id"] == "u1"
    assert [r["refresh_token"] for r in fake.refreshes] == [FIRST_REFRESH_TOKEN]
    assert fake.refreshes[0]["app_id"] == APP_ID
    assert fake.messages[0]["message"]["text"] == "Xin chào"
    pair = saved(tmp_path)
    assert pair["refresh_token"] == "rt-1" and pair["access_token"] == "at-1"
    assert pair["seed"] == seed_of(FIRST_REFRESH_TOKEN)
    assert stat.S_IMODE((tmp_path / "zalo_tokens.json").stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))


async def test_expired_token_is_refreshed_once_and_the_send_retried(
    fake: FakeZalo, tmp_path: Path
) -> None:
    client = make_client(fake, tmp_path)
    await client.send_message("u1", "một")
    fake.expire_access_tokens()
    await client.send_message("u1", "hai")
    await client.aclose()
    assert [r["refresh_token"] for r in fake.refreshes] == [FIRST_REFRESH_TOKEN, "rt-1"]
    assert fake.refused == [-216]
    assert [m["message"]["text"] for m in fake.messages] == ["một", "hai"]
    assert saved(tmp_path)["refresh_token"] == "rt-2"


async def test_a_restart_continues_the_chain_from_the_file(fake: FakeZalo, tmp_path: Path) -> None:
    first = make_client(fake, tmp_path)
    await first.send_message("u1", "một")
    await first.aclose()
    second = make_client(fake, tmp_path)  # same file, the configured token is already used up
    await second.send_message("u1", "hai")
    await second.aclose()
    assert len(fake.refreshes) == 1  # the saved access token was still valid


async def test_concurrent_sends_share_one_refresh(fake: FakeZalo, tmp_path: Path) -> None:
    client = make_client(fake, tmp_path)
    await client.send_message("u1", "0")
    fake.expire_access_tokens()
    await asyncio.gather(*(client.send_message("u1", str(i)) for i in range(5)))
    await client.aclose()
    assert len(fake.refreshes) == 2  # the first token, then one refresh for all five
    assert len(fake.messages) == 6


async def test_refreshes_proactively_when_less_than_five_minutes_are_left(
    fake: FakeZalo, tmp_path: Path
) -> None:
    clock = Clock(1_000_000.0)
    client = make_client(fake, tmp_path, clock)
    await client.send_message("u1", "một")
    clock.now += 90000 - 200  # 200 s left
    await client.send_message("u1", "hai")
    await client.aclose()
    assert len(fake.refreshes) == 2 and fake.refused == []


async def test_a_refused_refresh_raises_and_keeps_the_file(fake: FakeZalo, tmp_path: Path) -> None:
    client = make_client(fake, tmp_path, refresh_token="rt-unknown")
    with pytest.raises(ZaloError):
        await client.send_message("u1", "một")
    await client.aclose()
    assert fake.messages == [] and not (tmp_path / "zalo_tokens.json").exists()


async def test_other_errors_are_raised_without_refreshing(fake: FakeZalo, tmp_path: Path) -> None:
    client = make_client(fake, tmp_path)
    with pytest.raises(ZaloError) as caught:
        await client.send_message("u1", "x" * 2001)
    await client.aclose()
    assert caught.value.code == -201 and len(fake.refreshes) == 1


def test_a_new_configured_token_restarts_the_chain(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "zalo_tokens.json")
    token_file.save(Tokens("at-9", "rt-9", 5.0, seed_of("rt-old")))
    assert token_file.load("rt-old").refresh_token == "rt-9"
    assert token_file.load("rt-new") == Tokens("", "rt-new", 0.0, seed_of("rt-new"))
    (tmp_path / "zalo_tokens.json").write_text("{broken")
    with pytest.raises(ZaloError):
        token_file.load("rt-old")
