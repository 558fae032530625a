"""Rows and core results turned into response bodies; money goes through the one formatter."""

from __future__ import annotations

import weakref
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import msgspec

from service.catalog import rules, schemas
from service.db.models import ModelRow, PriceRow, PromotionRow, ProviderRow
from service.pricing.money import format_decimal
from service.pricing.prices import MORE_PRICES, TokenPrices
from service.pricing.timeline import EffectivePrice


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def provider(row: ProviderRow) -> schemas.ProviderOut:
    return schemas.ProviderOut(id=row.id, name=row.name, created_at=row.created_at, updated_at=row.updated_at)


def model(row: ModelRow) -> schemas.ModelOut:
    return schemas.ModelOut(
        id=row.id, provider=row.provider_id, name=row.name, open_weights=row.open_weights,
        context_window=row.context_window, released_on=row.released_on,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def price(row: PriceRow) -> schemas.PricePeriodOut:
    return schemas.PricePeriodOut(
        id=row.id, model=row.model_id, valid_from=row.valid_from, valid_to=row.valid_to, currency="USD",
        input_per_mtok=format_decimal(row.input_per_mtok), output_per_mtok=format_decimal(row.output_per_mtok),
        cache_read_per_mtok=_money(row.cache_read_per_mtok), cache_write_per_mtok=_money(row.cache_write_per_mtok),
        source=row.source, recorded_at=row.recorded_at, backfill=row.backfill,
        rules=msgspec.convert(row.rules, schemas.PriceRulesOut), correction_id=row.correction_id,
        per_request=_money(row.per_request), audio_input_per_mtok=_money(row.audio_input_per_mtok),
        audio_output_per_mtok=_money(row.audio_output_per_mtok), image_input_per_mtok=_money(row.image_input_per_mtok),
        image_output_per_mtok=_money(row.image_output_per_mtok),
        cache_write_1h_per_mtok=_money(row.cache_write_1h_per_mtok),
    )


def promotion(row: PromotionRow) -> schemas.PromotionOut:
    return schemas.PromotionOut(
        id=row.id, name=row.name, model=row.model_id, percent_off=format_decimal(row.percent_off),
        valid_from=row.valid_from, valid_to=row.valid_to, source=row.source, backfill=row.backfill,
    )


def token_prices(prices: TokenPrices) -> schemas.TokenPricesOut:
    more = {}
    if prices.has_more:  # the known prices beyond the four token prices; the unknown ones are left out
        more = {name: format_decimal(price) for name, price in zip(MORE_PRICES, prices.more(), strict=True)
                if price is not None}
    return schemas.TokenPricesOut(
        input_per_mtok=format_decimal(prices.input_per_mtok),
        output_per_mtok=format_decimal(prices.output_per_mtok),
        cache_read_per_mtok=_money(prices.cache_read_per_mtok),
        cache_write_per_mtok=_money(prices.cache_write_per_mtok),
        **more,
    )


class _PriceParts(NamedTuple):
    listed: schemas.TokenPricesOut
    promotions: list[schemas.ActivePromotion]
    effective: schemas.TokenPricesOut
    rules: schemas.PriceRulesOut


# Rendered parts by the identity of the snapshot's EffectivePrice objects: one model's price is formatted once,
# not on every estimate. An entry lives exactly as long as its price object: when a snapshot update drops a
# model's old timeline, its entries go with it, so the cache follows the catalog, not the number of writes.
_PARTS: dict[int, _PriceParts] = {}


def _price_parts(price: EffectivePrice) -> _PriceParts:
    parts = _PARTS.get(id(price))
    if parts is not None:
        return parts
    parts = _PriceParts(
        listed=token_prices(price.period.prices),
        promotions=[schemas.ActivePromotion(id=d.id, name=d.name, percent_off=format_decimal(d.percent_off))
                    for d in price.discounts],
        effective=token_prices(price.effective),
        rules=rules.render(price.period.rules),
    )
    _PARTS[id(price)] = parts
    weakref.finalize(price, _PARTS.pop, id(price), None)
    return parts


def effective_price(model_id: str, at: datetime, price: EffectivePrice) -> schemas.EffectivePriceOut:
    parts = _price_parts(price)
    return schemas.EffectivePriceOut(
        model=model_id, at=at, currency="USD", price_id=price.period.id, list=parts.listed,
        promotions=parts.promotions, effective=parts.effective, rules=parts.rules,
    )
