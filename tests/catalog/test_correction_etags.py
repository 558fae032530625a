"""Honest caching (issue 18): the ETag of every kind of cacheable answer a correction changes changes with it, so a
client revalidating with If-None-Match gets the corrected answer, never a 304 for the old one."""

from __future__ import annotations

import pytest

from tests.catalog.test_list_caching import settled
from tests.factories import committed_model_and_key

IN_THE_STRETCH = "2026-03-15T00:00:00Z"
OUTSIDE = "2026-05-15T00:00:00Z"


def _answers(model: str) -> dict[str, tuple[str, dict]]:
    """One answer of each cacheable kind that a correction of March changes: a list (the models priced then, which a
    correction taking March's price away changes), the feeds, an estimate."""
    return {
        "list": ("/v1/models", {"q": model, "priced_at": IN_THE_STRETCH}),
        "price feed": ("/v1/feeds/prices", {"at": IN_THE_STRETCH}),
        "litellm feed": ("/v1/feeds/litellm", {"at": IN_THE_STRETCH}),
        "estimate": ("/v1/estimate", {"model": model, "input_tokens": 1_000_000, "output_tokens": 0,
                                      "at": IN_THE_STRETCH}),
    }


@pytest.mark.parametrize("kind", ["list", "price feed", "litellm feed", "estimate"])
async def test_a_correction_changes_the_etag_of_an_answer_it_changes(app, committed_client, kind):
    keeper, engine = app.state.snapshot_keeper, app.state.engine
    model, keys = await committed_model_and_key(engine, "etagfix", "catalog:write", "catalog:correct", "feeds:read")
    price = {"valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "page"}
    assert (await committed_client.post(f"/v1/models/{model}/prices", json=price, headers=keys)).status_code == 201
    await settled(keeper, engine)
    path, params = _answers(model)[kind]
    before = await committed_client.get(path, params=params, headers=keys)
    assert before.status_code == 200, before.text
    assert "immutable" not in before.headers["cache-control"]  # a past instant, without known_at: may change
    assert (await committed_client.get(path, params=params, headers={
        **keys, "If-None-Match": before.headers["etag"]})).status_code == 304

    corrected = await committed_client.post(f"/v1/models/{model}/corrections", headers=keys, json={
        "reason": "typo", "valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z",
        "prices": [] if kind == "list" else [{"valid_from": "2026-03-01T00:00:00Z", "valid_to": "2026-04-01T00:00:00Z",
                                              "input_per_mtok": "0.5", "output_per_mtok": "2", "source": "fixed"}]})
    assert corrected.status_code == 201, corrected.text
    await settled(keeper, engine)

    after = await committed_client.get(path, params=params, headers={**keys, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, kind
    assert after.headers["etag"] != before.headers["etag"] and after.content != before.content
