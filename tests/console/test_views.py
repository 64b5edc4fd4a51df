"""Console behaviour: the full handoff flow, login rules, bad input, audit, live updates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.settings import Settings
from tests.console.conftest import PASSWORD, World, csrf_of, logged_in, login, make_world, mounted


async def test_claim_reply_hand_back_resolve(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case()
    person = world.store.case(case_id).person_id  # type: ignore[union-attr]
    token = await logged_in(client, "lan")
    queue = await client.get("/console/queue")
    assert f"/console/cases/{case_id}" in queue.text

    page = await client.get(f"/console/cases/{case_id}")
    assert "em không muốn sống nữa" in page.text  # context packet and transcript
    assert "suicidal_ideation" in page.text and "Nhận ca" in page.text

    claimed = await client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/console/cases/{case_id}"
    assert await world.handoff.is_paused(person)

    await world.person_writes("chị ơi em sợ")  # arrives while paused: stored, not answered
    sent = await client.post(
        f"/console/cases/{case_id}/reply",
        data={"csrf_token": token, "text": "Chị là Lan, chị đây."},
    )
    assert sent.status_code == 303
    assert world.sender.sent[-1] == ("42", "Chị là Lan, chị đây.")
    page = await client.get(f"/console/cases/{case_id}")
    assert "Đã gửi tới người hỏi" in page.text
    assert "chị ơi em sợ" in page.text and "Tư vấn viên lan" in page.text

    live = (await client.get(f"/console/cases/{case_id}/transcript.json")).json()
    assert "Chị là Lan, chị đây." in live["html"] and live["status"] == "with_counsellor"

    noted = await client.post(
        f"/console/cases/{case_id}/note", data={"csrf_token": token, "text": "Gọi lại lúc 9h"}
    )
    assert noted.status_code == 303 and world.store.notes(case_id)[0][2] == "Gọi lại lúc 9h"

    back = await client.post(f"/console/cases/{case_id}/handback", data={"csrf_token": token})
    assert back.status_code == 303 and not await world.handoff.is_paused(person)
    done = await client.post(
        f"/console/cases/{case_id}/resolve", data={"csrf_token": token, "outcome": "referred_111"}
    )
    assert done.status_code == 303
    case = world.store.case(case_id)
    assert case is not None and (case.status, case.outcome) == ("resolved", "referred_111")
    actions = [e.action for e in world.store.audit_entries(case_id=case_id)]
    assert sorted(set(actions)) == ["claim", "hand_back", "note", "reply", "resolve", "view"]
    assert all("Chị là Lan" not in e.detail for e in world.store.audit_entries())


async def test_two_operators_claim_at_once(world: World) -> None:
    import asyncio

    case_id = await world.urgent_case()
    app = mounted(world)
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://console.test")
        for _ in range(2)
    ]
    tokens = [await logged_in(c, name) for c, name in zip(clients, ["lan", "minh"], strict=True)]
    responses = await asyncio.gather(
        *(
            c.post(f"/console/cases/{case_id}/claim", data={"csrf_token": t})
            for c, t in zip(clients, tokens, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [303, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "vừa được một tư vấn viên khác nhận" in loser.text
    for c in clients:
        await c.aclose()


async def test_queue_json_is_ordered_and_filtered(client: httpx.AsyncClient, world: World) -> None:
    low = await world.urgent_case("1", "fallback")
    high = await world.urgent_case("2", "urgent_danger")
    other = await world.urgent_case("3", "request_human")
    assert await world.handoff.claim(other, "minh")
    await logged_in(client, "lan")
    data = (await client.get("/console/queue.json")).json()
    assert (data["open"], data["waiting"]) == (2, 2)  # minh's case is not lan's business
    assert data["html"].index(f"#{high}<") < data["html"].index(f"#{low}<")
    assert f"#{other}<" not in data["html"]
    assert (await client.get(f"/console/cases/{other}")).status_code == 403


async def test_supervisor_sees_everything(client: httpx.AsyncClient, world: World) -> None:
    ids = [await world.urgent_case(str(i)) for i in range(3)]
    await world.handoff.claim(ids[0], "minh")
    world.clock.now += timedelta(minutes=7)
    await logged_in(client, "sup")
    page = await client.get("/console/supervisor")
    assert all(f"#{i}<" in page.text for i in ids)
    assert "lâu nhất đã chờ 7 phút" in page.text and "minh: 1" in page.text
    token = csrf_of(page.text)
    resolved = await client.post(
        f"/console/cases/{ids[1]}/resolve", data={"csrf_token": token, "outcome": "duplicate"}
    )
    assert resolved.status_code == 303  # a supervisor may close a case nobody holds


async def test_login_back_off_and_its_end(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(world.settings.console.max_failed_logins):
        assert (await login(client, "lan", "wrong password")).status_code == 401
    refused = await login(client, "lan", PASSWORD)  # even the right password, while waiting
    assert refused.status_code == 429 and "quá nhiều lần" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    world.clock.now += timedelta(minutes=world.settings.console.lockout_minutes, seconds=1)
    assert (await login(client, "lan", PASSWORD)).status_code == 303
    assert [e.action for e in world.store.audit_entries()][:2] == ["login", "login_failed"]


async def test_unknown_user_and_bad_login_fields(client: httpx.AsyncClient) -> None:
    assert (await login(client, "ghost", PASSWORD)).status_code == 401
    assert (await login(client, "x" * 65, PASSWORD)).status_code == 400
    assert (await login(client, "lan", "p" * 300)).status_code == 400


async def test_session_cookie_is_rotated_and_flagged(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/login")
    before = client.cookies.get("donghanh_console")
    response = await client.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "username": "lan", "password": PASSWORD},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert client.cookies.get("donghanh_console") != before
    assert csrf_of((await client.get("/console/queue")).text) != csrf_of(page.text)


async def test_cookie_without_secure_flag_when_configured(
    settings: Settings, tmp_path: Path
) -> None:
    world = make_world(settings, tmp_path, cookie_secure=False)
    transport = httpx.ASGITransport(app=mounted(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        response = await login(c, "lan")
    assert response.status_code == 303
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_logout_ends_the_session_even_for_a_copied_cookie(client: httpx.AsyncClient) -> None:
    token = await logged_in(client, "lan")
    copied = dict(client.cookies)
    assert (await client.post("/console/logout", data={"csrf_token": token})).status_code == 303
    client.cookies.clear()
    client.cookies.update(copied)
    response = await client.get("/console/queue")
    assert response.status_code == 403 and "Phiên làm việc đã kết thúc" in response.text


async def test_disabled_account(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case()
    token = await logged_in(client, "lan")
    world.store.set_operator_active("lan", False)
    response = await client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    assert response.status_code == 403 and "vô hiệu hóa" in response.text
    assert world.store.case(case_id).status == "new"  # type: ignore[union-attr]
    again = await login(client, "lan")  # answered as a wrong password: nothing to probe
    assert again.status_code == 401 and "vô hiệu hóa" not in again.text


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("text", "", 400),
        ("text", "   ", 400),
        ("text", "x" * 4001, 400),
        ("outcome", "", 400),
        ("outcome", "solved", 400),
        ("outcome", "advised\x00", 400),
    ],
)
async def test_bad_fields_change_nothing(
    client: httpx.AsyncClient, world: World, field: str, value: str, status: int
) -> None:
    case_id = await world.urgent_case()
    token = await logged_in(client, "lan")
    await client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    sent_before = list(world.sender.sent)
    path = {"text": "reply", "outcome": "resolve"}[field]
    response = await client.post(
        f"/console/cases/{case_id}/{path}", data={"csrf_token": token, field: value}
    )
    assert response.status_code == status and "Không có gì bị thay đổi" in response.text
    assert world.sender.sent == sent_before
    assert world.store.case(case_id).status == "claimed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"csrf_token=x&text=%ff%fe", "application/x-www-form-urlencoded", 400),
        (b"text=a&text=b", "application/x-www-form-urlencoded", 400),
        (b"a=1&" * 20, "application/x-www-form-urlencoded", 400),
        (b"x" * (70 * 1024), "application/x-www-form-urlencoded", 413),
        (b'{"text": "hi"}', "application/json", 415),
        (b"--b\r\n", "multipart/form-data; boundary=b", 415),
    ],
)
async def test_malformed_bodies(
    client: httpx.AsyncClient, world: World, body: bytes, content_type: str, status: int
) -> None:
    case_id = await world.urgent_case()
    await logged_in(client, "lan")
    response = await client.post(
        f"/console/cases/{case_id}/note", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert world.store.notes(case_id) == []


async def test_reply_to_a_case_you_do_not_hold(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case()
    await world.handoff.claim(case_id, "minh")
    token = await logged_in(client, "sup")  # a supervisor may look, but not speak for minh
    before = len(await world.handoff.transcript(world.store.case(case_id).person_id))  # type: ignore[union-attr,arg-type]
    for path, data in [("reply", {"text": "xin chào"}), ("handback", {})]:
        response = await client.post(
            f"/console/cases/{case_id}/{path}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 409 and "không giữ ca này" in response.text
    after = await world.handoff.transcript(world.store.case(case_id).person_id)  # type: ignore[union-attr,arg-type]
    assert len(after) == before
    lan = await logged_in(client, "lan")
    response = await client.post(
        f"/console/cases/{case_id}/resolve", data={"csrf_token": lan, "outcome": "advised"}
    )
    assert response.status_code == 403  # not even visible to another counsellor


async def test_zalo_window_warning(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case("z1", channel="zalo")
    recent = await world.urgent_case("t1", channel="telegram")
    await logged_in(client, "sup")
    assert "Cảnh báo Zalo" not in (await client.get(f"/console/cases/{case_id}")).text
    world.clock.now += timedelta(hours=world.settings.zalo.reply_window_hours, minutes=1)
    await logged_in(client, "sup")  # the session of two days ago has ended
    assert "Cảnh báo Zalo" in (await client.get(f"/console/cases/{case_id}")).text
    assert "Cảnh báo Zalo" not in (await client.get(f"/console/cases/{recent}")).text


async def test_security_headers_and_no_foreign_scripts(client: httpx.AsyncClient) -> None:
    await logged_in(client, "root")
    for path in ("/console/login", "/console/queue", "/console/audit", "/console/report"):
        response = await client.get(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        for attribute in ("src=", "href="):
            assert (
                f'{attribute}"http' not in response.text
                and f"{attribute}'http" not in response.text
            )


async def test_every_case_view_is_audited(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case()
    await logged_in(client, "root")
    await client.get(f"/console/cases/{case_id}")
    await client.get(f"/console/cases/{case_id}")
    views = [e for e in world.store.audit_entries(case_id=case_id) if e.action == "view"]
    assert [e.operator for e in views] == ["root", "root"]
    audit = await client.get("/console/audit")
    assert "xem ca" in audit.text and f"#{case_id}" in audit.text


async def test_topics_are_shown_by_their_titles(client: httpx.AsyncClient, world: World) -> None:
    """An operator reads "Lừa đảo trên mạng", not the intent name `ask_scam`."""
    person = await world.person_writes("con tôi bị lừa nạp thẻ game", "77")
    context = {"topic": "ask_scam", "urgent": False, "audience": "parent", "last_messages": []}
    case = world.store.open_escalation(
        person_id=person, channel="telegram", priority="request_human", reason="asked",
        context=context,
    )  # fmt: skip
    await logged_in(client, "sup")
    pages = [await client.get(f"/console/cases/{case.id}"), await client.get("/console/supervisor"),
             await client.get("/console/queue")]  # fmt: skip
    for page in pages:
        assert page.status_code == 200
        assert "Lừa đảo trên mạng" in page.text and "ask_scam" not in page.text
