"""Request and response bodies of /v1/webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from service.api.structs import ModelId, Schema, Slug
from service.feeds.webhooks.events import valid_pattern
from service.pricing.errors import InvalidValue

Url = Annotated[str, Meta(min_length=1, max_length=2000, examples=["https://partner.example/hooks/pricing"])]
EventPattern = Annotated[str, Meta(min_length=1, max_length=100, examples=["price.created", "offering.*", "*"])]
Description = Annotated[str, Meta(max_length=500)]


def _check_patterns(event_types: list[str]) -> None:
    if not event_types:
        raise InvalidValue("event_types must name at least one event type, or '*'", "event_types")
    for index, pattern in enumerate(event_types):
        if not valid_pattern(pattern):
            raise InvalidValue(f"'{pattern}' is not an event type, 'resource.*' or '*' (docs/webhooks.md)",
                               "event_types", index)


class WebhookCreate(Schema):
    url: Url
    event_types: Annotated[list[EventPattern], Meta(max_length=50)]
    providers: Annotated[list[Slug], Meta(max_length=100)] | None = None
    models: Annotated[list[ModelId], Meta(max_length=100)] | None = None
    description: Description = ""

    def __post_init__(self) -> None:
        _check_patterns(self.event_types)


class WebhookChange(Schema):
    """PATCH: only the fields sent change; `enabled: true` re-enables a disabled subscription."""

    url: Url | UnsetType = UNSET
    event_types: Annotated[list[EventPattern], Meta(max_length=50)] | UnsetType = UNSET
    providers: Annotated[list[Slug], Meta(max_length=100)] | UnsetType | None = UNSET
    models: Annotated[list[ModelId], Meta(max_length=100)] | UnsetType | None = UNSET
    description: Description | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.event_types is not UNSET:
            _check_patterns(self.event_types)


class WebhookOut(Schema):
    id: int
    url: str
    event_types: list[str]
    providers: list[str] | None
    models: list[str] | None
    description: str
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    # Every change up to this seq was delivered or given up; the next event is the first matching one after it.
    delivered_seq: int
    failing_since: datetime | None
    next_attempt_at: datetime
    last_success_at: datetime | None
    previous_secret_until: datetime | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    # Shown once: only its encrypted form is kept.
    secret: str


class RotateSecret(Schema):
    # How long the old secret keeps signing; 0 ends it at once (a leaked secret). Default: the service's setting.
    overlap_seconds: Annotated[int, Meta(ge=0, le=7 * 24 * 3600)] | None = None


class Ping(Schema):
    """POST /test takes an empty object: `{}`."""


class WebhookSecret(Schema):
    secret: str
    previous_secret_until: datetime


class WebhookPage(Schema):
    data: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    seq: int | None
    attempt: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    duration_ms: int
    error: str | None  # the class of failure: timeout, connect, refused_target, http_status, ...
    response_excerpt: str | None  # the answer's first KiB


class DeliveryPage(Schema):
    data: list[DeliveryOut]
    next_cursor: str | None


class Redeliver(Schema):
    """Exactly one of: `from_seq` (every matching change from that seq on, again, in order) or `delivery`."""

    from_seq: Annotated[int, Meta(ge=1, le=2**63 - 1)] | None = None
    delivery: Annotated[int, Meta(ge=1, le=2**63 - 1)] | None = None

    def __post_init__(self) -> None:
        if (self.from_seq is None) == (self.delivery is None):
            raise InvalidValue("send exactly one of from_seq and delivery", "")


class Queued(Schema):
    queued: bool
