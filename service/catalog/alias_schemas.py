"""Request and response bodies of /v1/aliases."""

from __future__ import annotations

from datetime import datetime

from service.api.structs import Alias, Instant, ModelId, Schema, Source
from service.pricing.errors import InvalidValue


class AliasOut(Schema):
    id: int
    alias: Alias
    model: ModelId
    valid_from: datetime
    valid_to: datetime | None
    source: str
    recorded_at: datetime


class AliasCreate(Schema):
    alias: Alias
    model: ModelId
    source: Source
    valid_from: Instant | None = None  # None: from the write's moment on
    valid_to: Instant | None = None

    def __post_init__(self) -> None:
        if self.valid_from is not None and self.valid_to is not None and self.valid_to <= self.valid_from:
            raise InvalidValue("valid_to must be later than valid_from: periods are half-open", "valid_to")


class AliasClose(Schema):
    """The one change an alias takes: its open period ends."""

    valid_to: Instant


class AliasPage(Schema):
    data: list[AliasOut]
    next_cursor: str | None
