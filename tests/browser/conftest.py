"""Browser tests: Debian's Chromium driven by Playwright against the app served by a real
server on 127.0.0.1, with its own fresh database and the bundled bank loaded."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from naas import create_app, db
from naas.bank_store import store_bank

from ..conftest import FAST_PASSWORD_HASH, need_service

CHROMIUM = os.environ.get("NAAS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        need_service("Chromium", f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service("Playwright", "the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class LiveServer:
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
        self.thread.join(timeout=10)


@pytest.fixture
def live_app(sqlite_template, tmp_path, bundled_bank):
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {
            "NAAS_ENV": "testing",
            "SECRET_KEY": "b" * 40,
            "NAAS_DATABASE_URL": f"sqlite:///{path}",
            "NAAS_LOGIN_LIMIT": "1000 per minute",
            "NAAS_BASE_URL": "http://127.0.0.1",
            "NAAS_PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        }
    )
    with app.app_context():
        store_bank(db.session, bundled_bank, source="bundled", actor_id=None, now=datetime.now(UTC))
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    app.extensions["naas.engine"].dispose()


@pytest.fixture(scope="session")
def axe_runner():
    """axe-core, run inside the page (it ships in the package: nothing is downloaded)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        need_service("axe", "the axe-playwright-python package is not installed")
    return Axe()


@pytest.fixture(scope="session")
def expect(browser):
    """Playwright's retrying assertions (browser first, so a missing Playwright is reported once)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def sign_in(page, base_url, email, password):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/dashboard")


def wait_until_saved(page, expect):
    """The page's status line says every change has reached the server, and none is on its way."""
    status = page.locator("#save-status")
    expect(status).to_have_attribute("data-pending", "0", timeout=15000)
    expect(status).to_contain_text("All answers saved", timeout=15000)
