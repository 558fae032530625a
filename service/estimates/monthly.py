"""A month of sessions on one model or a mix: spread evenly over a calendar month, or priced at one instant."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import NamedTuple

import msgspec

from service.api.instants import parse_instant
from service.api.problems import ProblemError, invalid, not_found
from service.catalog import render
from service.estimates import schemas
from service.estimates.compute import (
    Priced,
    amount_of,
    applied_of,
    charge,
    corrections_in,
    kind_of,
    price_at,
    refuse_known_at,
    retry_factor_of,
    usage_of,
)
from service.pricing.charging import PriceGapError
from service.pricing.errors import InputError, InvalidAmount, NoActiveHours, VariantNotOffered
from service.pricing.estimate import estimate
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.monthly import month_window, spread_over_window
from service.pricing.usage import Usage
from service.pricing.windows import DailyWindow, parse_clock, parse_days
from service.snapshot.catalog_snapshot import CatalogSnapshot


def _shares(request: schemas.MonthlyRequest) -> list[tuple[str, Decimal]]:
    if (request.model is None) == (request.mix is None):
        raise invalid("model", "send either `model` or `mix` (a list of {model, share}), not both or neither")
    if request.model is not None:
        return [(request.model, Decimal(1))]
    mix = request.mix or []
    if len({item.model for item in mix}) != len(mix):
        raise invalid("mix", "each model may appear once in `mix`")
    shares = [_share_of(item.share, number) for number, item in enumerate(mix)]
    for number, (item, share) in enumerate(zip(mix, shares, strict=True)):
        if not 0 < share <= 1:
            raise InvalidAmount(f"share of {item.model} must be above 0 and at most 1, got {format_decimal(share)}",
                                "mix", number, "share")
    with localcontext(MONEY_CONTEXT):
        total = sum(shares, Decimal(0))
    if total != 1:
        raise invalid("mix", f"the shares of `mix` must add up to exactly 1, they add up to {format_decimal(total)}")
    return [(item.model, share) for item, share in zip(mix, shares, strict=True)]


class Prepared(NamedTuple):
    usage: Usage
    retry_factor: Decimal
    variant: str | None
    hours: DailyWindow | None  # None: evenly over the whole month


def prepared(request: schemas.MonthlyRequest) -> Prepared:
    """What every model of the request is priced with, checked: a fault here is the whole request's."""
    refuse_known_at(request.known_at)
    if request.month is not None:
        month_window(request.month, request.timezone)
    return Prepared(usage_of(request), retry_factor_of(request.retry_factor), kind_of(request),
                    _distribution(request))


def models_named(snapshot: CatalogSnapshot, names: list[str]) -> set[str]:
    """The stored ids that monthly_estimate prices for these names, by the same resolution; a name that does not
    resolve is left out (its estimate fails with its own problem when it is priced)."""
    found = set()
    for name in names:
        try:
            found.add(snapshot.resolve(name))
        except (InputError, ProblemError):
            continue
    return found


def mixed_names(request: schemas.MonthlyRequest) -> list[str]:
    """The model names a monthly request prices: its `model`, or its mix's."""
    return [request.model] if request.model is not None else [item.model for item in request.mix or []]


def monthly_estimate(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest
) -> Priced[schemas.MonthlyResult]:
    usage, factor, kind, hours = prepared(request)
    periods: list[schemas.MonthlyPeriodOut] = []
    warnings: list[str] = []
    for named, share in _shares(request):
        model = snapshot.resolve(named)
        with localcontext(MONEY_CONTEXT):
            sessions = request.sessions_per_month * share
        if request.month is None:
            periods.append(_at_instant(snapshot, request, model, usage, sessions, factor, kind, warnings))
        else:
            periods += _over_month(snapshot, request, model, usage, sessions, factor, kind, hours, warnings)
    with localcontext(MONEY_CONTEXT):
        total = sum((Decimal(p.cost) for p in periods), Decimal(0))
    result = schemas.MonthlyResult(
        month=request.month, timezone=request.timezone, sessions=request.sessions_per_month,
        total=format_decimal(total), periods=periods, warnings=list(dict.fromkeys(warnings)),
        distribution=request.distribution,
    )
    # A stretch's `to` is None only for a month priced at the one instant `at`: then it is that instant's.
    corrections = corrections_in(snapshot, ((p.model, p.from_, p.to) for p in periods), instant=request.month is None)
    if corrections:  # priced on corrected data; without any, the answer keeps its bytes
        result.corrections = corrections
    return Priced(result, sorted({p.price_id for p in periods}))


