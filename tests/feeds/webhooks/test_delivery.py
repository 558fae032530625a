"""Delivery: signed as Standard Webhooks says, every matching committed change in seq order, at least once,
through failures, timeouts and outages of the receiver."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.factories import unique_slug
from tests.feeds.webhooks.conftest import FAST


def _seqs(received) -> list[int]:
    return [json.loads(r.body)["data"]["seq"] for r in received]


def _first_deliveries_in_order(seqs: list[int]) -> list[int]:
    """Each seq's first successful delivery, in the order received (a redelivery may repeat one)."""
    return list(dict.fromkeys(seqs))


async def test_every_change_arrives_signed_in_order_and_verifies_with_standardwebhooks(live, receiver):
    sub = await live.subscribe(receiver.url + "/a")
    await live.start()
    prefix = unique_slug("wh")
    ids = await live.write_providers(prefix, 5)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 5)
    hook = Webhook(sub["secret"])
    payloads = [hook.verify(r.body, r.headers) for r in receiver.delivered()]  # raises on a bad signature
    assert [p["data"]["object"]["id"] for p in payloads] == ids
    assert [p["type"] for p in payloads] == ["provider.created"] * 5
    assert payloads[0]["data"]["link"] == f"/v1/providers/{ids[0]}"
    seqs = _seqs(receiver.delivered())
    assert seqs == sorted(seqs) and seqs[0] > sub["delivered_seq"]
    first = receiver.delivered()[0]
    assert first.headers["webhook-id"] == f"msg_{sub['id']}_{seqs[0]}"
    tampered = first.body.replace(ids[0].encode(), b"someone-else")
    with pytest.raises(WebhookVerificationError):
        hook.verify(tampered, first.headers)
    read = await live.read_when(f"/v1/webhooks/{sub['id']}", lambda body: body["delivered_seq"] == seqs[-1])
    assert read["last_success_at"] is not None and read["failing_since"] is None


async def test_filters_send_only_the_event_types_providers_and_models_asked_for(live, receiver):
    prefix = unique_slug("flt")
    await live.write_providers(prefix, 2)
    model = f"{prefix}-m"
    await live.subscribe(receiver.url + "/prices", ["price.*"], providers=[f"{prefix}-0"])
    await live.subscribe(receiver.url + "/models", ["model.created"], models=[model])
    await live.start()
    created = await live.client.post("/v1/models", headers=live.headers,
                                      json={"id": model, "provider": f"{prefix}-0", "name": "M"})
    assert created.status_code == 201, created.text
    other = await live.client.post("/v1/models", headers=live.headers,
                                   json={"id": f"{prefix}-other", "provider": f"{prefix}-1", "name": "M"})
    assert other.status_code == 201
    for model_id in (model, f"{prefix}-other"):
        response = await live.client.post(f"/v1/models/{model_id}/prices", headers=live.headers, json={
            "valid_from": "2026-01-01T00:00:00Z", "input_per_mtok": "1", "output_per_mtok": "2", "source": "t"})
        assert response.status_code == 201, response.text
    await live.until(receiver, lambda: len(receiver.delivered("/prices")) >= 1
                     and len(receiver.delivered("/models")) >= 1)
    await live.write_providers(prefix + "-end", 1)  # a later change: both cursors pass it, nothing is sent
    prices = [json.loads(r.body) for r in receiver.delivered("/prices")]
    models = [json.loads(r.body) for r in receiver.delivered("/models")]
    assert [(p["type"], p["data"]["object"]["model"]) for p in prices] == [("price.created", model)]
    assert prices[0]["data"]["link"] == f"/v1/models/{model}/prices"
    assert [(m["type"], m["data"]["object"]["id"]) for m in models] == [("model.created", model)]


async def test_order_and_at_least_once_when_every_third_request_fails(live, receiver):
    receiver.behaviour = lambda n, path: (500 if n % 3 == 0 else 200, 0.0)
    await live.subscribe(receiver.url)
    await live.start()
    await live.write_providers(unique_slug("third"), 12)
    await live.until(receiver, lambda: len(set(_seqs(receiver.delivered()))) >= 12)
    seqs = _seqs(receiver.delivered())
    assert _first_deliveries_in_order(seqs) == sorted(set(seqs))
    assert any(r.status == 500 for r in receiver.received)


