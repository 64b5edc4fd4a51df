"""Every console route without a session, with CSRF, by role: (method, path, status) tables."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Mount, Route

from bot.console.app import routes
from tests.console.conftest import World, logged_in

# Without a session: HTML pages go to the login page, everything else is refused.
ANONYMOUS = [
    ("GET", "/console/", 303),
    ("GET", "/console/login", 200),
    ("POST", "/console/login", 403),  # no CSRF token: refused before the password is read
    ("POST", "/console/logout", 401),
    ("GET", "/console/queue", 303),
    ("GET", "/console/queue.json", 401),
    ("GET", "/console/supervisor", 303),
    ("GET", "/console/audit", 303),
    ("GET", "/console/cases/1", 303),
    ("GET", "/console/cases/1/transcript.json", 401),
    ("POST", "/console/cases/1/claim", 401),
    ("POST", "/console/cases/1/reply", 401),
    ("POST", "/console/cases/1/note", 401),
    ("POST", "/console/cases/1/handback", 401),
    ("POST", "/console/cases/1/resolve", 401),
    ("POST", "/console/cases/1/block", 401),
    ("POST", "/console/cases/1/unblock", 401),
    ("GET", "/console/report", 303),
    ("GET", "/console/report.csv", 303),
    ("GET", "/console/report.html", 303),
    ("GET", "/console/static/console.css", 200),
]

# Logged in, by role (GET pages; case 1 is new, so every role may look at it).
BY_ROLE = [
    ("GET", "/console/queue", {"lan": 200, "sup": 200, "root": 200}),
    ("GET", "/console/queue.json", {"lan": 200, "sup": 200, "root": 200}),
    ("GET", "/console/cases/1", {"lan": 200, "sup": 200, "root": 200}),
    ("GET", "/console/cases/1/transcript.json", {"lan": 200, "sup": 200, "root": 200}),
    ("GET", "/console/supervisor", {"lan": 403, "sup": 200, "root": 200}),
    ("GET", "/console/report", {"lan": 403, "sup": 200, "root": 200}),
    ("GET", "/console/report.csv", {"lan": 403, "sup": 200, "root": 200}),
    ("GET", "/console/report.html", {"lan": 403, "sup": 200, "root": 200}),
    ("GET", "/console/audit", {"lan": 403, "sup": 403, "root": 200}),
    ("GET", "/console/cases/999", {"lan": 404, "sup": 404, "root": 404}),
    ("GET", "/console/cases/abc", {"lan": 404, "sup": 404, "root": 404}),
    ("GET", "/console/nowhere", {"lan": 404, "sup": 404, "root": 404}),
]

POSTS = [
    "/console/logout",
    "/console/cases/1/claim",
    "/console/cases/1/reply",
    "/console/cases/1/note",
    "/console/cases/1/handback",
    "/console/cases/1/resolve",
    "/console/cases/1/block",
    "/console/cases/1/unblock",
]


def test_the_table_covers_every_route() -> None:
    declared = set()
    for route in routes():
        if isinstance(route, Mount):
            declared.add(("GET", "/console/static/console.css"))
            continue
        assert isinstance(route, Route)
        path = "/console" + route.path.replace("{case_id:int}", "1")
        declared |= {(m, path) for m in route.methods or [] if m != "HEAD"}
    assert declared == {(m, p) for m, p, _ in ANONYMOUS}


@pytest.mark.parametrize(("method", "path", "status"), ANONYMOUS)
async def test_without_login(
    client: httpx.AsyncClient, world: World, method: str, path: str, status: int
) -> None:
    case_id = await world.urgent_case()
    response = await client.request(method, path, data={"text": "x", "outcome": "advised"})
    assert response.status_code == status
    if status == 303:
        assert response.headers["location"] == "/console/login"
    case = world.store.case(case_id)
    assert case is not None and case.status == "new" and world.store.notes(case_id) == []


@pytest.mark.parametrize(("method", "path", "expected"), BY_ROLE)
@pytest.mark.parametrize("role_user", ["lan", "sup", "root"])
async def test_roles(
    client: httpx.AsyncClient,
    world: World,
    method: str,
    path: str,
    expected: dict[str, int],
    role_user: str,
) -> None:
    await world.urgent_case()
    await logged_in(client, role_user)
    response = await client.request(method, path)
    assert response.status_code == expected[role_user]
    if response.status_code == 403:
        assert "không có quyền" in response.text


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("token", ["missing", "stale", "wrong"])
async def test_csrf_is_enforced_on_every_form(
    client: httpx.AsyncClient, world: World, path: str, token: str
) -> None:
    case_id = await world.urgent_case()
    stale = await logged_in(client, "sup")
    await client.post("/console/logout", data={"csrf_token": stale})
    fresh = await logged_in(client, "sup")
    assert fresh != stale  # rotated at login
    data = {"text": "xin chào", "outcome": "advised"}
    if token != "missing":
        data["csrf_token"] = stale if token == "stale" else fresh[:-2] + "xx"
    response = await client.post(path, data=data)
    assert response.status_code == 403
    assert "CSRF" in response.text
    case = world.store.case(case_id)
    assert case is not None and case.status == "new" and world.store.notes(case_id) == []
    assert (await client.get("/console/queue")).status_code == 200  # still logged in
