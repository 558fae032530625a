"""From request bodies to core calls and back: every estimate prices from the in-process catalog snapshot.

Each function returns the response body and the ids of the price rows it used (for quotes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

import msgspec

from service.api.instants import parse_instant
from service.api.problems import ProblemError, not_found
from service.catalog import render
from service.catalog.schemas import CorrectionRef
from service.estimates import schemas
from service.pricing.charging import charged_at
from service.pricing.errors import InvalidValue, VariantNotOffered
from service.pricing.estimate import Estimate, SessionCost, check_retry_factor, estimate
from service.pricing.money import MONEY_CONTEXT, format_decimal, parse_decimal
from service.pricing.rules import Charged, variant_kind
from service.pricing.timeline import CorrectionNote, EffectivePrice
from service.pricing.usage import MoreUsage, Usage
from service.snapshot.catalog_snapshot import CatalogSnapshot


def usage_of(request: schemas.EstimateRequest | schemas.CompareRequest | schemas.MonthlyRequest) -> Usage:
    return Usage(request.input_tokens, request.output_tokens, request.cached_input_tokens, request.cache_write_tokens)


def estimate_usage_of(request: schemas.EstimateRequest) -> Usage:
    """The usage of an estimate, with what it says beyond the four token counts (usually nothing)."""
    more = None
    if (request.requests or request.audio_input_tokens or request.audio_output_tokens or request.image_input_tokens
            or request.image_output_tokens or request.cache_write_1h_tokens):
        more = MoreUsage(request.requests, request.audio_input_tokens, request.audio_output_tokens,
                         request.image_input_tokens, request.image_output_tokens, request.cache_write_1h_tokens)
    return Usage(request.input_tokens, request.output_tokens, request.cached_input_tokens, request.cache_write_tokens,
                 more)


def amount_of(value: Decimal, field: str) -> Decimal:
    """A decimal input held to the rules of every amount: finite, not negative, at most 10^12, at most 12 decimal
    places. msgspec already read it exactly, as a string or a JSON number; these bounds keep every product exact
    in MONEY_CONTEXT and refuse NaN, infinities and 1e-200."""
    return parse_decimal(value, field=field)


def retry_factor_of(value: Decimal) -> Decimal:
    if not value.is_finite():  # also keeps a signalling NaN, which cannot be hashed, out of the cache below
        return _checked_factor(value)
    return value if value == 1 else _known_factor(value)  # 1: the default, on nearly every estimate


def _checked_factor(value: Decimal) -> Decimal:
    return check_retry_factor(amount_of(value, "retry_factor"))


# A batch repeats a few factors (1.2, 1.8) thousands of times: each is checked once. Refused ones raise, so only
# valid factors are kept; equal values (1.8 and 1.80) share an entry and the same canonical result.
_known_factor = lru_cache(maxsize=1024)(_checked_factor)


def price_at(snapshot: CatalogSnapshot, model: str, at: datetime) -> EffectivePrice:
    """The price of `model`, a stored id (CatalogSnapshot.resolve), at `at`."""
    timeline = snapshot.timelines.get(model)
    if timeline is None:
        raise not_found("model", model)
    price = timeline.price_at(at)
    if price is None:
        raise ProblemError(404, "no-price-at-instant", "No price at that instant",
                           f"model '{model}' has no price at {at.isoformat()}")
    return price


def kind_of(request: schemas.EstimateRequest | schemas.CompareRequest | schemas.MonthlyRequest) -> str | None:
    """The variant asked for (batch, flex, priority), or None for the standard rate."""
    if request.processing == "standard" and request.service_tier == "standard":
        return None  # the usual case, on the estimate hot path
    return variant_kind(request.processing, request.service_tier)


def instants_of(
    request: schemas.EstimateRequest | schemas.CompareRequest, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """`at` (which price) and `requested_at` (which time window): each defaults to the other, both to now."""
    if request.requested_at is None:
        at = parse_instant(request.at) if request.at is not None else (now or parse_instant(None))
        return at, at
    requested_at = parse_instant(request.requested_at, field="requested_at")
    return (requested_at if request.at is None else parse_instant(request.at)), requested_at


def charge(found: EffectivePrice, model: str, usage: Usage, kind: str | None, requested_at: datetime) -> Charged:
    try:
        return charged_at(found, usage.prompt_tokens, kind, requested_at)
    except VariantNotOffered as exc:
        raise exc.about(f"model '{model}'") from None


NO_RULES_APPLIED = schemas.AppliedRules(context_tier=None, variant=None, time_window=None)


def applied_of(charged: Charged) -> schemas.AppliedRules:
    if charged.tier is None and charged.variant is None and charged.window is None:
        return NO_RULES_APPLIED
    return schemas.AppliedRules(
        context_tier=None if charged.tier is None else charged.tier.above_prompt_tokens,
        variant=None if charged.variant is None else charged.variant.kind,  # type: ignore[arg-type]
        time_window=None if charged.window is None else charged.window.name,
    )


def window_warning(found: EffectivePrice, request: schemas.EstimateRequest | schemas.CompareRequest,
                   requested_at: datetime) -> list[str]:
    if request.requested_at is not None or not found.period.rules.windows:
        return []
    names = ", ".join(window.name for window in found.period.rules.windows)
    return [f"this price changes with the time of day ({names}): it was priced for a request at "
            f"{requested_at.isoformat()}; send requested_at to price another instant"]


def cost_of(result: Estimate) -> schemas.Cost:
    cost = result.cost
    per_session = format_decimal(cost.per_session)
    # One session at a retry factor of 1, the usual request, costs per_session in total: format it once. Most
    # sessions have no cache reads or writes: their zeros skip the formatter.
    total = per_session if result.total is cost.per_session else format_decimal(result.total)
    if cost.more is not None:
        return _cost_with_more(cost, per_session, total)
    return schemas.Cost(
        input=format_decimal(cost.input), cached_input=format_decimal(cost.cached_input) if cost.cached_input else "0",
        output=format_decimal(cost.output), cache_write=format_decimal(cost.cache_write) if cost.cache_write else "0",
        per_session=per_session, total=total,
    )


def _cost_with_more(cost: SessionCost, per_session: str, total: str) -> schemas.Cost:
    more = cost.more
    assert more is not None
    return schemas.Cost(
        input=format_decimal(cost.input), cached_input=format_decimal(cost.cached_input),
        output=format_decimal(cost.output), cache_write=format_decimal(cost.cache_write),
        per_session=per_session, total=total, requests=format_decimal(more.requests),
        audio_input=format_decimal(more.audio_input), audio_output=format_decimal(more.audio_output),
        image_input=format_decimal(more.image_input), image_output=format_decimal(more.image_output),
        cache_write_1h=format_decimal(more.cache_write_1h),
    )


def factor_text(factor: Decimal) -> str:
    return "1" if factor == 1 else format_decimal(factor)  # the default, on nearly every estimate


Body = TypeVar("Body", covariant=True)  # a Priced[BatchResult] is a Priced[Struct]: it is never changed


class Priced(NamedTuple, Generic[Body]):
    """An answer's body, and the ids of the price rows it was priced with (a quote keeps them)."""

    body: Body
    price_ids: list[int]