def _at_instant(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest, model: str, usage: Usage, sessions: Decimal,
    factor: Decimal, kind: str | None, warnings: list[str],
) -> schemas.MonthlyPeriodOut:
    at = parse_instant(request.at)
    found = price_at(snapshot, model, at)
    charged = charge(found, model, usage, kind, at)
    result = estimate(charged.rates, usage, sessions, factor)
    warnings += result.warnings
    if found.period.rules.windows:
        warnings.append(f"model '{model}' changes price with the time of day: every session was priced at "
                        f"{at.isoformat()}; send `month` to spread them over the day")
    return schemas.MonthlyPeriodOut(
        model=model, from_=at, to=None, sessions=format_decimal(sessions),
        per_session=format_decimal(result.cost.per_session), cost=format_decimal(result.total),
        price_id=found.period.id, rates=render.token_prices(charged.rates), applied_rules=applied_of(charged),
    )


def _share_of(share: Decimal, number: int) -> Decimal:
    try:
        return amount_of(share, "share")
    except InputError as exc:
        raise exc.within("mix", number) from None


def _over_month(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest, model: str, usage: Usage, sessions: Decimal,
    factor: Decimal, kind: str | None, hours: DailyWindow | None, warnings: list[str],
) -> list[schemas.MonthlyPeriodOut]:
    start, end = month_window(request.month or "", request.timezone)
    timeline = snapshot.timelines.get(model)
    if timeline is None:
        raise not_found("model", model)
    active = None if hours is None else hours.spans(start, end)
    try:
        spread = spread_over_window(timeline, usage, sessions, factor, start, end, kind=kind, active=active)
    except PriceGapError as gap:
        detail = f"model '{model}' has no price from {gap.start.isoformat()} to {gap.end.isoformat()}"
        raise ProblemError(404, "no-price-at-instant", "No price for part of the month", detail) from None
    except VariantNotOffered as exc:
        raise exc.about(f"model '{model}'") from None
    except NoActiveHours as exc:
        raise exc.within("distribution") from None
    warnings += spread.warnings
    # A month cut by a daily window repeats two or three sets of rates over some 60 periods: each rendered once.
    rendered: dict[int, tuple[str, schemas.TokenPricesOut, schemas.AppliedRules]] = {}
    periods = []
    for p in spread.periods:
        parts = rendered.get(id(p.charged))
        if parts is None:
            parts = rendered[id(p.charged)] = (format_decimal(p.estimate.cost.per_session),
                                               render.token_prices(p.charged.rates), applied_of(p.charged))
        per_session, rates, applied = parts
        periods.append(schemas.MonthlyPeriodOut(
            model=model, from_=p.start, to=p.end, sessions=format_decimal(p.sessions), per_session=per_session,
            cost=format_decimal(p.estimate.total), price_id=p.price.period.id, rates=rates, applied_rules=applied,
        ))
    return periods


_OFFICE_HOURS = schemas.Hours(days=["mon", "tue", "wed", "thu", "fri"], start="09:00", end="17:00")


def _distribution(request: schemas.MonthlyRequest) -> DailyWindow | None:
    """The hours of the day the sessions fall in, or None for evenly over the whole month."""
    chosen = request.distribution
    if chosen is None or isinstance(chosen, schemas.UniformDistribution):
        return None
    if request.month is None:
        raise invalid("distribution", "a distribution over the day needs `month`: without it every session is "
                                      "priced at the one instant `at`")
    if isinstance(chosen, schemas.OfficeHours):
        chosen = msgspec.structs.replace(_OFFICE_HOURS, timezone=chosen.timezone)
    days = chosen.days or ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    try:
        return DailyWindow(chosen.timezone or request.timezone, parse_days(days),
                           parse_clock(chosen.start, "start"), parse_clock(chosen.end, "end", allow_24=True))
    except InputError as exc:
        raise exc.within("distribution") from None