async def test_order_and_at_least_once_through_timeouts_and_an_outage(live, receiver):
    outage_until = [0.0]
    def behaviour(n: int, path: str) -> tuple[int, float]:
        if n == 2:
            return 200, 1.0  # answered after the sender's deadline: a timeout, then the same event again
        if time.monotonic() < outage_until[0]:
            return 500, 0.0
        return 200, 0.0

    receiver.behaviour = behaviour
    await live.subscribe(receiver.url)
    await live.start(replace(FAST, timeout=0.3))
    prefix = unique_slug("outage")
    await live.write_providers(prefix, 3)
    await live.until(receiver, lambda: len(set(_seqs(receiver.delivered()))) >= 3)
    outage_until[0] = time.monotonic() + 1.5  # 500 for a while (a minute in the issue; scaled by the backoff)
    await live.write_providers(prefix + "-b", 4)
    await live.until(receiver, lambda: len(set(_seqs(receiver.delivered()))) >= 7)
    seqs = _seqs(receiver.delivered())
    assert _first_deliveries_in_order(seqs) == sorted(set(seqs))
    log = (await live.read_when(f"/v1/webhooks/{(await _only(live))['id']}/deliveries?limit=500",
                                lambda body: sum(e["succeeded"] for e in body["data"]) >= 7))["data"]
    errors = {entry["error"] for entry in log}
    assert "timeout" in errors and "http_status" in errors
    failed = next(entry for entry in log if entry["error"] == "http_status")
    assert failed["status_code"] == 500 and failed["response_excerpt"] == '{"ok": true}'
    assert any(entry["attempt"] > 1 for entry in log)


async def _only(live) -> dict:
    return (await live.client.get("/v1/webhooks", headers=live.headers)).json()["data"][0]


async def test_a_410_disables_the_subscription_visibly_and_in_metrics(live, receiver):
    receiver.behaviour = lambda n, path: (410, 0.0)
    sub = await live.subscribe(receiver.url)
    pool = await live.start()
    await live.write_providers(unique_slug("gone"), 2)
    await live.until(receiver, lambda: len(receiver.received) >= 1)

    async def disabled() -> dict:
        return (await live.client.get(f"/v1/webhooks/{sub['id']}", headers=live.headers)).json()

    for _ in range(100):
        if not (read := await disabled())["enabled"]:
            break
        await asyncio.sleep(0.05)
    assert read["enabled"] is False and "410" in read["disabled_reason"] and read["disabled_at"]
    assert len(receiver.received) == 1  # nothing more is sent to it
    await pool.refresh_states()
    metrics = {sample.name: sample for family in pool.collect() for sample in family.samples
               if sample.labels.get("state") == "disabled"}
    assert metrics["webhook_subscriptions"].value >= 1
    assert pool.counters.get("http_status") == 1


async def test_a_subscription_failing_longer_than_the_disable_period_is_disabled(live, receiver):
    receiver.behaviour = lambda n, path: (503, 0.0)
    sub = await live.subscribe(receiver.url)
    await live.start(replace(FAST, disable_after=0.5))
    await live.write_providers(unique_slug("failing"), 1)
    for _ in range(200):
        read = (await live.client.get(f"/v1/webhooks/{sub['id']}", headers=live.headers)).json()
        if not read["enabled"]:
            break
        await asyncio.sleep(0.02)
    assert read["enabled"] is False and read["disabled_reason"].startswith("failing since")
    assert len(receiver.received) >= 2


async def test_an_event_failing_past_the_retry_period_is_given_up_and_the_next_one_goes_out(live, receiver):
    receiver.behaviour = lambda n, path: (500, 0.0) if n <= 3 else (200, 0.0)
    await live.subscribe(receiver.url)
    await live.start(replace(FAST, retry_for=0.05, backoff_base=0.05))
    ids = await live.write_providers(unique_slug("giveup"), 2)
    await live.until(receiver, lambda: any(json.loads(r.body)["data"]["object"]["id"] == ids[1]
                                           for r in receiver.delivered()))
    delivered_ids = [json.loads(r.body)["data"]["object"]["id"] for r in receiver.delivered()]
    assert ids[0] not in delivered_ids  # given up after its retries, never sent out of order later


async def test_a_commit_wakes_the_deliverers_without_waiting_for_the_poll(live, receiver):
    sub = await live.subscribe(receiver.url)
    await live.start(replace(FAST, poll_interval=60.0))
    await asyncio.sleep(0.5)  # the deliverers are asleep now, for a minute unless woken
    await live.write_providers(unique_slug("wake"), 1)
    await live.until(receiver, lambda: len(receiver.delivered()) >= 1, seconds=5)
    ping = await live.client.post(f"/v1/webhooks/{sub['id']}/test", headers=live.headers, json={})
    assert ping.status_code == 202
    await live.until(receiver, lambda: len(receiver.delivered()) >= 2, seconds=5)
