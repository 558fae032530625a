"""Concurrent writers: the database, not luck, keeps the history free of overlaps."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.factories import committed_model_and_key


async def _overlapping_pairs(engine, model_id: str) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text("""
            SELECT count(*) FROM prices a JOIN prices b
              ON a.model_id = b.model_id AND a.id < b.id
             AND tstzrange(a.valid_from, a.valid_to, '[)') && tstzrange(b.valid_from, b.valid_to, '[)')
             AND tstzrange(a.recorded_at, a.superseded_at, '[)') && tstzrange(b.recorded_at, b.superseded_at, '[)')
            WHERE a.model_id = :model"""), {"model": model_id})


async def test_30_concurrent_identical_periods_give_one_201_and_29_409s_and_one_row(committed_client, committed_engine):
    model_id, headers = await committed_model_and_key(committed_engine, "race")
    body = {"valid_from": "2026-06-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "race"}
    responses = await asyncio.gather(*[
        committed_client.post(f"/v1/models/{model_id}/prices", json=body, headers=headers) for _ in range(30)
    ])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 29, statuses
    history = (await committed_client.get(f"/v1/models/{model_id}/prices")).json()["data"]
    assert len(history) == 1


async def test_50_concurrent_conflicting_periods_leave_no_overlap(committed_client, committed_engine):
    model_id, headers = await committed_model_and_key(committed_engine, "race")
    url = f"/v1/models/{model_id}/prices"
    seed = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "race"}
    assert (await committed_client.post(url, json=seed, headers=headers)).status_code == 201
    bodies = [
        {**seed, "valid_from": f"2026-{1 + n % 12:02d}-{1 + n % 27:02d}T{n % 24:02d}:00:00Z",
         "valid_to": None if n % 3 else f"2027-{1 + n % 12:02d}-01T00:00:00Z", "input_per_mtok": str(n)}
        for n in range(50)
    ]
    responses = await asyncio.gather(*[committed_client.post(url, json=b, headers=headers) for b in bodies])
    statuses = {r.status_code for r in responses}
    assert statuses <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert 201 in statuses
    assert await _overlapping_pairs(committed_engine, model_id) == 0
