"""Subscriptions: webhooks:manage only, the secret shown once and stored encrypted, filters checked per field."""

from __future__ import annotations

from sqlalchemy import text

from service.feeds.webhooks.secrets import SecretBox
from tests.feeds.webhooks.conftest import ENCRYPTION_KEY

URL = "http://127.0.0.1:9/hook"  # never called here; the app allows private targets, as in tests


async def test_a_subscription_is_created_with_its_secret_shown_once_and_stored_only_encrypted(
    hooks_client, manager, session
):
    response = await hooks_client.post("/v1/webhooks", headers=manager, json={
        "url": URL, "event_types": ["price.created", "offering.*"], "providers": ["deepseek"],
        "models": ["deepseek-v4-flash"], "description": "prices"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    assert created["event_types"] == ["price.created", "offering.*"] and created["providers"] == ["deepseek"]
    read = (await hooks_client.get(f"/v1/webhooks/{created['id']}", headers=manager)).json()
    assert "secret" not in read and read["url"] == URL and read["delivered_seq"] == created["delivered_seq"]
    stored = await session.scalar(text("SELECT secret_encrypted FROM webhook_subscriptions WHERE id = :id"),
                                  {"id": created["id"]})
    assert created["secret"].encode() not in stored  # a dump of the table does not hold it
    assert SecretBox(ENCRYPTION_KEY).open(stored) == created["secret"]
    listed = (await hooks_client.get("/v1/webhooks", headers=manager)).json()
    assert [item["id"] for item in listed["data"]] == [created["id"]]


async def test_webhooks_need_the_webhooks_manage_scope(hooks_client, writer):
    assert (await hooks_client.get("/v1/webhooks")).status_code == 401
    response = await hooks_client.post("/v1/webhooks", headers=writer, json={"url": URL, "event_types": ["*"]})
    assert response.status_code == 403


async def test_another_keys_subscription_is_not_found(hooks_client, manager, session):
    from service.auth.keys import create_key

    created = (await hooks_client.post("/v1/webhooks", headers=manager,
                                       json={"url": URL, "event_types": ["*"]})).json()
    _, other = await create_key(session, "other partner", ["webhooks:manage"])
    response = await hooks_client.get(f"/v1/webhooks/{created['id']}", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 404


async def test_bad_fields_are_422_naming_each_field(hooks_client, manager):
    cases = [
        ({"url": URL, "event_types": ["price.exploded"]}, "/event_types/0"),
        ({"url": URL, "event_types": []}, "/event_types"),
        ({"url": URL, "event_types": ["*"], "providers": ["Not A Slug"]}, "/providers"),
        ({"url": "ftp://x.example/", "event_types": ["*"]}, "/url"),
        ({"url": "not a url at all", "event_types": ["*"]}, "/url"),
        ({"url": "http://user:pw@127.0.0.1/", "event_types": ["*"]}, "/url"),
        ({"event_types": ["*"]}, "/url"),
        ({"url": "http://a..b/", "event_types": ["*"]}, "/url"),
        ({"url": "http://" + "x" * 70 + ".example/", "event_types": ["*"]}, "/url"),
        ({"url": "http://[::1/", "event_types": ["*"]}, "/url"),
    ]
    for body, pointer in cases:
        response = await hooks_client.post("/v1/webhooks", headers=manager, json=body)
        assert response.status_code == 422, (body, response.text)
        assert [error["pointer"] for error in response.json()["errors"]] == [pointer], (body, response.text)


async def test_patch_changes_only_what_is_sent_and_delete_removes_it(hooks_client, manager):
    created = (await hooks_client.post("/v1/webhooks", headers=manager,
                                       json={"url": URL, "event_types": ["*"], "models": ["gpt-4.1"]})).json()
    one = f"/v1/webhooks/{created['id']}"
    changed = await hooks_client.patch(one, headers=manager, json={"description": "x", "enabled": False})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["description"] == "x" and body["models"] == ["gpt-4.1"] and body["enabled"] is False
    assert body["disabled_reason"] == "disabled by its owner"
    enabled = (await hooks_client.patch(one, headers=manager, json={"enabled": True})).json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    assert (await hooks_client.delete(one, headers=manager)).status_code == 204
    assert (await hooks_client.get(one, headers=manager)).status_code == 404


async def test_without_an_encryption_key_webhooks_are_503_not_configured(client, session):
    from service.auth.keys import create_key

    _, secret = await create_key(session, "partner", ["webhooks:manage"])
    response = await client.post("/v1/webhooks", headers={"Authorization": f"Bearer {secret}"},
                                 json={"url": URL, "event_types": ["*"]})
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/webhooks-not-configured"


async def test_an_answer_holding_a_secret_is_never_kept_for_idempotent_replay(hooks_client, manager, session):
    headers = {**manager, "Idempotency-Key": "same-key-twice"}
    body = {"url": URL, "event_types": ["*"]}
    first = await hooks_client.post("/v1/webhooks", headers=headers, json=body)
    second = await hooks_client.post("/v1/webhooks", headers=headers, json=body)
    assert first.status_code == second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    kept = await session.scalar(text("SELECT count(*) FROM idempotency_keys WHERE key = 'same-key-twice'"))
    assert kept == 0
