"""Quotes never change; the in-process snapshot follows committed catalog changes within a second."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from service.db.engine import make_sessionmaker
from service.estimates import quotes, repricing_kinds
from service.snapshot.keeper import SnapshotKeeper
from tests.factories import committed_model_and_key
from tests.problems import assert_problem

SESSION = {"input_tokens": 50_000, "output_tokens": 20_000}


async def _wait_for_estimate(
    client, model_id: str, expected_total: str, within: float = 1.0, at: str | None = None
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = await client.post("/v1/estimate", json={"model": model_id, **SESSION, **({"at": at} if at else {})})
        if response.status_code == 200 and response.json()["cost"]["total"] == expected_total:
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    raise AssertionError(f"the snapshot did not show {expected_total} for {model_id} within {within} s")


async def test_a_committed_price_reaches_every_snapshot_within_a_second(
    committed_client, committed_engine, committed_database_url
):
    other_worker = SnapshotKeeper(committed_database_url, make_sessionmaker(committed_engine))
    await other_worker.start()
    try:
        model_id, headers = await committed_model_and_key(committed_engine, "snap")
        price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "1", "source": "t"}
        assert (await committed_client.post(f"/v1/models/{model_id}/prices", json=price,
                                            headers=headers)).status_code == 201
        await _wait_for_estimate(committed_client, model_id, "0.07")
        deadline = time.monotonic() + 1.0
        while model_id not in other_worker.current.timelines and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert model_id in other_worker.current.timelines, "the second worker's snapshot missed the change"
    finally:
        await other_worker.stop()


async def test_a_quote_returns_the_same_bytes_forever_whatever_the_catalog_does(committed_client, committed_engine):
    model_id, headers = await committed_model_and_key(committed_engine, "snap")
    url = f"/v1/models/{model_id}/prices"
    first = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "1", "source": "t"}
    await committed_client.post(url, json=first, headers=headers)
    await _wait_for_estimate(committed_client, model_id, "0.07")

    created = await committed_client.post("/v1/quotes", json={"kind": "estimate", "request": {
        "model": model_id, **SESSION, "at": "2030-06-01"}})
    assert created.status_code == 201, created.text
    quote = created.json()
    assert quote["id"].startswith("q_") and quote["result"]["cost"]["total"] == "0.07"
    assert quote["price_ids"] == [quote["result"]["price"]["price_id"]]

    # A cut still to come that the quoted instant falls in: writes only change the future (docs/security.md).
    cut = {**first, "valid_from": "2030-03-01T00:00:00Z", "input_per_mtok": "0.5"}
    assert (await committed_client.post(url, json=cut, headers=headers)).status_code == 201
    await _wait_for_estimate(committed_client, model_id, "0.045", at="2030-06-01")

    again = await committed_client.get(f"/v1/quotes/{quote['id']}")
    assert again.status_code == 200
    assert again.content == created.content


QUOTABLE = {
    "estimate": {"model": "gpt-4.1", **SESSION, "at": "2026-05-10"},
    "batch": {"items": [{"model": "gpt-4.1", **SESSION, "at": "2026-05-10"}]},
    "compare": {"baseline": "deepseek-v4-flash", **SESSION, "at": "2026-05-10"},
    "monthly": {"model": "deepseek-v4-flash", **SESSION, "sessions_per_month": 1000, "month": "2026-05"},
    "self-host": {"gpu_hourly_usd": "2", "gpus": 1, "tokens_per_second": "20000", "utilization": "1"},
    "project": {"project": {"size": "small", "features": 1, "tooling": "chat", "mix": {"simple": "1"}},
                "models": ["deepseek-v4-flash"], "at": "2026-05-10"},
}


@pytest.mark.parametrize("form", ["nested", "flat"])
async def test_every_kind_of_estimate_can_be_quoted_nested_or_flat(client, form):
    results = {}
    for kind, request in QUOTABLE.items():
        body = {"kind": kind, "request": request} if form == "nested" else {"kind": kind, **request}
        response = await client.post("/v1/quotes", json=body)
        assert response.status_code == 201, (kind, response.text)
        quote = response.json()
        assert quote["kind"] == kind and quote["request"].keys() >= request.keys() and "kind" not in quote["request"]
        assert (await client.get(f"/v1/quotes/{quote['id']}")).content == response.content
        results[kind] = quote["result"]
    assert results["estimate"]["cost"]["total"] == "0.26"  # GPT-4.1: 50K x 2 + 20K x 8 per 1M
    assert results["project"]["models"][0]["cost"]["expected"] == "0.0126"  # the article's session


async def test_batches_and_projects_are_quoted_off_the_event_loop_and_the_rest_on_it(client, monkeypatch):
    # A quote of 10,000 items or offerings is tens of milliseconds of CPU: on the batch thread, as on its endpoint.
    threads: dict[str, str] = {}
    real = quotes._compute

    def recording(snapshot, request, limits):
        threads[type(request).__name__] = threading.current_thread().name
        return real(snapshot, request, limits)

    monkeypatch.setattr(quotes, "_compute", recording)
    for kind in ("estimate", "batch", "project", "monthly"):
        response = await client.post("/v1/quotes", json={"kind": kind, "request": QUOTABLE[kind]})
        assert response.status_code == 201, response.text
    here = threading.current_thread().name  # the test's event loop runs the app
    assert threads["EstimateRequest"] == threads["MonthlyRequest"] == here
    assert threads["BatchRequest"].startswith("estimate-batch") and threads["ProjectEstimateRequest"].startswith(
        "estimate-batch")


async def test_batches_and_projects_are_repriced_off_the_event_loop_and_estimates_on_it(client, monkeypatch):
    threads: dict[str, str] = {}
    for name in ("estimate_one", "estimate_batch", "project_estimate"):
        real = getattr(repricing_kinds, name)

        def recording(*args, _name=name, _real=real, **kwargs):
            threads[_name] = threading.current_thread().name
            return _real(*args, **kwargs)

        monkeypatch.setattr(repricing_kinds, name, recording)
    for kind in ("estimate", "batch", "project"):
        created = await client.post("/v1/quotes", json={"kind": kind, "request": QUOTABLE[kind]})
        assert created.status_code == 201, created.text
        repriced = await client.get(f"/v1/quotes/{created.json()['id']}/repriced")
        assert repriced.status_code == 200, repriced.text
    assert threads["estimate_one"] == threading.current_thread().name  # the test's event loop runs the app
    assert threads["estimate_batch"].startswith("estimate-batch")
    assert threads["project_estimate"].startswith("estimate-batch")


@pytest.mark.parametrize(("body", "pointer"), [
    ({"model": "gpt-4.1", **SESSION}, "/kind"),
    ({"kind": "invoice", **SESSION}, "/kind"),
    ({"kind": "estimate", "request": {"model": "gpt-4.1", **SESSION}, "model": "gpt-4.1"}, "/model"),
    ({"kind": "estimate", "request": ["gpt-4.1"]}, "/request"),
    ({"kind": "estimate", "request": {"model": "gpt-4.1"}}, "/request/input_tokens"),
    ({"kind": "estimate", "model": "gpt-4.1", "input_tokens": 1}, "/output_tokens"),
    ({"kind": "estimate", "model": "gpt-4.1", **SESSION, "sessions": -1}, "/sessions"),
    (["estimate"], ""),
])
async def test_a_quote_request_that_is_neither_form_is_a_422_naming_the_field(client, body, pointer):
    assert_problem(await client.post("/v1/quotes", json=body), 422, pointer=pointer)


async def test_a_quote_of_an_invalid_request_is_a_422_and_an_unknown_quote_a_404(client):
    bad = await client.post("/v1/quotes", json={"kind": "estimate", "request": {"model": "gpt-4.1"}})
    assert bad.status_code == 422
    assert (await client.get("/v1/quotes/q_nope")).status_code == 404
