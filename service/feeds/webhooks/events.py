"""The event catalogue: which change of the log is which event type, who wants it, and the payload sent.

Event types are the change log's kinds, with two renamings that partners asked for: a model row whose id is
`provider/model` is another seller's offering (`offering.*`), and a deleted promotion has `ended`. A kind the
log gains later (`correction.created`) goes out under its own name to `*` subscribers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import msgspec

EVENT_TYPES = (
    "provider.created", "provider.updated", "provider.deleted",
    "model.created", "model.updated", "model.deleted",
    "offering.created", "offering.updated", "offering.deleted",
    "price.created", "price.updated",
    "promotion.created", "promotion.updated", "promotion.ended",
    "alias.created", "alias.updated",
    "correction.created",
)
RESOURCES = tuple(dict.fromkeys(event.split(".")[0] for event in EVENT_TYPES))
PING = "webhook.ping"


def valid_pattern(pattern: str) -> bool:
    """`*`, an event type, or `resource.*`."""
    return pattern == "*" or pattern in EVENT_TYPES or (pattern.endswith(".*") and pattern[:-2] in RESOURCES)


class LoggedChange(NamedTuple):
    """One row of the change log, with the provider and model it concerns (None when it concerns none)."""

    seq: int
    kind: str
    recorded_at: datetime
    object: dict[str, Any]  # in the catalog API's shape (service.feeds.changes.api_object)
    provider: str | None
    model: str | None

    @property
    def event_type(self) -> str:
        resource, _, action = self.kind.partition(".")
        if resource == "model" and "/" in str(self.object.get("id", "")):
            return f"offering.{action}"
        if self.kind == "promotion.deleted":
            return "promotion.ended"
        return self.kind


def wanted(change: LoggedChange, event_types: list[str], providers: list[str] | None,
           models: list[str] | None) -> bool:
    event = change.event_type
    resource = event.split(".")[0]
    if not any(p == "*" or p == event or p == f"{resource}.*" for p in event_types):
        return False
    if providers and change.provider not in providers:
        return False
    return not models or change.model in models


def link(change: LoggedChange) -> str | None:
    """Where the changed resource is read in this API (a deleted one answers 404 there)."""
    obj, resource = change.object, change.kind.split(".")[0]
    paths = {
        "provider": lambda: f"/v1/providers/{obj['id']}",
        "model": lambda: f"/v1/models/{obj['id']}",
        "price": lambda: f"/v1/models/{obj['model']}/prices",
        "promotion": lambda: f"/v1/promotions/{obj['id']}",
        "alias": lambda: f"/v1/aliases/{obj['id']}",
    }
    try:
        return paths[resource]() if resource in paths else None
    except KeyError:
        return None


_ENCODER = msgspec.json.Encoder()


def message_id(subscription_id: int, seq: int) -> str:
    # One id per event and subscription, the same on every retry and redelivery: receivers deduplicate by it.
    return f"msg_{subscription_id}_{seq}"


def payload(change: LoggedChange) -> bytes:
    """The Standard Webhooks envelope (type, timestamp, data); data is the change feed's entry and a link."""
    return _ENCODER.encode({
        "type": change.event_type,
        "timestamp": change.recorded_at,
        "data": {"seq": change.seq, "kind": change.kind, "recorded_at": change.recorded_at,
                 "object": change.object, "link": link(change)},
    })


def ping_payload(subscription_id: int, at: datetime) -> bytes:
    return _ENCODER.encode({"type": PING, "timestamp": at, "data": {"subscription": subscription_id}})
