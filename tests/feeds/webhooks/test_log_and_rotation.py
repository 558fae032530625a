"""The delivery log, redelivery (from a seq, or one delivery), pings, and secret rotation with an overlap."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.factories import unique_slug


async def test_the_delivery_log_shows_each_attempt_and_redeliver_from_seq_sends_them_again_in_order(
    live, receiver
):
    receiver.behaviour = lambda n, path: (500, 0.0) if n == 1 else (200, 0.0)
    sub = await live.subscribe(receiver.url)
    await live.start()
    await live.write_providers(unique_slug("log"), 3)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 3)
    log = (await live.read_when(f"/v1/webhooks/{sub['id']}/deliveries", lambda body: len(body["data"]) >= 4))["data"]
    assert [(e["attempt"], e["succeeded"], e["status_code"]) for e in reversed(log)] == [
        (1, False, 500), (2, True, 200), (1, True, 200), (1, True, 200)]
    assert all(e["duration_ms"] >= 0 and e["event_type"] == "provider.created" for e in log)
    assert log[-1]["error"] == "http_status" and log[0]["error"] is None and log[0]["response_excerpt"]
    seqs = [json.loads(r.body)["data"]["seq"] for r in receiver.delivered()]
    again = await live.client.post(f"/v1/webhooks/{sub['id']}/redeliver", headers=live.headers,
                                   json={"from_seq": seqs[1]})
    assert again.status_code == 202, again.text
    await live.until(receiver, lambda: len(receiver.delivered()) >= 5)
    resent = [json.loads(r.body)["data"]["seq"] for r in receiver.delivered()[3:]]
    assert resent == seqs[1:]
    assert receiver.delivered()[3].headers["webhook-id"] == receiver.delivered()[1].headers["webhook-id"]


async def test_one_delivery_is_sent_again_by_its_id_and_a_ping_is_signed_too(live, receiver):
    sub = await live.subscribe(receiver.url)
    await live.start()
    await live.write_providers(unique_slug("one"), 2)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 2)
    first = (await live.read_when(f"/v1/webhooks/{sub['id']}/deliveries",
                                  lambda body: len(body["data"]) >= 2))["data"][-1]
    response = await live.client.post(f"/v1/webhooks/{sub['id']}/redeliver", headers=live.headers,
                                      json={"delivery": first["id"]})
    assert response.status_code == 202
    await live.until(receiver, lambda: len(receiver.delivered()) >= 3)
    assert json.loads(receiver.delivered()[2].body)["data"]["seq"] == first["seq"]
    ping = await live.client.post(f"/v1/webhooks/{sub['id']}/test", headers=live.headers, json={})
    assert ping.status_code == 202
    await live.until(receiver, lambda: len(receiver.delivered()) >= 4)
    pinged = receiver.delivered()[3]
    assert Webhook(sub["secret"]).verify(pinged.body, pinged.headers)["type"] == "webhook.ping"
    missing = await live.client.post(f"/v1/webhooks/{sub['id']}/redeliver", headers=live.headers,
                                     json={"delivery": 2**62})
    assert missing.status_code == 404
    both = await live.client.post(f"/v1/webhooks/{sub['id']}/redeliver", headers=live.headers,
                                  json={"delivery": 1, "from_seq": 1})
    assert both.status_code == 422


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(live, receiver):
    sub = await live.subscribe(receiver.url)
    await live.start()
    rotated = await live.client.post(f"/v1/webhooks/{sub['id']}/rotate-secret", headers=live.headers,
                                     json={})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != sub["secret"] and rotated.json()["previous_secret_until"]
    await live.write_providers(unique_slug("rot"), 1)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 1)
    message = receiver.delivered()[0]
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    Webhook(sub["secret"]).verify(message.body, message.headers)  # a receiver not yet updated still verifies
    Webhook(new_secret).verify(message.body, message.headers)


async def test_a_rotation_without_overlap_ends_the_old_secret_at_once(live, receiver):
    sub = await live.subscribe(receiver.url)
    response = await live.client.post(f"/v1/webhooks/{sub['id']}/rotate-secret", headers=live.headers,
                                      json={"overlap_seconds": 0})
    assert response.status_code == 200, response.text
    rotated = response.json()
    await live.start()
    await live.write_providers(unique_slug("rot0"), 1)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 1)
    message = receiver.delivered()[0]
    assert len(message.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated["secret"]).verify(message.body, message.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(sub["secret"]).verify(message.body, message.headers)
    bad = await live.client.post(f"/v1/webhooks/{sub['id']}/rotate-secret", headers=live.headers,
                                 json={"overlap_seconds": -1})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/overlap_seconds"
