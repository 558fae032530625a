"""Providers and models: create, read, change, delete, list with filters and cursors."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_model, make_price, make_provider, unique_slug
from tests.problems import assert_problem


async def test_a_provider_and_a_model_can_be_created_read_changed_and_deleted(client, writer):
    slug = unique_slug("acme")
    created = await client.post("/v1/providers", json={"id": slug, "name": "Acme"}, headers=writer)
    assert created.status_code == 201, created.text
    model_id = unique_slug("acme-1")
    body = {"id": model_id, "provider": slug, "name": "Acme One", "context_window": 128000,
            "released_on": "2026-01-02"}
    model = await client.post("/v1/models", json=body, headers=writer)
    assert model.status_code == 201, model.text
    assert model.json()["open_weights"] is False

    changed = await client.patch(f"/v1/models/{model_id}", json={"name": "Acme One+", "context_window": None},
                                 headers=writer)
    assert changed.status_code == 200
    assert changed.json()["name"] == "Acme One+" and changed.json()["context_window"] is None
    assert changed.json()["released_on"] == "2026-01-02"

    assert (await client.delete(f"/v1/models/{model_id}", headers=writer)).status_code == 204
    assert (await client.get(f"/v1/models/{model_id}")).status_code == 404
    assert (await client.delete(f"/v1/providers/{slug}", headers=writer)).status_code == 204


async def test_an_existing_id_is_a_409(client, writer):
    response = await client.post("/v1/providers", json={"id": "deepseek", "name": "Again"}, headers=writer)
    assert_problem(response, 409, type="conflict")


async def test_a_model_of_an_unknown_provider_is_refused_with_422_naming_the_provider(client, writer):
    body = {"id": unique_slug("m"), "provider": "no-such-provider", "name": "x"}
    response = await client.post("/v1/models", json=body, headers=writer)
    assert_problem(response, 422, type="validation-error", pointer="/provider")


async def test_a_model_with_price_history_cannot_be_deleted(client, session, writer):
    model = await make_model(session)
    await make_price(session, model.id, datetime(2026, 1, 1, tzinfo=UTC))
    response = await client.delete(f"/v1/models/{model.id}", headers=writer)
    assert_problem(response, 409, type="conflict")


async def test_a_provider_with_models_cannot_be_deleted(client, writer):
    response = await client.delete("/v1/providers/openai", headers=writer)
    assert response.status_code == 409


async def test_models_filter_by_provider_and_text(client, session):
    provider = await make_provider(session)
    await make_model(session, f"{provider.id}-alpha", provider=provider.id)
    await make_model(session, f"{provider.id}-beta", provider=provider.id)
    by_provider = (await client.get("/v1/models", params={"provider": provider.id})).json()
    assert [m["id"] for m in by_provider["data"]] == [f"{provider.id}-alpha", f"{provider.id}-beta"]
    by_text = (await client.get("/v1/models", params={"q": "OPUS"})).json()
    assert [m["id"] for m in by_text["data"]] == ["claude-opus-4.7"]
    by_literal_percent = (await client.get("/v1/models", params={"q": "%"})).json()
    assert by_literal_percent["data"] == []


async def test_lists_page_through_every_row_once_with_the_cursor(client, session):
    provider = await make_provider(session)
    ids = [f"{provider.id}-{n}" for n in range(7)]
    for model_id in ids:
        await make_model(session, model_id, provider=provider.id)
    seen, cursor = [], None
    while True:
        params = {"provider": provider.id, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/models", params=params)).json()
        seen += [m["id"] for m in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(ids)


async def test_a_forged_cursor_or_a_limit_out_of_range_is_a_422(client):
    assert (await client.get("/v1/models", params={"cursor": "not-a-cursor"})).status_code == 422
    assert (await client.get("/v1/models", params={"limit": 0})).status_code in (400, 422)
    assert (await client.get("/v1/models", params={"limit": 501})).status_code in (400, 422)