class EstimatedOne(NamedTuple):
    body: schemas.EstimateResult
    result: Estimate  # the core's, for a batch's total
    price_id: int


class _Looked(NamedTuple):
    model: str  # the stored id the request's model names (docs/offerings.md)
    effective: EffectivePrice
    rendered: schemas.EffectivePriceOut


PricesSeen = dict[tuple[str, datetime], _Looked]


def _marked(
    rendered: schemas.EffectivePriceOut, corrections: tuple[CorrectionNote, ...], at: datetime
) -> schemas.EffectivePriceOut:
    """The price, naming the corrections of the model's past that cover `at`: it was priced on corrected data.
    A model never corrected (nearly all) costs one test of an empty tuple; no correction, no field, same bytes."""
    if not corrections:
        return rendered
    covering = [CorrectionRef(id=c.id, reason=c.reason) for c in corrections if c.covers(at)]
    return msgspec.structs.replace(rendered, corrections=covering) if covering else rendered


def corrections_in(
    snapshot: CatalogSnapshot, models_and_stretches: Iterable[tuple[str, datetime, datetime | None]], instant: bool
) -> list[CorrectionRef]:
    """The corrections of the snapshot's models covering each instant `start` (instant) or meeting each stretch
    `[start, end)`, each once, oldest first: what an answer priced on corrected data names. Empty for most."""
    found: dict[int, CorrectionRef] = {}
    for model, start, end in models_and_stretches:
        for c in snapshot.timelines[model].corrections:
            if c.covers(start) if instant else c.meets(start, end):
                found[c.id] = CorrectionRef(id=c.id, reason=c.reason)
    return [found[key] for key in sorted(found)]


def refuse_known_at(known_at: str | None) -> None:
    """The snapshot knows only the present: an estimate asked with `known_at` that reaches it is refused rather than
    answered for now. The routes that read it (service.estimates.as_of) take it off before they get here."""
    if known_at is not None:
        raise InvalidValue("known_at is read by the estimate routes (docs/history.md), not yet by a quote",
                           "known_at")


def estimate_one(
    snapshot: CatalogSnapshot, request: schemas.EstimateRequest, now: datetime | None = None,
    seen: PricesSeen | None = None,
) -> EstimatedOne:
    """The estimate body, the core result (for totals) and the price row used.

    `seen` keeps the prices already looked up and rendered, by model and instant, across a batch's items.
    """
    refuse_known_at(request.known_at)
    at, requested_at = instants_of(request, now)
    usage = estimate_usage_of(request)
    factor = retry_factor_of(request.retry_factor)
    looked = None if seen is None else seen.get((request.model, at))
    if looked is None:
        model = snapshot.resolve(request.model, at)
        effective = price_at(snapshot, model, at)
        looked = _Looked(model, effective, _marked(render.effective_price(model, at, effective),
                                                   snapshot.timelines[model].corrections, at))
        if seen is not None:
            seen[(request.model, at)] = looked
    model, effective, rendered = looked
    charged = charge(effective, model, usage, kind_of(request), requested_at)
    result = estimate(charged.rates, usage, request.sessions, factor)
    body = schemas.EstimateResult(
        model=model, at=at, requested_at=requested_at, currency="USD", price=rendered,
        rates=rendered.effective if charged.rates is effective.effective else render.token_prices(charged.rates),
        applied_rules=applied_of(charged), cost=cost_of(result), sessions=request.sessions,
        retry_factor=factor_text(factor), warnings=[*result.warnings],
    )
    if effective.period.rules.windows:
        body.warnings += window_warning(effective, request, requested_at)
    return EstimatedOne(body, result, effective.period.id)


def total_of(results: list[Estimate]) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return sum((r.total for r in results), Decimal(0))
