"""What delivering webhooks through a job queue (procrastinate) would cost the database, beside the outbox.

Run: `pip install procrastinate` into the environment (it is not a dependency of the service), then
`python -m bench.webhooks_job_queue` with BENCH_DATABASE_URL naming a PostgreSQL server it may create a scratch
database on (default: the machine's PostgreSQL on 127.0.0.1:5432). It prints figures; it asserts nothing.

A burst of 1,000 changes to 100 subscriptions: the outbox holds 1,000 rows; a job per change and subscription,
under the subscription's lock so that order holds, is 100,000 jobs. Measured: the deferring, and procrastinate's
own fetch-and-finish per job (database side only, no HTTP), with those 100,000 jobs waiting.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import os
import time

import asyncpg

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def measure(server: str) -> None:
    schema = (importlib.resources.files("procrastinate") / "sql" / "schema.sql").read_text()
    admin = await asyncpg.connect(server)
    await admin.execute("DROP DATABASE IF EXISTS webhooks_job_queue_bench")
    await admin.execute("CREATE DATABASE webhooks_job_queue_bench")
    connection = await asyncpg.connect(server.rsplit("/", 1)[0] + "/webhooks_job_queue_bench")
    try:
        await connection.execute(schema)
        await connection.execute("CREATE TABLE changes (seq bigint PRIMARY KEY, object jsonb)")
        worker = await connection.fetchval("SELECT procrastinate_register_worker_v1()")
        row = json.dumps({"id": "provider-x", "name": "bench", "created_at": "2026-12-04T00:00:00Z"})
        started = time.perf_counter()
        async with connection.transaction():
            await connection.executemany("INSERT INTO changes VALUES ($1, $2::jsonb)", [(n, row) for n in range(1000)])
        outbox = time.perf_counter() - started
        started = time.perf_counter()
        for seq in range(1000):
            jobs = [("webhooks", "deliver", 0, f"sub-{sub}", None, json.dumps({"sub": sub, "seq": seq}), None)
                    for sub in range(100)]
            await connection.execute("SELECT procrastinate_defer_jobs_v1($1::procrastinate_job_to_defer_v1[])", jobs)
        deferred = time.perf_counter() - started
        size = await connection.fetchval("SELECT pg_total_relation_size('procrastinate_jobs')")
        started, done = time.perf_counter(), 0
        for _ in range(2000):
            job = await connection.fetchrow("SELECT id FROM procrastinate_fetch_job_v2(NULL, $1)", worker)
            await connection.execute("SELECT procrastinate_finish_job_v1($1, 'succeeded', true)", job["id"])
            done += 1
        fetched = time.perf_counter() - started
        print(f"outbox: 1,000 change rows in {outbox * 1000:.0f} ms; as jobs: 100,000 deferred in {deferred:.1f} s "
              f"({size / 1e6:.0f} MB with indexes); fetch and finish: {fetched / done * 1000:.2f} ms a job")
    finally:
        await connection.close()
        await admin.execute("DROP DATABASE webhooks_job_queue_bench")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(measure(SERVER))
