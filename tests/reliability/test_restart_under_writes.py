"""PostgreSQL stopped and started again under write load: every answer is a success or a 503 with Retry-After,
never a 500, and the snapshot listener reconnects cleanly (issue 15, item 17)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.keys import create_key
from service.catalog.seed import load_seed_if_empty
from service.db.embedded import EmbeddedPostgres, url_for_port
from service.db.engine import make_engine, make_sessionmaker
from service.db.migrations import upgrade_in_thread
from service.http.app import create_app
from service.settings import Settings
from service.snapshot.keeper import SnapshotKeeper

UNLIMITED = "1000000/minute"


async def test_writes_across_a_postgres_restart_get_503s_never_500s(tmp_path):
    server = EmbeddedPostgres(tmp_path)
    port = server.start()
    url = url_for_port(port)
    engine = make_engine(url)
    keeper = None
    try:
        upgrade_in_thread(url)
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await load_seed_if_empty(session)
            _, write_key = await create_key(session, "w", ["catalog:write"])
        writer = {"Authorization": f"Bearer {write_key}"}
        app = create_app(Settings(database_url=url, rate_limit_public=UNLIMITED, rate_limit_feeds=UNLIMITED,
                                  rate_limit_write=UNLIMITED, rate_limit_auth_failures=UNLIMITED))
        # create_app put the service's JSON handler on the root logger, in place of pytest's: listen for ourselves.
        seen: list[str] = []
        listening = logging.Handler()
        listening.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger().addHandler(listening)
        keeper = SnapshotKeeper(url, make_sessionmaker(engine))
        await keeper.start()
        app.state.engine, app.state.sessionmaker, app.state.snapshot_keeper = engine, make_sessionmaker(engine), keeper
        answers: Counter[int] = Counter()
        bad: list[str] = []
        stop = asyncio.Event()

        async def write_in_a_loop(client: httpx.AsyncClient, worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                headers = {**writer, "Idempotency-Key": f"w{worker}-{n}"} if n % 2 else writer
                response = await client.post("/v1/providers", json={"id": f"load-{worker}-{n}", "name": "x"},
                                             headers=headers)
                answers[response.status_code] += 1
                if response.status_code not in (201, 503) or (
                        response.status_code == 503 and not response.headers.get("retry-after")):
                    bad.append(f"{response.status_code} {response.text[:200]}")
                await asyncio.sleep(0)

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            writers = [asyncio.create_task(write_in_a_loop(client, worker)) for worker in range(6)]
            await asyncio.sleep(0.5)
            for _ in range(2):
                await asyncio.to_thread(server.stop)
                await asyncio.sleep(0.3)
                await asyncio.to_thread(server.start, port=port)
                await asyncio.sleep(1.0)
            for _ in range(100):  # the listener reconnects on its own; the writers keep writing meanwhile
                if keeper.connected:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*writers)
        print(f"\nanswers by status across two restarts: {dict(answers)}")
        assert not bad, bad[:5]
        assert answers[503] > 0 and answers[201] > 0
        assert keeper.connected
        assert [line for line in seen if "reconnected" in line]
        assert not [line for line in seen if "unhandled error" in line]
        # The listener only ever lost its connection and reconnected: no other failure, no driver text.
        listener = [line for line in seen if "snapshot listener" in line]
        assert all("lost its database connection" in line or "reconnected" in line for line in listener), listener
        logging.getLogger().removeHandler(listening)
    finally:
        if keeper:
            await keeper.stop()
        await engine.dispose()
        server.stop()
