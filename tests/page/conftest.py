"""A real HTTP server for the browser (uvicorn in a thread, on the suite's migrated and seeded database) and a
headless Debian chromium driven by Playwright's async API (its sync API marks the thread's event loop as
running between calls, which breaks pytest-asyncio's session loop)."""

from __future__ import annotations

import contextlib
import gc
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from service.http.app import create_app
from service.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="session")
def live_url(database_url: str, engine: AsyncEngine) -> Iterator[str]:
    """The app served over HTTP on a free port; `engine` is requested only so the seed catalog is committed."""
    with _served(database_url) as url:
        yield url


@pytest.fixture(scope="session")
def committed_live_url(committed_database_url: str) -> Iterator[str]:
    """The app over HTTP on the suite's committed database (no seed), for tests that add catalog rows for real:
    the seeded database of `live_url` stays exactly the six models the other browser tests expect."""
    with _served(committed_database_url) as url:
        yield url


@contextlib.contextmanager
def _served(database_url: str) -> Iterator[str]:
    unlimited = "1000000/minute"
    app = create_app(Settings(database_url=database_url, load_seed=False, rate_limit_public=unlimited,
                              rate_limit_feeds=unlimited, rate_limit_write=unlimited))
    # Bind first and hand uvicorn the socket, so no other process can take the port in between.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", loop="asyncio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="estimator-uvicorn", daemon=True)
    threshold = gc.get_threshold()
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start (see the log above)")
        time.sleep(0.05)
    # The app's startup tunes the garbage collector for a long-lived server process; this process is the test
    # run, so the rest of the suite gets its collector back as it was.
    gc.unfreeze()
    gc.set_threshold(*threshold)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    # Never skipped: a missing browser is a broken test environment, and CI installs it before the tests.
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get update && apt-get install -y chromium` "
                    "(never `playwright install`)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: install the dev extras")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser, live_url: str) -> AsyncIterator[object]:
    """A fresh browser context per test (no shared URL state or cache), desktop-sized; closed afterwards."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=live_url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy refusals; the browser's own "Failed to load resource"
    # lines for the expected 404 and 422 answers are not errors of the page.
    page.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
            and errors.append(message.text))
    yield page
    await context.close()
    assert not errors, f"errors on the page: {errors}"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
