"""Console security: no route without login, CSRF, role escalation, session fixation, brute force.

Routes are enumerated from the console app's own router, so a route added later is covered
without editing this file. Every refusal is also checked to change nothing: case state, notes,
blocks, messages sent and the audit log are compared before and after.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any, AsyncIterator

import httpx
import itsdangerous
import pytest
from starlette.routing import Mount, Route

from bot.console import security
from bot.console.app import create_console
from bot.console.views import auth
from tests.console.conftest import PASSWORD, World, csrf_of, logged_in, login, mounted

COOKIE = "donghanh_console"
# Every field any console form reads, valid, so a refusal is never about bad input.
FORM = {"text": "xin chào", "outcome": "advised", "days": "7", "reason": "spam"}
# What a counsellor may POST on a new case nobody holds; every other POST route is refused.
COUNSELLOR_MAY = {"claim", "note", "logout"}


def console_routes(world: World) -> list[Route]:
    """The routes of the console app as served (not a hand-written list)."""
    app = create_console(world.store, world.handoff, world.settings)
    return [r for r in app.router.routes if isinstance(r, Route)]


def url(route: Route, case_id: int) -> str:
    return "/console" + route.path.replace("{case_id:int}", str(case_id))


def post_routes(world: World) -> list[Route]:
    return [r for r in console_routes(world) if "POST" in (r.methods or ())]


async def new_client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mounted(world))
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as c:
        yield c


class Snapshot:
    """Everything a refused request must leave as it was."""

    def __init__(self, world: World, case_id: int) -> None:
        case = world.store.case(case_id)
        assert case is not None
        self.case = (case.status, case.claimed_by, case.outcome)
        self.notes = world.store.notes(case_id)
        self.blocked = world.store.block_of(case.person_id) if case.person_id else None
        self.sent = list(world.sender.sent)
        self.audit = [(e.operator, e.action, e.escalation_id) for e in world.store.audit_entries()]
        self.people = [(o.username, o.role, o.active) for o in world.store.operators()]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return repr(vars(self))


# -- No route without login -------------------------------------------------------------------


def test_the_console_serves_routes_to_enumerate(world: World) -> None:
    names = {r.name for r in console_routes(world)}
    assert {"queue", "case", "claim", "resolve", "report", "audit", "login_post"} <= names
    mounts = [r for r in create_console(world.store, world.handoff, world.settings).routes
              if isinstance(r, Mount)]  # fmt: skip
    assert [m.path for m in mounts] == ["/static"]  # the only public files: CSS and our script


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
async def test_no_route_answers_without_login(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    case_id = await world.urgent_case()
    before = Snapshot(world, case_id)
    checked = 0
    for route in console_routes(world):
        path = url(route, case_id)
        response = await client.request(method, path, data=FORM if method == "POST" else None)
        status = response.status_code
        if path == "/console/login" and method in ("GET", "HEAD"):
            assert status == 200  # the login form itself
        elif path == "/console/login" and method == "POST":
            assert status == 403 and "CSRF" in response.text  # no token: password never read
        elif status == 303:
            assert response.headers["location"] == "/console/login", path
        else:
            assert status in (401, 405), (method, path, status)
        assert "xin chào" not in response.text and "em không muốn sống" not in response.text
        checked += 1
    assert checked == len(console_routes(world)) >= 15
    assert Snapshot(world, case_id) == before


async def test_a_forged_or_tampered_session_cookie_is_not_a_login(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    await logged_in(client, "lan")
    real = client.cookies[COOKIE]
    data, _, signed = real.partition(".")
    session = json.loads(base64.b64decode(data))
    assert session["user"] == "lan"
    forged_session = base64.b64encode(json.dumps({**session, "user": "root"}).encode())
    other_key = itsdangerous.TimestampSigner("not-the-console-secret")
    forged = [
        forged_session.decode() + "." + signed,  # payload changed, old signature
        other_key.sign(forged_session).decode(),  # signed with another key
        "",  # empty
        "x" * 100,  # garbage
    ]
    before = Snapshot(world, case_id)
    for cookie in forged:
        client.cookies.clear()
        client.cookies.set(COOKIE, cookie, domain="console.test")
        assert (await client.get("/console/audit")).status_code == 303
        token = session["csrf"]
        claim = await client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
        assert claim.status_code == 401
    assert Snapshot(world, case_id) == before


# -- CSRF on every POST -----------------------------------------------------------------------


@pytest.mark.parametrize("token", ["missing", "empty", "wrong", "other_session", "query_string"])
async def test_every_post_needs_this_sessions_csrf_token(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    case_id = await world.urgent_case()
    await world.handoff.claim(case_id, "sup")  # every action is one sup could take
    async for other in new_client(world):
        others_token = await logged_in(other, "root")  # a live session of someone else
    own = await logged_in(client, "sup")
    before = Snapshot(world, case_id)
    for route in post_routes(world):
        path, data = url(route, case_id), dict(FORM)
        if route.name == "login_post":
            data |= {"username": "sup", "password": PASSWORD}
        if token == "empty":
            data["csrf_token"] = ""
        elif token == "wrong":
            data["csrf_token"] = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
        elif token == "other_session":
            data["csrf_token"] = others_token
        elif token == "query_string":
            path += f"?csrf_token={own}"
        response = await client.post(path, data=data)
        assert response.status_code == 403 and "CSRF" in response.text, (route.name, token)
    assert Snapshot(world, case_id) == before
    assert csrf_of((await client.get("/console/queue")).text) == own  # still sup's session


async def test_a_valid_token_passes_so_the_refusals_above_are_about_csrf(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    token = await logged_in(client, "sup")
    response = await client.post(
        f"/console/cases/{case_id}/note", data={**FORM, "csrf_token": token}
    )
    assert response.status_code == 303 and world.store.notes(case_id)[0][1:] == ("sup", "xin chào")


# -- Role escalation --------------------------------------------------------------------------


async def test_a_counsellor_can_take_no_supervisor_action_on_a_new_case(
    client: httpx.AsyncClient, world: World
) -> None:
    refused = 0
    for route in post_routes(world):
        if route.name in COUNSELLOR_MAY | {"login_post"}:
            continue
        case_id = await world.urgent_case(platform_id=f"p-{route.name}")
        token = await logged_in(client, "lan")
        before = Snapshot(world, case_id)
        response = await client.post(url(route, case_id), data={**FORM, "csrf_token": token})
        assert response.status_code in (403, 409), (route.name, response.status_code)
        after = Snapshot(world, case_id)
        assert (after.case, after.notes, after.blocked, after.sent) == (
            before.case, before.notes, before.blocked, before.sent,
        ), route.name  # fmt: skip
        assert [a for a in after.audit if a[1] not in ("login",)] == [
            a for a in before.audit if a[1] not in ("login",)
        ]
        refused += 1
    assert refused >= 4  # reply, handback, resolve, and the supervisors' block/unblock


async def test_a_counsellor_cannot_touch_a_case_another_counsellor_holds(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    assert await world.handoff.claim(case_id, "minh")
    token = await logged_in(client, "lan")
    before = Snapshot(world, case_id)
    for route in post_routes(world):
        if route.name in ("login_post", "logout"):
            continue
        response = await client.post(url(route, case_id), data={**FORM, "csrf_token": token})
        assert response.status_code in (403, 409), (route.name, response.status_code)
    for path in (f"/console/cases/{case_id}", f"/console/cases/{case_id}/transcript.json"):
        assert (await client.get(path)).status_code == 403  # not even readable
    after = Snapshot(world, case_id)
    assert (
        after.case == ("claimed", "minh", None) and after.notes == [] and after.sent == before.sent
    )
    assert after.blocked == before.blocked


async def test_role_fields_in_forms_and_urls_are_ignored(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    page = await client.get("/console/login")
    response = await client.post(
        "/console/login?role=admin&user=root",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "lan",
            "password": PASSWORD,
            "role": "admin",
            "user": "root",
            "v": "0",
        },  # fmt: skip
    )
    assert response.status_code == 303
    for path in ("/console/audit", "/console/supervisor?role=admin", "/console/report?as=root"):
        assert (await client.get(path)).status_code == 403, path
    token = csrf_of((await client.get("/console/queue")).text)
    forged = {**FORM, "csrf_token": token, "role": "admin", "username": "root", "author": "root",
              "claimed_by": "root", "operator": "sup"}  # fmt: skip
    assert (await client.post(f"/console/cases/{case_id}/note", data=forged)).status_code == 303
    assert world.store.notes(case_id)[0][1] == "lan"  # written as lan, whatever the form says
    blocked = await client.post(f"/console/cases/{case_id}/block", data=forged)
    assert blocked.status_code == 403
    assert [(o.username, o.role) for o in world.store.operators()] == sorted(
        [("lan", "counsellor"), ("minh", "counsellor"), ("sup", "supervisor"), ("root", "admin")]
    )


async def test_a_role_change_applies_at_the_next_request(
    client: httpx.AsyncClient, world: World
) -> None:
    """The role is read from the database on every request, never trusted from the cookie."""
    await logged_in(client, "sup")
    assert (await client.get("/console/supervisor")).status_code == 200
    with world.store.session() as s:  # demote sup without ending the session
        from sqlalchemy import update

        from bot.storage.models import Operator

        s.execute(update(Operator).where(Operator.username == "sup").values(role="counsellor"))
        s.commit()
    assert (await client.get("/console/supervisor")).status_code == 403


# -- Session fixation -------------------------------------------------------------------------


async def test_a_cookie_planted_before_login_is_not_logged_in_after(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get("/console/login")
    planted = client.cookies[COOKIE]  # what an attacker would give the victim's browser
    response = await client.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "username": "sup", "password": PASSWORD},
    )
    assert response.status_code == 303
    after = client.cookies[COOKIE]
    assert after != planted
    assert (await client.get("/console/supervisor")).status_code == 200  # the victim is in
    async for attacker in new_client(world):
        attacker.cookies.set(COOKIE, planted, domain="console.test")
        assert (await attacker.get("/console/supervisor")).status_code == 303
        assert (await attacker.get("/console/queue.json")).status_code == 401
    old, new = (json.loads(base64.b64decode(c.partition(".")[0])) for c in (planted, after))
    assert new["csrf"] != old["csrf"] and "sid" in new and "user" not in old


async def test_a_logged_out_cookie_no_longer_works_anywhere(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    token = await logged_in(client, "sup")
    async for second in new_client(world):  # the same account in another browser
        await logged_in(second, "sup")
        copied = client.cookies[COOKIE]
        assert (await client.post("/console/logout", data={"csrf_token": token})).status_code == 303
        assert (await client.get("/console/queue")).status_code == 303  # the cleared cookie
        before = Snapshot(world, case_id)
        for browser in (client, second):
            browser.cookies.clear()
            browser.cookies.set(COOKIE, copied, domain="console.test")
            response = await browser.post(
                f"/console/cases/{case_id}/claim", data={"csrf_token": token}
            )
            assert response.status_code == 403 and "Phiên làm việc đã kết thúc" in response.text
        assert Snapshot(world, case_id) == before
        await logged_in(second, "sup")  # logging in again works, with a new session
        assert (await second.get("/console/supervisor")).status_code == 200
        second.cookies.set(COOKIE, copied, domain="console.test")
        assert (await second.get("/console/supervisor")).status_code == 403  # still dead


# -- Brute force ------------------------------------------------------------------------------


def strip_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


async def test_failures_are_counted_per_account_and_reset_by_a_success(
    client: httpx.AsyncClient, world: World
) -> None:
    limit = world.settings.console.max_failed_logins
    for _ in range(limit - 1):
        assert (await login(client, "lan", "wrong")).status_code == 401
    assert (await login(client, "lan", PASSWORD)).status_code == 303
    for _ in range(limit - 1):
        assert (await login(client, "lan", "wrong")).status_code == 401
    assert (await login(client, "lan", PASSWORD)).status_code == 303  # the count started again


async def test_login_errors_never_tell_whether_an_account_exists(world: World) -> None:
    world.store.set_operator_active("minh", False)
    limit = world.settings.console.max_failed_logins
    app = mounted(world)
    answers: dict[str, list[tuple[int, str]]] = {}
    for n, username in enumerate(("lan", "minh", "ghost")):  # active, disabled, no such account
        answers[username] = []
        transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{n + 1}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as c:
            for _ in range(limit + 2):  # into the back-off of an existing account
                response = await login(c, username, "wrong password")
                answers[username].append((response.status_code, strip_token(response.text)))
    assert answers["lan"] == answers["ghost"]
    assert answers["minh"] == answers["ghost"]
    assert [status for status, _ in answers["ghost"]] == [401] * limit + [429, 429]


async def test_unknown_accounts_cost_the_same_password_check(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown name still runs argon2 (against a dummy hash): no timing difference to probe."""
    checked: list[str | None] = []
    verify = security.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    await login(client, "ghost", PASSWORD)
    await login(client, "lan", "wrong")
    assert len(checked) == 2 and checked[0] is None and checked[1] is not None
    hashed: list[str] = []

    class Recording:
        def verify(self, password_hash: str, password: str) -> bool:
            hashed.append(password_hash)
            return False

    monkeypatch.setattr(security, "HASHER", Recording())
    assert security.verify_password(None, "x") is False
    assert len(hashed) == 1 and hashed[0].startswith("$argon2id$")  # a real hash to check against


