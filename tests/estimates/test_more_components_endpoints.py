"""Per-request fees, audio and image tokens and one-hour cache writes through the API: stored, shown, estimated."""

from __future__ import annotations

import asyncio

from tests.factories import committed_model_and_key
from tests.problems import assert_problem

MORE = {"per_request": "0.005", "audio_input_per_mtok": "40", "audio_output_per_mtok": "80",
        "image_input_per_mtok": "5", "image_output_per_mtok": "30", "cache_write_1h_per_mtok": "6"}
PRICE = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "2.50", "output_per_mtok": "10",
         "cache_read_per_mtok": "1.25", "cache_write_per_mtok": "3.75", "source": "test", **MORE}
SESSION = {"input_tokens": 100_000, "output_tokens": 10_000, "at": "2026-06-01"}


async def _priced_model(client, engine, price: dict = PRICE) -> str:
    model_id, headers = await committed_model_and_key(engine, "more")
    created = await client.post(f"/v1/models/{model_id}/prices", json=price, headers=headers)
    assert created.status_code == 201, created.text
    for _ in range(200):
        probe = await client.post("/v1/estimate", json={"model": model_id, **SESSION})
        if probe.status_code == 200:
            return model_id
        await asyncio.sleep(0.01)
    raise AssertionError("the snapshot never saw the new price")


async def test_the_new_prices_are_stored_and_shown_in_canonical_form(committed_client, committed_engine):
    model_id = await _priced_model(committed_client, committed_engine)
    listed = (await committed_client.get(f"/v1/models/{model_id}/prices")).json()["data"][0]
    assert {name: listed[name] for name in MORE} == MORE
    price = (await committed_client.get(f"/v1/models/{model_id}/price", params={"at": "2026-06-01"})).json()
    assert {name: price["list"][name] for name in MORE} == MORE


async def test_an_estimate_charges_each_new_usage_field_at_its_price(committed_client, committed_engine):
    model_id = await _priced_model(committed_client, committed_engine)
    body = {"model": model_id, "input_tokens": 100_000, "output_tokens": 10_000, "cached_input_tokens": 20_000,
            "cache_write_tokens": 8_000, "requests": 3, "audio_input_tokens": 10_000, "audio_output_tokens": 2_000,
            "image_input_tokens": 4_000, "image_output_tokens": 1_000, "cache_write_1h_tokens": 5_000,
            "sessions": 4, "at": "2026-06-01"}
    answer = (await committed_client.post("/v1/estimate", json=body)).json()
    assert answer["cost"] == {
        "input": "0.165", "cached_input": "0.025", "output": "0.07", "cache_write": "0.01125",
        "per_session": "0.92625", "total": "3.705", "requests": "0.015", "audio_input": "0.4",
        "audio_output": "0.16", "image_input": "0.02", "image_output": "0.03", "cache_write_1h": "0.03",
    }
    assert answer["warnings"] == []
    assert answer["rates"]["per_request"] == "0.005"


async def test_a_fee_per_request_without_requests_is_not_charged_and_says_so(committed_client, committed_engine):
    model_id = await _priced_model(committed_client, committed_engine)
    answer = (await committed_client.post("/v1/estimate", json={"model": model_id, **SESSION})).json()
    assert answer["cost"] == {"input": "0.25", "cached_input": "0", "output": "0.1", "cache_write": "0",
                              "per_session": "0.35", "total": "0.35"}
    assert answer["warnings"] == ["this price charges 0.005 USD per request, and the usage says no requests: none "
                                  "was charged; send `requests` to price them"]
    one = (await committed_client.post("/v1/estimate", json={"model": model_id, **SESSION, "requests": 1})).json()
    assert (one["cost"]["total"], one["cost"]["requests"], one["warnings"]) == ("0.355", "0.005", [])


async def test_audio_on_a_price_without_an_audio_price_is_charged_as_text_with_a_warning(
        committed_client, committed_engine):
    text_only = {name: value for name, value in PRICE.items() if name not in MORE}
    model_id = await _priced_model(committed_client, committed_engine, text_only)
    answer = (await committed_client.post(
        "/v1/estimate", json={"model": model_id, **SESSION, "audio_input_tokens": 40_000})).json()
    assert (answer["cost"]["input"], answer["cost"]["audio_input"], answer["cost"]["total"]) == (
        "0.15", "0.1", "0.35")
    assert answer["warnings"] == ["audio_input_per_mtok is unknown for this price: 40000 audio input tokens were "
                                  "charged at the input price"]
    assert "per_request" not in answer["rates"]  # unknown prices are left out, as before they existed


async def test_a_part_larger_than_its_whole_is_a_422_naming_the_field(committed_client, committed_engine):
    model_id = await _priced_model(committed_client, committed_engine)
    response = await committed_client.post("/v1/estimate", json={
        "model": model_id, **SESSION, "output_tokens": 10, "audio_output_tokens": 11})
    assert_problem(response, 422, pointer="/audio_output_tokens")


async def test_a_bad_new_price_is_refused_with_a_422_naming_it(committed_client, committed_engine):
    model_id, headers = await committed_model_and_key(committed_engine, "more-bad")
    for name, value in (("per_request", "-1"), ("audio_input_per_mtok", "NaN"),
                        ("cache_write_1h_per_mtok", "0.0000000000001")):
        response = await committed_client.post(
            f"/v1/models/{model_id}/prices", json={**PRICE, name: value}, headers=headers)
        assert_problem(response, 422, pointer=f"/{name}")
