"""What routes declare about access: the scope an API key needs, the rate-limit policy, and the OpenAPI parts.

Routes put these in their decorators; service.http.access reads `opt` on every call and enforces them.
"""

from __future__ import annotations

from typing import Any

from service.api.problems import responses

# What catalog write and feed routes declare: the scope, their limit, the OpenAPI security and problems.
WRITE_ROUTE: dict[str, Any] = {
    "opt": {"scope": "catalog:write", "rate_limit": "write"},
    "security": [{"apiKey": []}],
    "responses": responses(400, 401, 403, 404, 409, 422, 429, 503),
}
DELETE_ROUTE: dict[str, Any] = {  # DELETE honours If-Match, and reads no body, so it is never malformed (400)
    **WRITE_ROUTE, "responses": responses(401, 403, 404, 409, 412, 422, 429, 503),
}
CHANGE_ROUTE: dict[str, Any] = {  # PATCH honours If-Match too, and reads a body, which may be too large
    **WRITE_ROUTE, "responses": responses(400, 401, 403, 404, 409, 412, 413, 422, 429, 503),
}
# Corrections change the past, which ordinary writes cannot: a scope of their own, apart from catalog:write.
CORRECT_ROUTE: dict[str, Any] = {
    "opt": {"scope": "catalog:correct", "rate_limit": "write"},
    "security": [{"apiKey": []}],
    "responses": responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
}
FEED_ROUTE: dict[str, Any] = {
    "opt": {"scope": "feeds:read", "rate_limit": "feeds"},
    "security": [{"apiKey": []}],
    "responses": responses(401, 403, 422, 429, 503),
}
# /v1/webhooks: a partner manages its own subscriptions (another key's are not found).
WEBHOOK_ROUTE: dict[str, Any] = {
    "opt": {"scope": "webhooks:manage", "rate_limit": "write"},
    "security": [{"apiKey": []}],
    "responses": responses(401, 403, 404, 422, 503),
}
WEBHOOK_BODY_ROUTE: dict[str, Any] = {  # the routes that read a body, which may be malformed or too large
    **WEBHOOK_ROUTE, "responses": responses(400, 401, 403, 404, 413, 422, 503),
}
UNLIMITED: dict[str, Any] = {"rate_limit": None}