async def test_login_failures_of_unknown_names_write_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    before = world.store.audit_entries()
    for name in ("ghost", "admin' --", "x" * 64):
        assert (await login(client, name, "wrong")).status_code == 401
    assert world.store.audit_entries() == before
    assert [o.username for o in world.store.operators()] == sorted(["lan", "minh", "sup", "root"])


def test_any_value_type_in_the_cookie_is_no_login(world: World) -> None:
    """`current_operator` only trusts a string username that is still an account."""

    class Req:
        def __init__(self, session: dict[str, Any]) -> None:
            self.session = session

    for value in (None, 1, ["root"], {"u": "root"}, "", "nobody"):
        assert security.current_operator(Req({"user": value, "v": 0}), world.store) is None  # type: ignore[arg-type]


async def test_a_session_ends_its_hours_after_login_however_busy(
    client: httpx.AsyncClient, world: World
) -> None:
    """The cookie is renewed by every response, so only the login time can end a polling tab."""
    hours = world.settings.console.session_hours
    await logged_in(client, "lan")
    for _ in range(hours * 4 - 1):  # the tab polls all day
        world.clock.now += timedelta(minutes=15)
        assert (await client.get("/console/queue.json")).status_code == 200
    world.clock.now += timedelta(minutes=15)
    assert (await client.get("/console/queue.json")).status_code == 403
    assert (await client.get("/console/queue")).status_code in (303, 403)
    assert (await login(client, "lan")).status_code == 303  # a new login starts a new session
