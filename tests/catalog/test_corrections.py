"""Corrections (issue 18): the one write that may change the past. It needs catalog:correct and a reason, records the
key, supersedes the rows it replaces and answers with old and new periods side by side; reads then see the new."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select, text

from service.api.pagination import encode_cursor
from service.auth.keys import create_key
from service.catalog import price_queries, schemas
from service.db.models import PriceRow
from tests.factories import committed_model_and_key, make_model, make_price, make_provider, unique_slug
from tests.problems import assert_problem

SEEDED = "deepseek-v4-flash"
JAN = datetime(2026, 1, 1, tzinfo=UTC)


async def _corrector(session) -> tuple[int, dict[str, str]]:
    key, secret = await create_key(session, "corrector", ["catalog:correct"])
    await session.flush()
    return key.id, {"Authorization": f"Bearer {secret}"}


def _stretch(reason: str = "the page had a typo", **fields) -> dict:
    return {"reason": reason, "valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z", **fields}


def _price(valid_from: str, valid_to: str | None, input_price: str) -> dict:
    return {"valid_from": valid_from, "valid_to": valid_to, "input_per_mtok": input_price, "output_per_mtok": "2",
            "source": "corrected page"}


async def test_a_correction_needs_its_own_scope_not_catalog_write(client, session, writer):
    url = f"/v1/models/{SEEDED}/corrections"
    body = _stretch(promotions=[])
    assert_problem(await client.post(url, json=body), 401, type="unauthorized")
    assert_problem(await client.post(url, json=body, headers=writer), 403, type="forbidden")


async def test_a_correction_needs_a_reason_and_periods_inside_its_stretch(client, session):
    _, corrector = await _corrector(session)
    url = f"/v1/models/{SEEDED}/corrections"
    assert_problem(await client.post(url, json={**_stretch(promotions=[]), "reason": ""}, headers=corrector), 422,
                   pointer="/reason")
    outside = _stretch(prices=[_price("2026-02-01T00:00:00Z", "2026-03-15T00:00:00Z", "1")])
    assert_problem(await client.post(url, json=outside, headers=corrector), 422, pointer="/prices/0/valid_from")
    assert_problem(await client.post(url, json=_stretch(), headers=corrector), 422, pointer="/prices")


async def test_a_price_correction_replaces_the_stretch_and_keeps_the_rest(client, session):
    key_id, corrector = await _corrector(session)
    model = await make_model(session)
    old = await make_price(session, model.id, JAN, input_per_mtok="1")
    body = _stretch(prices=[_price("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "0.5")])
    response = await client.post(f"/v1/models/{model.id}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    answer = response.json()
    now = await session.scalar(select(func.now()))
    assert (answer["model"], answer["reason"], answer["key_id"]) == (model.id, "the page had a typo", key_id)
    assert answer["recorded_at"] == now.isoformat().replace("+00:00", "Z")
    assert [p["id"] for p in answer["prices"]["old"]] == [old.id]
    assert [(p["valid_from"][:10], (p["valid_to"] or "")[:10], p["input_per_mtok"]) for p in answer["prices"]["new"]] \
        == [("2026-01-01", "2026-03-01", "1"), ("2026-03-01", "2026-04-01", "0.5"), ("2026-04-01", "", "1")]
    assert answer["promotions"] == {"old": [], "new": []}
    history = (await client.get(f"/v1/models/{model.id}/prices")).json()["data"]
    assert [p["id"] for p in history] == [p["id"] for p in answer["prices"]["new"]]
    during = (await client.get(f"/v1/models/{model.id}/price", params={"at": "2026-03-15"})).json()
    assert during["effective"]["input_per_mtok"] == "0.5"
    superseded = await session.get(PriceRow, old.id, populate_existing=True)
    assert (superseded.superseded_at, superseded.superseded_by) == (now, answer["id"])


async def test_the_seed_launch_discount_corrected_to_end_a_day_earlier(client, session):
    _, corrector = await _corrector(session)
    body = {"reason": "the discount ended on May 4", "valid_from": "2026-05-04T00:00:00Z",
            "valid_to": "2026-05-05T00:00:00Z", "promotions": []}
    response = await client.post(f"/v1/models/{SEEDED}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    promotions = response.json()["promotions"]
    assert [(p["valid_from"], p["valid_to"]) for p in promotions["old"]] == [
        ("2026-04-24T00:00:00Z", "2026-05-05T00:00:00Z")]
    assert [(p["name"], p["valid_from"], p["valid_to"]) for p in promotions["new"]] == [
        ("V4-Flash launch discount", "2026-04-24T00:00:00Z", "2026-05-04T00:00:00Z")]
    the_day = (await client.get(f"/v1/models/{SEEDED}/price", params={"at": "2026-05-04T12:00:00Z"})).json()
    assert the_day["promotions"] == [] and the_day["effective"]["input_per_mtok"] == "0.14"
    before = (await client.get(f"/v1/models/{SEEDED}/price", params={"at": "2026-05-03T12:00:00Z"})).json()
    assert before["effective"]["input_per_mtok"] == "0.035"
    listed = (await client.get("/v1/promotions", params={"model": SEEDED})).json()["data"]
    assert [p["id"] for p in listed] == [p["id"] for p in promotions["new"]]


async def test_an_offering_is_corrected_by_its_two_segment_id(client, session):
    _, corrector = await _corrector(session)
    reseller = await make_provider(session)
    offering = (await make_model(session, f"{reseller.id}/{unique_slug('model')}", provider=reseller.id)).id
    await make_price(session, offering, JAN)
    body = _stretch(prices=[])
    response = await client.post(f"/v1/models/{offering}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    assert response.json()["model"] == offering
    gap = await client.get(f"/v1/models/{offering}/price", params={"at": "2026-03-15"})
    assert_problem(gap, 404, type="no-price-at-instant")


async def test_the_refusal_of_an_ordinary_write_links_to_a_correction_that_works(client, session, writer):
    _, corrector = await _corrector(session)
    model = await make_model(session)
    await make_price(session, model.id, JAN)
    refused = await client.post(f"/v1/models/{model.id}/prices", json=_price("2026-03-01T00:00:00Z", None, "3"),
                                headers=writer)
    url = assert_problem(refused, 409, type="history-is-fixed")["corrections_url"]
    body = {"reason": "the cut came in March", "valid_from": "2026-03-01T00:00:00Z",
            "prices": [_price("2026-03-01T00:00:00Z", None, "3")]}
    assert (await client.post(url, json=body, headers=corrector)).status_code == 201


async def test_corrections_are_listed_by_model_and_time_a_page_at_a_time_and_logged(client, session, reader):
    _, corrector = await _corrector(session)
    model = await make_model(session)
    await make_price(session, model.id, JAN)
    last_seq = await session.scalar(text("SELECT coalesce(max(seq), 0) FROM catalog_changes"))
    made = []
    for reason in ("first fix", "second fix"):
        response = await client.post(f"/v1/models/{model.id}/corrections", json=_stretch(reason, prices=[]),
                                     headers=corrector)
        made.append(response.json())
    first = (await client.get("/v1/corrections", params={"model": model.id, "limit": 1})).json()
    assert [c["reason"] for c in first["data"]] == ["first fix"] and first["next_cursor"]
    second = (await client.get("/v1/corrections", params={"model": model.id, "limit": 1,
                                                          "cursor": first["next_cursor"]})).json()
    assert [c["reason"] for c in second["data"]] == ["second fix"] and second["next_cursor"] is None
    assert second["data"][0]["prices"] == made[1]["prices"]
    now = made[0]["recorded_at"]
    assert len((await client.get("/v1/corrections", params={"model": model.id, "since": now})).json()["data"]) == 2
    assert (await client.get("/v1/corrections", params={"model": model.id, "until": now})).json()["data"] == []
    assert (await client.get(f"/v1/corrections/{made[0]['id']}")).json() == made[0]
    changes = (await client.get("/v1/feeds/changes", params={"cursor": encode_cursor(last_seq)},
                                headers=reader)).json()["data"]
    logged = [c["object"] for c in changes if c["kind"] == "correction.created"]
    assert [(c["id"], c["reason"]) for c in logged] == [(m["id"], m["reason"]) for m in made]


async def test_an_estimate_after_a_committed_correction_sees_the_corrected_price(committed_client, committed_engine):
    model_id, writer = await committed_model_and_key(committed_engine, "corrected", "catalog:write",
                                                     "catalog:correct")
    added = await committed_client.post(f"/v1/models/{model_id}/prices",
                                        json=_price("2026-01-01T00:00:00Z", None, "1"), headers=writer)
    assert added.status_code == 201, added.text
    usage = {"model": model_id, "input_tokens": 1_000_000, "output_tokens": 0, "at": "2026-03-15T00:00:00Z"}
    await _wait_for_total(committed_client, usage, "1")
    corrected = await committed_client.post(f"/v1/models/{model_id}/corrections", headers=writer, json=_stretch(
        prices=[_price("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "0.25")]))
    assert corrected.status_code == 201, corrected.text
    await _wait_for_total(committed_client, usage, "0.25")


async def _wait_for_total(client, usage: dict, total: str, within: float = 2.0) -> None:
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = await client.post("/v1/estimate", json=usage)
        if response.status_code == 200 and response.json()["cost"]["total"] == total:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the snapshot did not show {total} for {usage['model']} within {within} s")


async def test_a_correction_keeps_the_fee_audio_image_and_one_hour_prices_of_what_it_keeps_and_writes(
        client, session):
    # The rows a correction re-records around its stretch are copies of the superseded row: every price column
    # must come along, not only the four token prices (0016's columns were once dropped here).
    _, corrector = await _corrector(session)
    model = await make_model(session)
    await price_queries.add_price(session, model.id, schemas.PricePeriodCreate(
        valid_from=JAN, input_per_mtok=Decimal(1), output_per_mtok=Decimal(2), source="test",
        per_request=Decimal("0.005"), audio_input_per_mtok=Decimal(40), image_output_per_mtok=Decimal(30),
        cache_write_1h_per_mtok=Decimal("2.5")))
    corrected = {**_price("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "0.5"), "per_request": "0.004",
                 "audio_output_per_mtok": "80"}
    response = await client.post(f"/v1/models/{model.id}/corrections", json=_stretch(prices=[corrected]),
                                 headers=corrector)
    assert response.status_code == 201, response.text
    kept_before, new, kept_after = response.json()["prices"]["new"]
    for kept in (kept_before, kept_after):
        assert (kept["per_request"], kept["audio_input_per_mtok"], kept["image_output_per_mtok"],
                kept["cache_write_1h_per_mtok"]) == ("0.005", "40", "30", "2.5")
    assert (new["per_request"], new["audio_output_per_mtok"]) == ("0.004", "80")
    assert "audio_input_per_mtok" not in new  # unknown in the corrected period: left out, never a stale copy
    history = (await client.get(f"/v1/models/{model.id}/prices")).json()["data"]
    assert [p.get("per_request") for p in history] == ["0.005", "0.004", "0.005"]
