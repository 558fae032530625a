"""The lists' filters: priced_at on models and providers, provider, q and active_at on promotions, and their 422s."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.catalog import price_queries, schemas
from tests.factories import make_model, make_price, make_provider
from tests.problems import assert_problem


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def ids(client, path: str, **params) -> list:
    """Every id the list holds for these parameters, page after page."""
    found, cursor = [], None
    while True:
        page = await client.get(path, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        found += [item["id"] for item in page.json()["data"]]
        if not (cursor := page.json()["next_cursor"]):
            return found


async def make_sale(session, model_id: str, name: str, valid_from: str, valid_to: str | None = None) -> int:
    promotion = await price_queries.create_promotion(session, schemas.PromotionCreate(
        name=name, model=model_id, percent_off=Decimal(10), valid_from=day(valid_from),
        valid_to=day(valid_to) if valid_to else None, source="test"))
    return promotion.id


async def test_priced_at_keeps_the_models_with_a_price_period_covering_the_instant(client, session):
    provider = await make_provider(session)
    ended = await make_model(session, f"{provider.id}-a", provider=provider.id)
    current = await make_model(session, f"{provider.id}-b", provider=provider.id)
    await make_model(session, f"{provider.id}-c", provider=provider.id)  # never priced
    await make_price(session, ended.id, day("2026-01-01"), day("2026-03-01"))
    await make_price(session, current.id, day("2026-02-01"))

    async def priced_at(instant: str) -> list:
        return await ids(client, "/v1/models", provider=provider.id, priced_at=instant)

    assert await priced_at("2025-12-31") == []
    assert await priced_at("2026-01-15") == [ended.id]
    assert await priced_at("2026-02-15T12:00:00+02:00") == [ended.id, current.id]
    assert await priced_at("2026-03-01") == [current.id]  # periods are half-open
    assert await ids(client, "/v1/models", provider=provider.id) == [ended.id, current.id, f"{provider.id}-c"]


async def test_priced_at_keeps_the_providers_with_a_model_priced_then(client, session):
    priced, unpriced = await make_provider(session), await make_provider(session)
    model = await make_model(session, provider=priced.id)
    await make_model(session, provider=unpriced.id)
    await make_price(session, model.id, day("1980-01-01"), day("1980-02-01"))  # long before the seeded catalog
    assert await ids(client, "/v1/providers", priced_at="1980-01-15") == [priced.id]
    assert await ids(client, "/v1/providers", priced_at="1980-02-01") == []
    every = await ids(client, "/v1/providers")
    assert priced.id in every and unpriced.id in every


async def test_promotions_filter_by_provider_model_text_and_instant(client, session):
    provider, other = await make_provider(session), await make_provider(session)
    first = await make_model(session, f"{provider.id}-first", provider=provider.id)
    second = await make_model(session, f"{provider.id}-second", provider=provider.id)
    elsewhere = await make_model(session, provider=other.id)
    spring = await make_sale(session, first.id, "Spring SALE", "2026-03-01", "2026-06-01")
    summer = await make_sale(session, first.id, "Summer sale", "2026-06-01")
    launch = await make_sale(session, second.id, "Launch offer", "2026-01-01", "2026-02-01")
    await make_sale(session, elsewhere.id, "Spring sale", "2026-03-01")

    assert await ids(client, "/v1/promotions", provider=provider.id) == [spring, summer, launch]
    assert await ids(client, "/v1/promotions", provider=provider.id, model=first.id) == [spring, summer]
    assert await ids(client, "/v1/promotions", provider=provider.id, q="spring") == [spring]
    assert await ids(client, "/v1/promotions", provider=provider.id, q="SECOND") == [launch]  # the model's id
    assert await ids(client, "/v1/promotions", provider=provider.id, active_at="2026-06-01") == [summer]
    assert await ids(client, "/v1/promotions", provider=provider.id, active_at="2026-01-31T23:59:59Z") == [launch]
    assert await ids(client, "/v1/promotions", provider=provider.id, q="sale", active_at="2026-04-01") == [spring]


async def test_q_on_promotions_takes_like_wildcards_literally(client, session):
    provider = await make_provider(session)
    model = await make_model(session, provider=provider.id)
    await make_sale(session, model.id, "Fifty off", "2026-01-01")
    assert await ids(client, "/v1/promotions", provider=provider.id, q="_") == []
    assert await ids(client, "/v1/promotions", provider=provider.id, q="%") == []


@pytest.mark.parametrize(("path", "parameter"), [
    ("/v1/models", "priced_at"), ("/v1/providers", "priced_at"), ("/v1/promotions", "active_at"),
])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-05-01T12:00:00", "0001-01-01T00:00:00Z"])
async def test_a_bad_instant_filter_is_a_422_naming_the_parameter(client, path, parameter, value):
    response = await client.get(path, params={parameter: value})
    assert_problem(response, 422, type="invalid-instant", field=parameter)


@pytest.mark.parametrize("path", ["/v1/models", "/v1/providers", "/v1/promotions"])
async def test_every_list_answers_with_no_cache_and_an_etag(client, path):
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"].startswith('W/"l-')
