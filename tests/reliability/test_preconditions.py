"""Optimistic concurrency: a change based on a stale read is refused with 412, never silently applied."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_model, make_promotion, make_provider


async def test_patch_with_the_current_etag_succeeds_and_returns_the_new_one(client, session, writer):
    provider = await make_provider(session)
    read = await client.get(f"/v1/providers/{provider.id}")
    etag = read.headers["etag"]
    changed = await client.patch(f"/v1/providers/{provider.id}", json={"name": "Renamed"},
                                 headers={**writer, "If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag


async def test_patch_or_delete_with_a_stale_etag_is_a_412(client, session, writer):
    model = await make_model(session)
    stale = (await client.get(f"/v1/models/{model.id}")).headers["etag"]
    assert (await client.patch(f"/v1/models/{model.id}", json={"name": "First"}, headers=writer)).status_code == 200
    second = await client.patch(f"/v1/models/{model.id}", json={"name": "Second"},
                                headers={**writer, "If-Match": stale})
    assert second.status_code == 412
    assert second.json()["type"] == "/problems/precondition-failed"
    assert (await client.get(f"/v1/models/{model.id}")).json()["name"] == "First"
    gone = await client.delete(f"/v1/models/{model.id}", headers={**writer, "If-Match": stale})
    assert gone.status_code == 412


async def test_promotions_carry_etags_too(client, session, writer):
    model = await make_model(session)
    promotion = await make_promotion(session, model.id, "10", datetime(2030, 1, 1, tzinfo=UTC))  # still to come
    etag = (await client.get(f"/v1/promotions/{promotion.id}")).headers["etag"]
    wrong = await client.delete(f"/v1/promotions/{promotion.id}", headers={**writer, "If-Match": '"nope"'})
    assert wrong.status_code == 412
    right = await client.delete(f"/v1/promotions/{promotion.id}", headers={**writer, "If-Match": etag})
    assert right.status_code == 204
