"""Request and response bodies of corrections: `POST /v1/models/{id}/corrections` and `GET /v1/corrections`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from service.api.problems import invalid
from service.api.structs import Instant, ModelId, Name, Schema, Source
from service.catalog.schemas import (
    PercentOff,
    PercentOffOrUnset,
    PricePeriodCreate,
    PricePeriodOut,
    PromotionOut,
    check_percent,
)
from service.pricing.errors import InvalidValue

Reason = Annotated[str, Meta(min_length=1, max_length=2000, description="why the past is corrected")]


class CorrectedPromotion(Schema):
    """A promotion as the correction says it was: the model is the corrected one."""

    name: Name
    percent_off: PercentOff
    valid_from: Instant
    source: Source
    valid_to: Instant | None = None

    def __post_init__(self) -> None:
        self.percent_off = check_percent(self.percent_off)


class CorrectionCreate(Schema):
    """Replaces what the catalog says about the stretch [valid_from, valid_to) of valid time: the model's prices
    there when `prices` is given (an empty list: no price there), its promotions when `promotions` is."""

    reason: Reason
    valid_from: Instant
    valid_to: Instant | None = None
    prices: list[PricePeriodCreate] | None = None
    promotions: list[CorrectedPromotion] | None = None

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise InvalidValue("valid_to must be later than valid_from: the stretch is half-open", "valid_to")
        if self.prices is None and self.promotions is None:
            raise InvalidValue("give `prices`, `promotions` or both: what the stretch holds instead", "prices")
        periods = [("prices", index, row.valid_from, row.valid_to) for index, row in enumerate(self.prices or [])]
        periods += [("promotions", index, row.valid_from, row.valid_to)
                    for index, row in enumerate(self.promotions or [])]
        for field, index, start, end in periods:
            if not _within(start, end, self.valid_from, self.valid_to):
                raise invalid(f"{field}[{index}].valid_from",
                              "each corrected period must lie within the stretch [valid_from, valid_to)")


def _within(start: datetime, end: datetime | None, outer_start: datetime, outer_end: datetime | None) -> bool:
    if start < outer_start:
        return False
    if outer_end is None:
        return True
    return end is not None and end <= outer_end


class CorrectedPrices(Schema):
    old: list[PricePeriodOut]
    new: list[PricePeriodOut]


class CorrectedPromotions(Schema):
    old: list[PromotionOut]
    new: list[PromotionOut]


class CorrectionOut(Schema):
    """What a correction changed, old and new side by side. Kept periods cut at the stretch's edges are among the
    new ones: each superseded row is replaced by its parts outside the stretch and the stretch's new rows."""

    id: int
    model: ModelId
    reason: str
    key_id: int | None
    recorded_at: datetime
    valid_from: datetime
    valid_to: datetime | None
    prices: CorrectedPrices
    promotions: CorrectedPromotions


class CorrectionPage(Schema):
    data: list[CorrectionOut]
    next_cursor: str | None


class PromotionCorrection(Schema):
    """What one promotion really was. The fields given replace the promotion's own; `withdrawn: true` says it never
    was. The model's correction endpoint does the work (docs/history.md), over the stretch the promotion covered
    before and after."""

    reason: Reason
    name: Name | UnsetType = UNSET
    percent_off: PercentOffOrUnset = UNSET
    valid_from: Instant | UnsetType = UNSET
    valid_to: Instant | UnsetType | None = UNSET
    source: Source | UnsetType = UNSET
    withdrawn: Annotated[bool, Meta(description="the promotion never was: it is removed from its whole period")] = False

    def __post_init__(self) -> None:
        changed = [name for name in ("name", "percent_off", "valid_from", "valid_to", "source")
                   if getattr(self, name) is not UNSET]
        if self.withdrawn and changed:
            raise invalid(changed[0], "a withdrawn promotion takes no other field: it never was")
        if not self.withdrawn and not changed:
            raise invalid("withdrawn", "give the fields that were wrong (name, percent_off, valid_from, valid_to, "
                                       "source), or withdrawn: true if the promotion never was")
        if self.percent_off is not UNSET:
            self.percent_off = check_percent(self.percent_off)
