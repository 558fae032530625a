"""A real HTTP server for the browser (uvicorn in a thread, on the suite's migrated and seeded database) and a
headless Debian chromium driven by Playwright's async API (its sync API marks the thread's event loop as
running between calls, which breaks pytest-asyncio's session loop)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.catalog.seed import load_seed_if_empty
from service.db import migrations
from service.db.engine import make_engine
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


LARGE_PROVIDERS, LARGE_MODELS = 50, 10_000


def large_model_id(number: int) -> str:
    """The id of generated model `number` (1 to 10,000): `vendor22-model-04321`, of provider number % 50 + 1."""
    return f"vendor{number % LARGE_PROVIDERS + 1:02d}-model-{number:05d}"


@pytest.fixture(scope="module")
def large_catalog_url(make_database: Callable[[], str]) -> Iterator[str]:
    """The app over HTTP on a database of its own: the seed catalog and 10,000 more models of 50 providers, each
    with one open-ended price, inserted in bulk; the six-model databases of the other tests stay as they are.

    It keeps the app's own garbage-collector settings while it serves, as a server process does: given back
    to this process, a collection of the 10,000-model snapshot's objects (and the suite's) takes most of a
    second, in whichever thread it falls, and would be timed as the page's. The module's end restores them."""
    url = make_database()
    migrations.upgrade(url)
    asyncio.run(_fill_large_catalog(url))
    with _served(url, app_gc=True) as served:  # its snapshot is loaded at its start, with every model in it
        _warm_up(served)
        yield served


def _warm_up(url: str) -> None:
    """The first requests a process answers also build its encoders and compile its queries, once; a server in
    service has long done so, so the page's time is measured on one that has (a fresh process adds about a
    third of a second on this machine)."""
    usage = {"input_tokens": 1, "output_tokens": 1, "at": "2026-05-10"}
    with httpx.Client(base_url=url, timeout=30) as client:
        first = client.get("/v1/models", params={"limit": 2})
        first.raise_for_status()
        models = [model["id"] for model in first.json()["data"]]
        for path, body in [("/v1/estimate/compare", {"baseline": models[0], "models": models[1:], **usage}),
                           ("/v1/estimate/monthly/models", {"models": models, "sessions_per_month": 1, **usage})]:
            client.post(path, json=body).raise_for_status()


# One statement a table. Model n belongs to provider n % 50 + 1 and costs (n % 97 + 1) / 10 dollars per 1M input
# tokens and four times that per 1M output tokens, from 2026-01-01 on. Each names its rows (table, change kind,
# statement, which rows it made).
_LARGE_CATALOG = [
    ("providers", "provider", f"""
        INSERT INTO providers (id, name)
        SELECT format('vendor%s', lpad(p::text, 2, '0')), format('Vendor %s', p)
        FROM generate_series(1, {LARGE_PROVIDERS}) AS p""", "id LIKE 'vendor%'"),
    ("models", "model", f"""
        INSERT INTO models (id, provider_id, name, open_weights)
        SELECT format('vendor%s-model-%s', lpad((n % {LARGE_PROVIDERS} + 1)::text, 2, '0'), lpad(n::text, 5, '0')),
               format('vendor%s', lpad((n % {LARGE_PROVIDERS} + 1)::text, 2, '0')),
               format('Vendor %s Model %s', n % {LARGE_PROVIDERS} + 1, n), false
        FROM generate_series(1, {LARGE_MODELS}) AS n""", "id LIKE 'vendor%'"),
    ("prices", "price", """
        INSERT INTO prices (model_id, valid_from, input_per_mtok, output_per_mtok, source)
        SELECT id, '2026-01-01T00:00:00Z', rate, rate * 4, 'page scale test'
        FROM (SELECT id, (substring(id from '[0-9]+$')::int % 97 + 1) / 10.0 AS rate
              FROM models WHERE id LIKE 'vendor%') AS generated""", "model_id LIKE 'vendor%'"),
]


async def _fill_large_catalog(url: str) -> None:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        async with engine.begin() as connection:
            await load_seed_if_empty(AsyncSession(bind=connection))
            for table, kind, insert, made in _LARGE_CATALOG:
                # The change log's row trigger takes the next number from a one-row counter, row by row: 10,000
                # updates of one row are slow. The rows enter the log in one statement instead, as the migration
                # that made the log entered the rows already there.
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_log_change"))
                await connection.execute(text(insert))
                await connection.execute(text(f"""
                    INSERT INTO catalog_changes (seq, kind, object)
                    SELECT (SELECT last_seq FROM change_counter) + row_number() OVER (ORDER BY id),
                           '{kind}.created', to_jsonb(x)
                    FROM {table} x WHERE {made}"""))
                await connection.execute(text(
                    "UPDATE change_counter SET last_seq = (SELECT max(seq) FROM catalog_changes)"))
                await connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_log_change"))
        print(f"\n{LARGE_MODELS} models inserted in {time.perf_counter() - started:.2f} s")
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _served(database_url: str, *, app_gc: bool = False) -> Iterator[str]:
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
    # Traffic comes once the server has settled, as after a deployment's readiness probe: its snapshot listener
    # is connected (having read the catalog once more) and its pool holds a database connection. A page loaded
    # sooner would be timed waiting for both.
    while not app.state.snapshot_keeper.connected:
        if time.monotonic() > deadline:
            pytest.fail("the test server's snapshot listener never connected (see the log above)")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    httpx.get(f"{url}/health/ready", timeout=10).raise_for_status()
    # The app's startup tunes the garbage collector for a long-lived server process; this process is the test
    # run, so the rest of the suite gets its collector back as it was (at once, or when this server stops).
    if not app_gc:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        gc.unfreeze()
        gc.set_threshold(*threshold)


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
