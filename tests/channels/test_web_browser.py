"""The web chat in Debian's Chromium (headless, through Playwright), against the real bot."""

import socket
import threading
import time
from typing import Any, Iterator

import pytest
import uvicorn

from bot.app import create_app
from bot.core import Core
from bot.settings import Settings
from tests.helpers.browser import CHROMIUM, skip_reason

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason())),
]
REPLY_TIMEOUT_MS = 60_000


@pytest.fixture
def base_url(settings: Settings, real_core: Core) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a random port) in a background thread."""
    app = create_app(settings, real_core)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, ws="none", lifespan="on", access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 800}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(REPLY_TIMEOUT_MS)
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        yield page
        browser.close()


def send(page: Any, text: str) -> None:
    """Type a message, press Enter and wait for the bot's answer."""
    before = page.locator(".msg.bot").count()
    page.fill("#message", text)
    page.press("#message", "Enter")
    page.locator(".msg.bot").nth(before).wait_for()  # (the CSP forbids wait_for_function)


def test_ask_follow_up_urgent_and_quick_exit(page: Any, base_url: str) -> None:
    page.goto(base_url + "/health")  # the page the person was on before the chat
    page.goto(base_url + "/")
    assert page.locator("#quick-exit").is_visible()
    assert page.locator("a[href='tel:111']").first.is_visible()

    send(page, "chào ad")
    assert page.locator(".msg.me").first.inner_text() == "chào ad"
    assert page.locator(".msg.bot").first.inner_text().strip()

    send(page, "con tôi bị bắt nạt trên mạng thì làm sao")
    choices = page.locator(".choices button")
    if choices.count():  # follow-ups are buttons under the last answer
        title = choices.first.inner_text()
        before = page.locator(".msg.bot").count()
        choices.first.click()
        page.locator(".msg.bot").nth(before).wait_for()
        assert page.locator(".msg.me").last.inner_text() == title

    send(page, "em muốn chết")
    answers = page.locator(".msg.bot").all_inner_texts()
    assert any("111" in text for text in answers[-3:])
    stored = page.evaluate("window.sessionStorage.getItem('donghanh-chat-2')")
    assert stored and "em muốn chết" in stored

    page.click("#quick-exit")
    page.wait_for_url(base_url + "/thoi-tiet")
    assert page.evaluate("window.sessionStorage.length") == 0
    assert page.locator(".msg").count() == 0
    page.go_back()  # Back skips the chat: quick exit replaced it in the history
    assert page.url == base_url + "/health"
    assert page.errors == []  # no CSP violation, no script error


def test_clear_starts_a_new_conversation(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    send(page, "chào")
    first = page.evaluate("JSON.parse(sessionStorage.getItem('donghanh-chat-2')).sender")
    page.reload()
    assert page.locator(".msg.me").count() == 1  # a reload keeps the chat for this tab
    page.click("#clear")
    assert page.locator(".msg").count() == 0
    assert page.evaluate("sessionStorage.getItem('donghanh-chat-2')") is not None
    send(page, "chào lại")  # a new conversation asks the server for a new id
    second = page.evaluate("JSON.parse(sessionStorage.getItem('donghanh-chat-2')).sender")
    assert second and second != first and len(second) > 32  # signed by the server
    assert page.errors == []
