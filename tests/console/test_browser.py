"""The console in a real browser: Debian's Chromium driven by Playwright against a local uvicorn.

Log in, see an urgent case arrive in the queue (live update), claim it, reply, resolve; the
screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any, Coroutine, Iterator, TypeVar

import pytest

from bot.settings import Settings
from tests.console.conftest import PASSWORD, World, make_world, mounted

CHROMIUM = Path("/usr/bin/chromium")
T = TypeVar("T")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="browser tests skipped: /usr/bin/chromium is missing"
    ),
]


def in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end in its own thread (Playwright's sync API owns this one's loop)."""
    box: list[T] = []
    worker = threading.Thread(target=lambda: box.append(asyncio.run(coro)))
    worker.start()
    worker.join(timeout=30)
    return box[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, World]]:
    import uvicorn

    world = make_world(settings, tmp_path)
    port = free_port()
    config = uvicorn.Config(
        mounted(world), host="127.0.0.1", port=port, ws="none", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/console", world
    server.should_exit = True
    thread.join(timeout=10)


def test_claim_reply_resolve_in_chromium(served: tuple[str, World]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, world = served
    ARTIFACTS.mkdir(exist_ok=True)
    in_thread(world.urgent_case("7", "fallback"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Hàng chờ")

        urgent = in_thread(world.urgent_case("8", "self_harm"))  # arrives while the page is open
        row = page.locator(f"#queue-rows a[href$='/cases/{urgent}']")
        expect(row).to_be_visible(timeout=15_000)  # the queue polls every few seconds
        first_row = page.locator("#queue-rows tr").first
        expect(first_row).to_contain_text("Tự hại")  # most urgent first
        page.screenshot(path=str(ARTIFACTS / "console-queue.png"), full_page=True)

        row.click()
        expect(page.locator("h1")).to_contain_text(f"Ca #{urgent}")
        page.click("button:has-text('Nhận ca')")
        expect(page.locator("p.ok")).to_contain_text("Bạn đã nhận ca")
        page.fill("#reply-text", "Chào em, chị là Lan. Em có đang an toàn không?")
        page.click("form.reply button[type=submit]")
        expect(page.locator("p.ok")).to_contain_text("Đã gửi tới người hỏi")
        expect(page.locator("#transcript")).to_contain_text("Tư vấn viên lan")
        page.screenshot(path=str(ARTIFACTS / "console-case.png"), full_page=True)

        page.select_option("#outcome", "referred_111")
        page.click("button:has-text('Đóng ca')")
        expect(page.locator("p.ok")).to_contain_text("Đã đóng ca")
        page.screenshot(path=str(ARTIFACTS / "console-resolved.png"), full_page=True)
        browser.close()

    case = world.store.case(urgent)
    assert case is not None and (case.status, case.outcome) == ("resolved", "referred_111")
    assert world.sender.sent[-2][1] == "Chào em, chị là Lan. Em có đang an toàn không?"
    assert (ARTIFACTS / "console-case.png").stat().st_size > 10_000
