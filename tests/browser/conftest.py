"""Browser fixtures: the real app on a real HTTP server over the sandbox seed, driven by Debian's Chromium."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ccms_graph.web import create_app
from seed import sandbox
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def seeded(session_graph):
    """The sandbox seed, loaded once per module (the browser tests read and add to it; they never clear it)."""
    sandbox.load(session_graph, PASSWORD)
    return session_graph


@pytest.fixture(scope="module")
def live_server(seeded):
    """The real app (real Neo4j, CSRF, CSP) served over HTTP on a free local port in a background thread."""
    app = create_app({}, graph=seeded)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Playwright's own download is unreachable)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own browser context (its own cookies: one signed-in user each)."""
    contexts = []

    def make(width: int = 1400, height: int = 900):
        ctx = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                  accept_downloads=True)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
        return page

    console_errors: list[str] = []
    make.console_errors = console_errors
    yield make
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot of this step as a test artifact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, acknowledging the system-use banner, and wait for the desktop."""
    from playwright.sync_api import expect

    page.goto("/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("I have read and acknowledge the system use notification").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
