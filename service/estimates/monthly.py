"""A month of sessions on one model or a mix: spread evenly over a calendar month, or priced at one instant."""

from __future__ import annotations

from decimal import Decimal, localcontext

from service.catalog.snapshot import CatalogSnapshot
from service.estimates import schemas
from service.estimates.compute import price_at, retry_factor_of, usage_of
from service.instants import parse_instant
from service.pricing.charging import PriceGapError
from service.pricing.estimate import estimate
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.monthly import month_window, spread_over_window
from service.pricing.usage import Usage
from service.problems import ProblemError, invalid, not_found


def _shares(request: schemas.MonthlyRequest) -> list[tuple[str, Decimal]]:
    if (request.model is None) == (request.mix is None):
        raise invalid("model", "send either `model` or `mix` (a list of {model, share}), not both or neither")
    if request.model is not None:
        return [(request.model, Decimal(1))]
    mix = request.mix or []
    if len({item.model for item in mix}) != len(mix):
        raise invalid("mix", "each model may appear once in `mix`")
    for item in mix:
        if not item.share.is_finite() or not 0 < item.share <= 1:
            raise invalid("mix", f"share of {item.model} must be above 0 and at most 1, got {item.share}")
    with localcontext(MONEY_CONTEXT):
        total = sum((item.share for item in mix), Decimal(0))
    if total != 1:
        raise invalid("mix", f"the shares of `mix` must add up to exactly 1, they add up to {format_decimal(total)}")
    return [(item.model, item.share) for item in mix]


def monthly_estimate(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest
) -> tuple[schemas.MonthlyResult, list[int]]:
    usage = usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    periods: list[schemas.MonthlyPeriod] = []
    warnings: list[str] = []
    for model, share in _shares(request):
        with localcontext(MONEY_CONTEXT):
            sessions = request.sessions_per_month * share
        if request.month is None:
            periods.append(_at_instant(snapshot, request, model, usage, sessions, factor, warnings))
        else:
            periods += _over_month(snapshot, request, model, usage, sessions, factor, warnings)
    with localcontext(MONEY_CONTEXT):
        total = sum((Decimal(p.cost) for p in periods), Decimal(0))
    return schemas.MonthlyResult(
        month=request.month, timezone=request.timezone, sessions=request.sessions_per_month,
        total=format_decimal(total), periods=periods, warnings=list(dict.fromkeys(warnings)),
    ), sorted({p.price_id for p in periods})


def _at_instant(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest, model: str, usage: Usage, sessions: Decimal,
    factor: Decimal, warnings: list[str],
) -> schemas.MonthlyPeriod:
    at = parse_instant(request.at)
    found = price_at(snapshot, model, at)
    result = estimate(found.effective, usage, sessions, factor)
    warnings += result.warnings
    return schemas.MonthlyPeriod(
        model=model, from_=at, to=None, sessions=format_decimal(sessions),
        per_session=format_decimal(result.cost.per_session), cost=format_decimal(result.total),
        price_id=found.period.id,
    )


def _over_month(
    snapshot: CatalogSnapshot, request: schemas.MonthlyRequest, model: str, usage: Usage, sessions: Decimal,
    factor: Decimal, warnings: list[str],
) -> list[schemas.MonthlyPeriod]:
    try:
        start, end = month_window(request.month or "", request.timezone)
    except ValueError as exc:
        field = "timezone" if "timezone" in str(exc) else "month"
        raise invalid(field, str(exc)) from None
    timeline = snapshot.timelines.get(model)
    if timeline is None:
        raise not_found("model", model)
    try:
        spread = spread_over_window(timeline, usage, sessions, factor, start, end)
    except PriceGapError as gap:
        detail = f"model '{model}' has no price from {gap.start.isoformat()} to {gap.end.isoformat()}"
        raise ProblemError(404, "no-price-at-instant", "No price for part of the month", detail) from None
    warnings += spread.warnings
    return [
        schemas.MonthlyPeriod(
            model=model, from_=p.start, to=p.end, sessions=format_decimal(p.sessions),
            per_session=format_decimal(p.estimate.cost.per_session), cost=format_decimal(p.estimate.total),
            price_id=p.price.period.id,
        )
        for p in spread.periods
    ]
