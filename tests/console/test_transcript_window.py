"""Who reads a case's conversation, and which part: the holder while holding it, supervisors by
role, and only the case's time window; the holder is told when the person deleted their data."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import httpx

from tests.console.conftest import World, logged_in


def now() -> datetime:
    return datetime.now(timezone.utc)


async def case_with_window(world: World) -> tuple[int, str]:
    """A person writes twice, then asks for help; the context packet holds only the second."""
    person = await world.person_writes("chuyện cũ tuần trước")
    time.sleep(0.01)
    started = time.time()
    await world.person_writes("em đang sợ lắm")
    world.clock.now = now()
    case = world.store.open_escalation(
        person_id=person, channel="telegram", priority="self_harm", reason="urgent",
        context={"last_messages": [{"from": "person", "text": "em đang sợ lắm", "time": started}]},
    ).id  # fmt: skip
    return case, person


async def test_a_new_case_shows_its_context_but_not_the_conversation(
    client: httpx.AsyncClient, world: World
) -> None:
    case, _ = await case_with_window(world)
    await logged_in(client, "lan")
    page = (await client.get(f"/console/cases/{case}")).text
    assert "em đang sợ lắm" in page  # the context packet: what the person was told is read
    assert "chuyện cũ tuần trước" not in page
    live = (await client.get(f"/console/cases/{case}/transcript.json")).json()
    assert "em đang sợ lắm" not in live["html"]


async def test_the_holder_reads_only_the_cases_window(
    client: httpx.AsyncClient, world: World
) -> None:
    case, _ = await case_with_window(world)
    token = await logged_in(client, "lan")
    await client.post(f"/console/cases/{case}/claim", data={"csrf_token": token})
    await world.person_writes("chị ơi")
    page = (await client.get(f"/console/cases/{case}")).text
    assert "em đang sợ lắm" in page and "chị ơi" in page
    assert "chuyện cũ tuần trước" not in page  # before the case: not the counsellor's to read
    live = (await client.get(f"/console/cases/{case}/transcript.json")).json()
    assert "chị ơi" in live["html"] and "chuyện cũ tuần trước" not in live["html"]


async def test_after_resolving_the_counsellor_reads_no_more(
    client: httpx.AsyncClient, world: World
) -> None:
    case, _ = await case_with_window(world)
    token = await logged_in(client, "lan")
    await client.post(f"/console/cases/{case}/claim", data={"csrf_token": token})
    await client.post(f"/console/cases/{case}/reply", data={"csrf_token": token, "text": "Chị đây"})
    world.clock.now = now()
    done = await client.post(
        f"/console/cases/{case}/resolve", data={"csrf_token": token, "outcome": "advised"}
    )
    assert done.status_code == 303
    time.sleep(0.01)
    await world.person_writes("chuyện khác hôm sau")  # the bot answers; unrelated to the case
    page = (await client.get(f"/console/cases/{case}")).text
    assert "em đang sợ lắm" not in page.split("Thông tin ca")[0]  # no transcript any more
    assert "chuyện khác hôm sau" not in page
    live = (await client.get(f"/console/cases/{case}/transcript.json")).json()
    assert "em đang sợ lắm" not in live["html"] and "chuyện khác hôm sau" not in live["html"]


async def test_a_supervisor_reads_a_resolved_case_up_to_its_resolution(
    client: httpx.AsyncClient, world: World
) -> None:
    case, _ = await case_with_window(world)
    assert world.store.claim(case, "lan")
    world.clock.now = now()
    assert world.store.resolve(case, "lan", "advised")
    time.sleep(0.01)
    await world.person_writes("chuyện khác hôm sau")
    await logged_in(client, "sup")
    page = (await client.get(f"/console/cases/{case}")).text
    assert "em đang sợ lắm" in page
    assert "chuyện khác hôm sau" not in page and "chuyện cũ tuần trước" not in page


async def test_the_holder_is_told_when_the_person_deletes_their_data(
    client: httpx.AsyncClient, world: World
) -> None:
    case, person = await case_with_window(world)
    token = await logged_in(client, "lan")
    await client.post(f"/console/cases/{case}/claim", data={"csrf_token": token})
    world.store.forget_person(person)
    page = (await client.get(f"/console/cases/{case}")).text
    assert "đã yêu cầu xóa dữ liệu (/xoa)" in page
    live = (await client.get(f"/console/cases/{case}/transcript.json")).json()
    assert "đã yêu cầu xóa dữ liệu (/xoa)" in live["html"]
    queue = (await client.get("/console/queue.json")).json()
    assert "đã xóa" in queue["html"]
