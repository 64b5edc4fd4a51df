"""Blocking the person of a case from the console: supervisors only, CSRF, audit, urgent passes."""

from __future__ import annotations

from typing import Any

import httpx

from bot.messages import IncomingMessage
from tests.console.conftest import World, logged_in


def person_of(world: World, case_id: int) -> str:
    case = world.store.case(case_id)
    assert case is not None and case.person_id
    return case.person_id


async def replies(world: World, text: str, platform_id: str = "42") -> list[str]:
    return [m.text for m in await world.core.handle(IncomingMessage("telegram", platform_id, text))]


def urgent_when_it_says_chet(world: World) -> None:
    async def parse_message(text: str) -> dict[str, Any]:
        return {"text": text, "intent": {"name": "ask_scam"}, "safety": {"urgent": "chết" in text}}

    world.core.engine.agent.parse_message = parse_message  # type: ignore[attr-defined]


async def test_a_supervisor_blocks_and_unblocks_the_person_of_a_case(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    person = person_of(world, case_id)
    token = await logged_in(client, "sup")
    page = await client.get(f"/console/cases/{case_id}")
    assert "Chặn người hỏi" in page.text and f"/console/cases/{case_id}/block" in page.text

    done = await client.post(
        f"/console/cases/{case_id}/block",
        data={"csrf_token": token, "days": "7", "reason": "gửi tin rác liên tục"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/console/cases/{case_id}"
    block = world.store.block_of(person)
    assert block is not None and (block.blocked_by, block.reason) == ("sup", "gửi tin rác liên tục")
    page = await client.get(f"/console/cases/{case_id}")
    assert "Đã chặn người hỏi" in page.text and "đang bị chặn đến" in page.text
    assert "Bỏ chặn" in page.text

    urgent_when_it_says_chet(world)
    blocked_reply = world.core.content.say("blocked", None)
    assert await replies(world, "chị ơi") == [blocked_reply]
    assert await replies(world, "em muốn chết") == ["echo"]  # urgent always gets through
    assert await replies(world, "chị ơi", platform_id="77") == ["echo"]  # only that person

    undone = await client.post(f"/console/cases/{case_id}/unblock", data={"csrf_token": token})
    assert undone.status_code == 303 and not world.store.is_blocked(person)
    assert "Đã bỏ chặn" in (await client.get(f"/console/cases/{case_id}")).text
    assert await replies(world, "chị ơi") == ["echo"]

    again = await client.post(f"/console/cases/{case_id}/unblock", data={"csrf_token": token})
    assert again.status_code == 303
    assert "không bị chặn" in (await client.get(f"/console/cases/{case_id}")).text

    audit = [(e.operator, e.action, e.detail) for e in world.store.audit_entries(case_id=case_id)]
    assert ("sup", "block", "7 days") in audit and ("sup", "unblock", "") in audit
    assert [a for _, a, _ in audit].count("unblock") == 1  # nothing changed the second time
    assert all("tin rác" not in detail for _, _, detail in audit)


async def test_an_admin_may_block_a_counsellor_may_not(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    person = person_of(world, case_id)
    token = await logged_in(client, "lan")
    page = await client.get(f"/console/cases/{case_id}")
    assert page.status_code == 200 and "/block" not in page.text
    refused = await client.post(
        f"/console/cases/{case_id}/block", data={"csrf_token": token, "days": "7"}
    )
    assert refused.status_code == 403 and not world.store.is_blocked(person)

    world.store.block(person, "sup", days=1)
    assert "đang bị chặn đến" in (await client.get(f"/console/cases/{case_id}")).text
    refused = await client.post(f"/console/cases/{case_id}/unblock", data={"csrf_token": token})
    assert refused.status_code == 403 and world.store.is_blocked(person)

    token = await logged_in(client, "root")
    done = await client.post(f"/console/cases/{case_id}/unblock", data={"csrf_token": token})
    assert done.status_code == 303 and not world.store.is_blocked(person)


async def test_bad_input_blocks_nobody(client: httpx.AsyncClient, world: World) -> None:
    case_id = await world.urgent_case()
    person = person_of(world, case_id)
    token = await logged_in(client, "sup")
    for data in (
        {"days": "2"},
        {"days": ""},
        {"days": "-1"},
        {"days": "7", "reason": "x" * 201},
        {"days": "7"},  # no CSRF token below
    ):
        form = {"csrf_token": token, **data} if data != {"days": "7"} else data
        response = await client.post(f"/console/cases/{case_id}/block", data=form)
        assert response.status_code in (400, 403), data
        assert not world.store.is_blocked(person)
    missing = await client.post("/console/cases/999/block", data={"csrf_token": token, "days": "7"})
    assert missing.status_code == 404


async def test_an_anonymised_case_cannot_be_blocked(
    client: httpx.AsyncClient, world: World
) -> None:
    case_id = await world.urgent_case()
    world.store.forget_person(person_of(world, case_id))
    token = await logged_in(client, "sup")
    page = await client.get(f"/console/cases/{case_id}")
    assert "/block" not in page.text
    for action in ("block", "unblock"):
        response = await client.post(
            f"/console/cases/{case_id}/{action}", data={"csrf_token": token, "days": "7"}
        )
        assert response.status_code == 409 and "ẩn danh" in response.text
