"""Browser tests: the real app on a local port, driven by Debian's Chromium through Playwright.

Without /usr/bin/chromium they are skipped with a message saying how to enable them; CI sets
``TRACKER_REQUIRE_BROWSER=1`` so that a missing browser fails the run instead.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import clear_database, make_app
from tracker.cli.seeding import load_demo, load_plan
from tracker.core.extensions import db

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# WCAG 2.1 A and AA, the level the product brief asks for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# A page closed while werkzeug's test server still streams it a static file (the favicon the
# browser asks for by itself) leaves that file for the garbage collector: harmless here, and
# nothing of the app's own.
STATIC_FILE_LEFT_OPEN = (
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*/tracker/static/[^']*'"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.filterwarnings(STATIC_FILE_LEFT_OPEN))


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}: install Debian's Chromium "
            "(sudo apt-get install -y chromium) to run the browser tests"
        )
        if os.environ.get("TRACKER_REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " (TRACKER_REQUIRE_BROWSER is set)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    """The app served by werkzeug in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def live_app(database_url, tmp_path):
    """The ICLEI plan with the demo accounts, hours and history; CSRF on, as in production."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        plan = load_plan(db.session).plan
        load_demo(db.session, plan, date.fromisoformat(app.config["TODAY"]))
        db.session.commit()
    yield app
    clear_database(app)


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    # Let the browser finish what it asked for (icons, charts) before the server goes away.
    # A page that never settles is closed all the same.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def assert_accessible(page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    assert not violations, f"{page.url}:\n" + results.generate_report()
