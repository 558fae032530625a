"""/v1/webhooks: a partner's subscriptions (scope webhooks:manage), their delivery log, redelivery and pings."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody

from service.api.operations import idempotent_post
from service.api.pagination import Cursor, Limit, decode_cursor, encode_cursor, page_of
from service.api.structs import IdPath
from service.auth.scopes import WEBHOOK_BODY_ROUTE, WEBHOOK_ROUTE
from service.db.engine import DbSession
from service.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from service.feeds.webhooks import queries, schemas
from service.feeds.webhooks.secrets import SecretBox, not_configured
from service.settings import Settings

_ONE = "/{webhook_id:int}"
# Answers that show a secret take no Idempotency-Key: a kept answer would hold the secret in plain text.
_SECRET_OPT = {"opt": {**WEBHOOK_ROUTE["opt"], "answers_secret": True}}


def _out(row: WebhookSubscriptionRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in schemas.WebhookOut.__struct_fields__}


def _delivery(row: WebhookDeliveryRow) -> schemas.DeliveryOut:
    return schemas.DeliveryOut(**{name: getattr(row, name) for name in schemas.DeliveryOut.__struct_fields__})


def _owner(request: Request[Any, Any, Any]) -> int:
    return int(request.scope["state"]["api_key_id"])  # set by service.http.access once the key is checked


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _box(request: Request[Any, Any, Any]) -> SecretBox:
    key = _settings(request).webhooks.encryption_key
    if not key:
        raise not_configured()
    return SecretBox(key)


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]

    @post("/", **{**WEBHOOK_BODY_ROUTE, **_SECRET_OPT}, summary="Subscribe a URL to catalog changes",
                     description="Answers with the signing secret, once. Events are the changes committed from "
                                 "now on that match `event_types` and the optional `providers` and `models`.")
    async def create_webhook(self, request: Request[Any, Any, Any], session: DbSession,
                             data: JSONBody[schemas.WebhookCreate]) -> schemas.WebhookCreated:
        row, secret = await queries.create(session, _owner(request), data, _box(request),
                                           _settings(request).webhooks)
        return schemas.WebhookCreated(**_out(row), secret=secret)

    @get("/", **WEBHOOK_ROUTE, summary="List this key's webhooks, by id")
    async def list_webhooks(self, request: Request[Any, Any, Any], session: DbSession, limit: Limit = 50,
                            cursor: Cursor = None) -> schemas.WebhookPage:
        rows = await queries.list_for(session, _owner(request), decode_cursor(cursor, int), limit)
        page, next_cursor = page_of(rows, limit, "id")
        return schemas.WebhookPage(data=[schemas.WebhookOut(**_out(row)) for row in page], next_cursor=next_cursor)

    @get(_ONE, **WEBHOOK_ROUTE, summary="Read a webhook: its filters, its cursor, and whether it is disabled")
    async def get_webhook(self, request: Request[Any, Any, Any], session: DbSession,
                          webhook_id: IdPath) -> schemas.WebhookOut:
        return schemas.WebhookOut(**_out(await queries.get(session, _owner(request), webhook_id)))

    @patch(_ONE, **WEBHOOK_BODY_ROUTE, summary="Change a webhook, or enable it again")
    async def change_webhook(self, request: Request[Any, Any, Any], session: DbSession, webhook_id: IdPath,
                             data: JSONBody[schemas.WebhookChange]) -> schemas.WebhookOut:
        row = await queries.change(session, _owner(request), webhook_id, data, _settings(request).webhooks)
        return schemas.WebhookOut(**_out(row))

    @delete(_ONE, **WEBHOOK_ROUTE, summary="Delete a webhook and its delivery log")
    async def delete_webhook(self, request: Request[Any, Any, Any], session: DbSession,
                             webhook_id: IdPath) -> None:
        await queries.delete(session, _owner(request), webhook_id)

    @post(_ONE + "/rotate-secret", **{**WEBHOOK_BODY_ROUTE, **_SECRET_OPT}, status_code=200,
          summary="Rotate the secret",
          description="Answers with the new secret, once. Until `previous_secret_until` (`overlap_seconds`, by "
                      "default WEBHOOKS_ROTATION_OVERLAP) every message carries both signatures; 0 ends the old "
                      "secret at once.")
    async def rotate_secret(self, request: Request[Any, Any, Any], session: DbSession, webhook_id: IdPath,
                            data: JSONBody[schemas.RotateSecret]) -> schemas.WebhookSecret:
        box = _box(request)
        overlap = (_settings(request).webhooks.rotation_overlap if data.overlap_seconds is None
                   else float(data.overlap_seconds))
        secret, until = await queries.rotate(session, _owner(request), webhook_id, box, overlap)
        return schemas.WebhookSecret(secret=secret, previous_secret_until=until)

    @get(_ONE + "/deliveries", **WEBHOOK_ROUTE, summary="Every delivery attempt, newest first")
    async def list_deliveries(self, request: Request[Any, Any, Any], session: DbSession, webhook_id: IdPath,
                              limit: Limit = 50, cursor: Cursor = None) -> schemas.DeliveryPage:
        rows = await queries.deliveries(session, _owner(request), webhook_id, decode_cursor(cursor, int), limit)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
        return schemas.DeliveryPage(data=[_delivery(row) for row in page], next_cursor=next_cursor)

    @idempotent_post(_ONE + "/redeliver", **WEBHOOK_BODY_ROUTE, status_code=202, summary="Send events again",
                     description="`from_seq`: every matching change from that seq on, again, in order (the "
                                 "cursor moves back). `delivery`: that one delivery's message, once more.")
    async def redeliver(self, request: Request[Any, Any, Any], session: DbSession, webhook_id: IdPath,
                        data: JSONBody[schemas.Redeliver]) -> schemas.Queued:
        await queries.redeliver(session, _owner(request), webhook_id, data)
        return schemas.Queued(queued=True)

    @idempotent_post(_ONE + "/test", **WEBHOOK_BODY_ROUTE, status_code=202, summary="Send a ping",
                     description="Body `{}`. A `webhook.ping` event, signed like any other, sent before the next "
                                 "change.")
    async def send_test(self, request: Request[Any, Any, Any], session: DbSession, webhook_id: IdPath,
                        data: JSONBody[schemas.Ping]) -> schemas.Queued:
        await queries.get(session, _owner(request), webhook_id)
        await queries.enqueue_send(session, webhook_id, None)
        return schemas.Queued(queued=True)
