"""Quotes keep their answer and learn about corrections (issue 18): the seed's launch discount, corrected to end a
day earlier, on a committed catalog of its own (each write its own transaction, so each its own record time)."""

from __future__ import annotations

import asyncio
import time

from tests.factories import committed_model_and_key

THE_DAY = "2026-05-04T12:00:00Z"
USAGE = {"input_tokens": 1_000_000, "output_tokens": 0, "at": THE_DAY}


async def _wait_for_total(client, body: dict, total: str, within: float = 2.0) -> dict:
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = await client.post("/v1/estimate", json=body)
        if response.status_code == 200 and response.json()["cost"]["total"] == total:
            return response.json()
        await asyncio.sleep(0.01)
    raise AssertionError(f"the estimate did not come to {total} within {within} s")


async def _launched(client, engine, prefix: str, discount: bool = True) -> tuple[str, dict[str, str]]:
    """A committed model priced 0.14 per 1M input tokens from April 24, 75 % off until May 5 (as the seed's V4-Flash),
    once the snapshot prices it so."""
    model, keys = await committed_model_and_key(engine, prefix, "catalog:write", "catalog:correct")
    if discount:
        promotion = {"name": "launch discount", "model": model, "percent_off": "75", "source": "seed",
                     "valid_from": "2026-04-24T00:00:00Z", "valid_to": "2026-05-05T00:00:00Z"}
        assert (await client.post("/v1/promotions", json=promotion, headers=keys)).status_code == 201
    price = {"valid_from": "2026-04-24T00:00:00Z", "input_per_mtok": "0.14", "output_per_mtok": "0.28",
             "source": "seed"}
    assert (await client.post(f"/v1/models/{model}/prices", json=price, headers=keys)).status_code == 201
    await _wait_for_total(client, {"model": model, **USAGE}, "0.035" if discount else "0.14")
    return model, keys


async def test_the_launch_discount_corrected_a_day_earlier_old_new_and_repriced(committed_client, committed_engine):
    # The seed's V4-Flash history: its launch discount first, then the price beneath it (both backfills).
    model, keys = await _launched(committed_client, committed_engine, "launch")
    created = await committed_client.post("/v1/quotes", json={"kind": "estimate", "request": {"model": model, **USAGE}})
    assert created.status_code == 201, created.text
    quote = created.json()
    correction = await committed_client.post(f"/v1/models/{model}/corrections", headers=keys, json={
        "reason": "the discount ended on May 4", "valid_from": "2026-05-04T00:00:00Z",
        "valid_to": "2026-05-05T00:00:00Z", "promotions": []})
    assert correction.status_code == 201, correction.text

    # The new answer without known_at (once the snapshot has the correction), the old one with known_at before it.
    await _wait_for_total(committed_client, {"model": model, **USAGE}, "0.14")
    before = await committed_client.post("/v1/estimate", json={"model": model, **USAGE, "known_at": quote["known_at"]})
    assert before.json()["cost"]["total"] == "0.035"

    # The quote is unchanged; repriced, it differs by exactly the day's discount, and names the correction.
    assert (await committed_client.get(f"/v1/quotes/{quote['id']}")).content == created.content
    repriced = (await committed_client.get(f"/v1/quotes/{quote['id']}/repriced")).json()
    assert (repriced["total_then"], repriced["total_now"], repriced["difference"]) == ("0.035", "0.14", "0.105")
    assert repriced["corrections"] == [{"id": correction.json()["id"], "reason": "the discount ended on May 4"}]
    assert repriced["known_at"] == quote["known_at"]
