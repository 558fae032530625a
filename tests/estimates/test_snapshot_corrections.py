"""Estimates from the snapshot (without known_at) say when they were priced on corrected data (issue 18): the
snapshot carries each model's corrections, and an answer at an instant one covers names it, id and reason."""

from __future__ import annotations

import asyncio
import time

from tests.factories import committed_model_and_key

IN_THE_STRETCH = "2026-03-15T00:00:00Z"
OUTSIDE = "2026-05-15T00:00:00Z"
REASON = "the page had a typo"


def _usage(model: str, at: str) -> dict:
    return {"model": model, "input_tokens": 1_000_000, "output_tokens": 0, "at": at}


async def _corrected_model(client, engine) -> tuple[str, dict]:
    model, keys = await committed_model_and_key(engine, "noted", "catalog:write", "catalog:correct")
    price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "page"}
    assert (await client.post(f"/v1/models/{model}/prices", json=price, headers=keys)).status_code == 201
    corrected = await client.post(f"/v1/models/{model}/corrections", headers=keys, json={
        "reason": REASON, "valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z",
        "prices": [{"valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z",
                    "input_per_mtok": "0.5", "output_per_mtok": "2", "source": "corrected page"}]})
    assert corrected.status_code == 201, corrected.text
    started = time.monotonic()
    while time.monotonic() - started < 2:  # until the snapshot has the correction
        answer = await client.post("/v1/estimate", json=_usage(model, IN_THE_STRETCH))
        if answer.status_code == 200 and answer.json()["cost"]["total"] == "0.5":
            return model, corrected.json()
        await asyncio.sleep(0.01)
    raise AssertionError("the snapshot did not show the correction within 2 s")


async def test_an_estimate_on_corrected_data_names_the_correction_and_one_outside_it_does_not(
        committed_client, committed_engine):
    model, correction = await _corrected_model(committed_client, committed_engine)
    inside = (await committed_client.post("/v1/estimate", json=_usage(model, IN_THE_STRETCH))).json()
    assert inside["price"]["corrections"] == [{"id": correction["id"], "reason": REASON}]
    assert "known_at" not in inside["price"]
    outside = (await committed_client.post("/v1/estimate", json=_usage(model, OUTSIDE))).json()
    assert outside["cost"]["total"] == "1" and "corrections" not in outside["price"]


async def test_batch_items_and_the_get_form_name_the_correction_too(committed_client, committed_engine):
    model, correction = await _corrected_model(committed_client, committed_engine)
    noted = [{"id": correction["id"], "reason": REASON}]
    batch = (await committed_client.post("/v1/estimate/batch", json={"items": [
        _usage(model, IN_THE_STRETCH), _usage(model, OUTSIDE), _usage(model, IN_THE_STRETCH)]})).json()
    first, plain, second = (item["result"]["price"] for item in batch["data"])
    assert first["corrections"] == second["corrections"] == noted and "corrections" not in plain
    got = (await committed_client.get("/v1/estimate", params=_usage(model, IN_THE_STRETCH))).json()
    assert got["price"]["corrections"] == noted


async def test_a_comparison_and_a_month_on_corrected_data_name_the_correction(committed_client, committed_engine):
    model, correction = await _corrected_model(committed_client, committed_engine)
    noted = [{"id": correction["id"], "reason": REASON}]
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    compared = (await committed_client.post("/v1/estimate/compare", json={
        **usage, "baseline": model, "models": [model], "at": IN_THE_STRETCH})).json()
    assert compared["corrections"] == noted and "known_at" not in compared
    elsewhere = (await committed_client.post("/v1/estimate/compare", json={
        **usage, "baseline": model, "models": [model], "at": OUTSIDE})).json()
    assert "corrections" not in elsewhere
    month = {**usage, "sessions_per_month": 1, "model": model}
    march = (await committed_client.post("/v1/estimate/monthly", json={**month, "month": "2026-03"})).json()
    may = (await committed_client.post("/v1/estimate/monthly", json={**month, "month": "2026-05"})).json()
    assert march["corrections"] == noted and "corrections" not in may
