"""Offerings: one provider selling one model, addressed as `provider/model` (docs/offerings.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.auth.keys import create_key
from service.estimates import schemas
from service.estimates.compute import estimate_one
from service.estimates.offerings import offerings_priced
from service.snapshot.catalog_snapshot import load_snapshot
from tests.factories import make_model, make_price, make_provider, unique_slug
from tests.problems import assert_problem

JAN = datetime(2026, 1, 1, tzinfo=UTC)
AT = "2026-02-01T00:00:00Z"


async def _model_sold_by_two(session: AsyncSession, *, by_maker: bool = True) -> tuple[str, str, str]:
    """A model of a fresh maker (at 1/2 per 1M when `by_maker`), also sold by a reseller at 0.5/1."""
    maker, reseller = await make_provider(session), await make_provider(session)
    model = unique_slug("weights")
    if by_maker:
        await make_model(session, model, provider=maker.id)
        await make_price(session, model, JAN, input_per_mtok="1", output_per_mtok="2")
    await make_model(session, f"{reseller.id}/{model}", provider=reseller.id)
    await make_price(session, f"{reseller.id}/{model}", JAN, input_per_mtok="0.5", output_per_mtok="1")
    return model, maker.id, reseller.id


async def test_an_offering_has_its_own_price_under_its_two_segment_path(client, session):
    model, _, reseller = await _model_sold_by_two(session)
    offering = await client.get(f"/v1/models/{reseller}/{model}")
    assert offering.status_code == 200, offering.text
    assert offering.json()["id"] == f"{reseller}/{model}" and offering.json()["provider"] == reseller
    price = (await client.get(f"/v1/models/{reseller}/{model}/price", params={"at": AT})).json()
    assert price["model"] == f"{reseller}/{model}" and price["effective"]["input_per_mtok"] == "0.5"
    history = (await client.get(f"/v1/models/{reseller}/{model}/prices")).json()["data"]
    assert [p["input_per_mtok"] for p in history] == ["0.5"]
    # The slash may be percent-encoded: it is the same offering.
    encoded = await client.get(f"/v1/models/{reseller}%2F{model}/price", params={"at": AT})
    assert encoded.json() == price


async def test_maker_slash_model_names_the_makers_bare_offering(client, session):
    model, maker, _ = await _model_sold_by_two(session)
    price = await client.get(f"/v1/models/{maker}/{model}/price", params={"at": AT})
    assert price.status_code == 200, price.text
    assert price.json()["model"] == model and price.json()["effective"]["input_per_mtok"] == "1"


async def test_a_bare_id_that_no_maker_sells_is_a_409_listing_its_offerings(client, session):
    model, _, reseller = await _model_sold_by_two(session, by_maker=False)
    second = await make_provider(session)
    await make_model(session, f"{second.id}/{model}", provider=second.id)
    for path in (f"/v1/models/{model}", f"/v1/models/{model}/price", f"/v1/models/{model}/prices"):
        response = await client.get(path)
        assert_problem(response, 409, type="offering-required")
        assert response.json()["offerings"] == sorted([f"{reseller}/{model}", f"{second.id}/{model}"])


async def test_an_offering_must_be_sold_by_the_provider_its_id_names(client, session, writer):
    model, maker, reseller = await _model_sold_by_two(session)
    wrong = {"id": f"{reseller}/{unique_slug('x')}", "provider": maker, "name": "x"}
    assert_problem(await client.post("/v1/models", json=wrong, headers=writer), 422, pointer="/provider")
    moved = await client.patch(f"/v1/models/{reseller}/{model}", json={"provider": maker}, headers=writer)
    assert_problem(moved, 422, pointer="/provider")
    reserved = {"id": f"{reseller}/prices", "provider": reseller, "name": "x"}
    assert_problem(await client.post("/v1/models", json=reserved, headers=writer), 422, pointer="/id")


async def test_one_provider_sells_a_model_once(client, session, writer):
    provider = await make_provider(session)
    model = unique_slug("own")
    await make_model(session, model, provider=provider.id)  # stored bare: the provider is its maker
    again = {"id": f"{provider.id}/{model}", "provider": provider.id, "name": "again"}
    assert_problem(await client.post("/v1/models", json=again, headers=writer), 409, type="conflict")


async def test_prices_and_promotions_can_be_written_to_an_offering(client, session, writer):
    model, _, reseller = await _model_sold_by_two(session)
    period = {"valid_from": "2030-03-01T00:00:00Z", "input_per_mtok": "0.4", "output_per_mtok": "0.8",
              "source": "test"}
    added = await client.post(f"/v1/models/{reseller}/{model}/prices", json=period, headers=writer)
    assert added.status_code == 201, added.text
    assert added.json()["model"] == f"{reseller}/{model}"
    promotion = {"model": f"{reseller}/{model}", "name": "launch", "percent_off": "50",
                 "valid_from": "2030-03-01T00:00:00Z", "source": "test"}
    created = await client.post("/v1/promotions", json=promotion, headers=writer)
    assert created.status_code == 201, created.text
    bare = await client.post("/v1/promotions", json={**promotion, "model": unique_slug("none")}, headers=writer)
    assert_problem(bare, 422, pointer="/model")


async def test_estimates_price_each_offering_and_answer_with_its_stored_id(session):
    model, maker, reseller = await _model_sold_by_two(session)
    snapshot = await load_snapshot(session)
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000, "at": AT}
    by_reseller = estimate_one(snapshot, schemas.EstimateRequest(model=f"{reseller}/{model}", **usage)).body
    assert by_reseller.model == f"{reseller}/{model}" and by_reseller.cost.total == "1.5"
    by_maker = estimate_one(snapshot, schemas.EstimateRequest(model=f"{maker}/{model}", **usage)).body
    assert by_maker.model == model and by_maker.cost.total == "3"


async def test_the_offerings_of_a_model_are_ranked_cheapest_first_unpriced_last(session):
    model, _, reseller = await _model_sold_by_two(session)
    late = await make_provider(session)
    await make_model(session, f"{late.id}/{model}", provider=late.id)
    await make_price(session, f"{late.id}/{model}", datetime(2026, 6, 1, tzinfo=UTC))
    snapshot = await load_snapshot(session)
    usage = schemas.EstimateRequest(model=model, input_tokens=50_000, output_tokens=20_000, at=AT)
    result = offerings_priced(snapshot, model, usage, datetime(2026, 2, 1, tzinfo=UTC))
    assert [row.offering for row in result.offerings] == [f"{reseller}/{model}", model, f"{late.id}/{model}"]
    assert [row.maker for row in result.offerings] == [False, True, False]
    assert result.offerings[0].estimate is not None and result.offerings[0].estimate.cost.total == "0.045"
    assert result.offerings[2].estimate is None and "no price" in (result.offerings[2].problem or "")


async def _commit_offerings(engine: AsyncEngine) -> tuple[str, str, dict[str, str]]:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        model, _, reseller = await _model_sold_by_two(session, by_maker=False)
        _, secret = await create_key(session, "offerings", ["catalog:write"])
    return model, reseller, {"Authorization": f"Bearer {secret}"}


async def _until_known(keeper, model_id: str) -> None:
    for _ in range(200):
        if model_id in keeper.current.timelines:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the snapshot never showed {model_id}")


async def test_the_served_snapshot_follows_offerings_and_the_routes_use_it(
    committed_client, committed_engine, committed_keeper
):
    model, reseller, _ = await _commit_offerings(committed_engine)
    await _until_known(committed_keeper, f"{reseller}/{model}")
    listed = await committed_client.get(f"/v1/models/{model}/offerings", params={"at": AT})
    assert listed.status_code == 200, listed.text
    assert [row["offering"] for row in listed.json()["offerings"]] == [f"{reseller}/{model}"]
    same = await committed_client.get(f"/v1/models/{reseller}/{model}/offerings", params={"at": AT})
    assert same.json() == listed.json()
    body = {"model": model, "input_tokens": 10, "output_tokens": 10, "at": AT}
    bare = await committed_client.post("/v1/estimate", json=body)
    assert_problem(bare, 409, type="offering-required")
    assert bare.json()["offerings"] == [f"{reseller}/{model}"]
    priced = await committed_client.post("/v1/estimate", json={**body, "model": f"{reseller}/{model}"})
    assert priced.status_code == 200 and priced.json()["model"] == f"{reseller}/{model}"
    unknown = await committed_client.get(f"/v1/models/{unique_slug('none')}/offerings")
    assert_problem(unknown, 404, type="not-found")


async def test_compare_ranks_every_offering_of_a_model(session):
    from service.estimates.comparison import compare_models

    model, _, reseller = await _model_sold_by_two(session, by_maker=False)
    second = await make_provider(session)
    await make_model(session, f"{second.id}/{model}", provider=second.id)
    await make_price(session, f"{second.id}/{model}", JAN, input_per_mtok="0.25", output_per_mtok="0.5")
    snapshot = await load_snapshot(session)
    request = schemas.CompareRequest(baseline=f"{reseller}/{model}", offerings_of=model, input_tokens=1_000_000,
                                     output_tokens=0, at=AT)
    rows = compare_models(snapshot, request).body.rows
    assert [row.model for row in rows] == [f"{second.id}/{model}", f"{reseller}/{model}"]
    assert rows[0].total_ratio == "0.5"
