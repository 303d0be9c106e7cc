"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's ``live_server``.

Never ``playwright install`` (it downloads a browser and fails on these machines): we launch /usr/bin/chromium
(design/TESTING.md). Every test under tests/e2e/ is marked ``browser``; screenshots land in
``test-artifacts/screenshots/`` at the repository root (ignored by git, kept by CI) and are meant to be looked at.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop (TESTING.md)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
TABLET = {"width": 1024, "height": 768}  # the chair-side tablet, landscape
PHONE = {"width": 390, "height": 844}

E2E_DIR = Path(__file__).resolve().parent


class SerialLiveServer(WSGIServer):
    """A live server that handles one request at a time (Django then closes each connection).

    On SQLite the test database lives in memory and the live server's request threads all share the test's one
    connection: two requests at the same moment (an htmx re-check fired by a field's change event while the form is
    submitted) collide with "cannot start a transaction within a transaction". A browser never needs two answers at
    once, so the SQLite pass serialises them; the PostgreSQL pass keeps Django's threaded server."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialLiveServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (so ``-m "not browser"`` leaves them out)."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, pointed at Debian's Chromium (headless, no network chatter)."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        message = (
            f"BROWSER TESTS NOT RUN: {CHROMIUM} is missing. Chromium must be installed for the browser tests: "
            "`apt-get install -y chromium` (do not use `playwright install`)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": TABLET, "locale": "en-US"}


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_errors(page: Any) -> list[str]:
    """Collect uncaught script errors and CSP refusals a page reports; the list fills as the page runs."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message: Any) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            problems.append(f"CSP: {text}")

    page.on("console", on_console)
    return problems


@pytest.fixture(autouse=True)
def _page_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose page threw a script error or had something refused by the Content Security Policy."""
    if "page" not in request.fixturenames:
        yield
        return
    problems = watch_errors(request.getfixturevalue("page"))
    yield
    assert problems == [], "the browser reported problems:\n" + "\n".join(problems)


def totp_code(key: bytes, drift: int = 0) -> str:
    """The 6-digit code an authenticator app would show now for ``key`` (django-otp's own algorithm)."""
    from django_otp.oath import totp

    return f"{totp(key, step=30, t0=0, digits=6, drift=drift):06d}"


def next_unused_totp_code(user: Any, key: bytes) -> str:
    """A code the user's device will accept now although it has just accepted one: a window after the last one used
    (django-otp refuses reuse) and inside the device's tolerance around its learned drift (django-otp moves the drift
    when a code is matched one step off, which happens when a submission crosses a 30 s boundary). Waits for the next
    window when no such code exists yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    while True:
        window = int(time.time() // device.step)
        low = max(window + device.drift - device.tolerance, device.last_t + 1)
        high = window + device.drift + device.tolerance
        if low <= high:
            chosen = min(max(low, window + device.drift), high)  # the middle of the range when it is free
            return totp_code(key, drift=chosen - window)
        time.sleep(0.5)


def give_authenticator(user: Any) -> bytes:
    """A confirmed TOTP device with a known secret, made through the accounts service; returns the secret."""
    from ketaclinic.accounts import services

    key_hex = secrets.token_hex(20)
    services.create_totp_device_with_key(user=user, key_hex=key_hex)
    return bytes.fromhex(key_hex)


def password_step(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


CODE_LABEL = "6-digit code from your authenticator app"


def sign_in(page: Any, base_url: str, user: Any, password: str, key: bytes | None) -> None:
    """Sign in through the real pages (password, then the one-time code when ``key`` is given); ends on the
    dashboard."""
    from playwright.sync_api import expect

    password_step(page, base_url, user.username, password)
    if key is not None:
        expect(page.get_by_role("heading", name="Enter your one-time code")).to_be_visible()
        page.get_by_label(CODE_LABEL).fill(totp_code(key))
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Good to see you"))).to_be_visible()


def assert_fits_width(page: Any) -> None:
    """Nothing on the page is wider than the viewport (no sideways scrolling on a tablet or phone)."""
    report = page.evaluate(_OVERFLOW_JS)
    assert report["scroll"] <= report["client"], (
        f"page is {report['scroll']}px wide in a {report['client']}px viewport ({page.url}); "
        f"too wide: {', '.join(report['culprits']) or 'unknown'}"
    )


# The outermost elements that are too wide while their parent fits: where a fix belongs.
_OVERFLOW_JS = """() => {
  const client = document.documentElement.clientWidth;
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const parent = el.parentElement;
    if (el.getBoundingClientRect().right > client + 1 && parent && parent.getBoundingClientRect().right <= client + 1) {
      const classes = el.className ? "." + String(el.className).trim().split(/\\s+/).join(".") : "";
      culprits.push(el.tagName.toLowerCase() + classes + ` (${Math.round(el.getBoundingClientRect().width)}px)`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, client, culprits: culprits.slice(0, 5)};
}"""
