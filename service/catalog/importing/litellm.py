"""Reading LiteLLM's model_prices_and_context_window.json into offerings, with every price held or named.

Each entry is one offering of its `litellm_provider` (providers.py, offering_ids.py). Held: the four token
prices, context tiers (`tiered_pricing` tables, or `*_above_Nk_tokens` keys), batch, flex and priority rates,
off-peak hours every day or by weekday (rules.py, off_peak.py), and the fee per request, audio and image token
prices and one-hour cache writes where our rules charge them as LiteLLM does (_more). Numbers follow amounts.py's
one rule. Every other price is named in the books with its reason (litellm_components.py); an entry without input
and output prices per token is skipped, with its reason.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import msgspec

from service.catalog.importing.accounting import Books, Entry
from service.catalog.importing.amounts import per_million
from service.catalog.importing.entries import ImportedModel, ImportedPrice, Parsed, parsed_of, token_prices, window_of
from service.catalog.importing.litellm_components import components, reason_for
from service.catalog.importing.litellm_keys import CACHE_READ, MORE_KEYS, OUTPUT, PER_REQUEST, PRICE_KEYS
from service.catalog.importing.off_peak import OFF_PEAK, off_peak_windows
from service.catalog.importing.offering_ids import model_slug
from service.catalog.importing.providers import litellm_seller, offering_id
from service.catalog.importing.rules import LeftOut, group_of, litellm_rules, mtok
from service.catalog.importing.tiered_table import TABLE, Table, read_table
from service.pricing.money import MoneyError
from service.pricing.rules import PriceRules, RuleError
from service.pricing.windows import WindowError

# Numbers are decoded as the floats the file means; amounts.py turns each into its shortest decimal.
_DECODER = msgspec.json.Decoder(dict[str, Any])
_DOCUMENTATION = "sample_spec"
_SUPERSEDED = "superseded by the table"  # the file's description of its own keys, not an entry


class Skip(ValueError):
    """An entry that cannot be imported; the message says why."""


def parse_litellm(raw: bytes) -> Parsed:
    books = Books()
    candidates = []
    for key, entry in _DECODER.decode(raw).items():
        if key == _DOCUMENTATION:
            continue
        if not isinstance(entry, dict):
            Entry(books, key, ()).skipped("not an object")
            continue
        prices = list(components(entry))
        account = Entry(books, key, (name for name, _ in prices))
        try:
            model = _model(key, entry, account)
        except (Skip, MoneyError, RuleError, WindowError) as exc:
            account.skipped(str(exc))
            continue
        _report_rounding(account, prices)
        candidates.append((model.id, key, (model, account)))
    return parsed_of(candidates, books, reason_for, "litellm")


def _model(key: str, entry: dict[str, Any], account: Entry) -> ImportedModel:
    provider = entry.get("litellm_provider")
    if not isinstance(provider, str):
        alias = entry.get("alias_of")
        raise Skip(f"an alias of {alias}, with no prices of its own" if alias else "no litellm_provider")
    seller = litellm_seller(provider)
    model = model_slug(key, seller)
    if not model:
        raise Skip("no model id in its key")
    price = _price(entry, account)
    return ImportedModel(id=offering_id(seller, model), provider=seller.id, name=key,
                         context_window=window_of(entry.get("max_input_tokens")), prices=[price], source_key=key)


def _price(entry: dict[str, Any], account: Entry) -> ImportedPrice:
    left_out: dict[str, str] = {}
    table = read_table(entry, left_out)
    if table is None:
        base = token_prices([mtok(entry.get(name), name, per_token=True) for name in PRICE_KEYS])
    else:
        base = table.base
    rules, held = litellm_rules(entry, base, left_out, None if table is None else table.tiers)
    held.add("base" if table is None else TABLE)
    try:
        windows = off_peak_windows(entry.get("off_peak_pricing"), base, bool(rules.tiers or rules.variants))
        held.add(OFF_PEAK)
    except LeftOut as exc:
        left_out[OFF_PEAK], windows = f"off-peak {exc}", ()
    rules = PriceRules(rules.tiers, windows, rules.variants)
    more = _more(entry, rules, held, left_out)
    _decide(entry, account, table, held, left_out)
    return replace(ImportedPrice.of(None, base, rules), more=more)


def _more(entry: dict[str, Any], rules: PriceRules, held: set[str],
          left_out: dict[str, str]) -> tuple[Decimal | None, ...]:
    """The fee per request, audio, image and one-hour cache write prices, where our rules charge them as LiteLLM
    does.

    LiteLLM charges them unchanged for batch, flex, priority and off-peak requests (it reads no variant key for most
    and falls back to the standard one for the rest), and above a context tier (where it has no tier key for them),
    as a period's own prices at every tier. Beside a variant or a window, which would multiply them, or beside a
    tier key of their own, they are named.
    """
    prices: list[Decimal | None] = []
    for key in MORE_KEYS:
        value = entry.get(key)
        reason = None
        if value is not None and (rules.variants or rules.windows):
            reason = "LiteLLM charges it unchanged for batch, flex, priority and off-peak requests, where our rules " \
                     "would multiply it: not held beside them"
        elif value is not None and any(name.startswith(f"{key}_above_") for name in entry):
            reason = "LiteLLM charges another price above a context tier, which our tiers do not hold"
        if value is None or reason is not None:
            if reason is not None:
                left_out[key] = reason
            prices.append(None)
            continue
        held.add(key)
        prices.append(mtok(value, key, per_token=key != PER_REQUEST))
    return tuple(prices)


def _decide(entry: dict[str, Any], account: Entry, table: Table | None, held: set[str],
            left_out: dict[str, str]) -> None:
    """Hold each component a rule holds; name the others whose rule group was left out, with its reason."""
    if table is not None:
        left_out[_SUPERSEDED] = "LiteLLM charges its tiered_pricing table, which states another price"
    for name in account.components:
        group = _group(name, entry, table)
        if group in held:
            account.hold(name)
        elif group in left_out:
            account.name(name, left_out[group])
    cache_hit, cache_read = entry.get("input_cost_per_token_cache_hit"), entry.get(CACHE_READ)
    if cache_hit is not None and cache_read is not None and mtok(
            cache_hit, "input_cost_per_token_cache_hit", per_token=True) == mtok(cache_read, CACHE_READ,
                                                                                per_token=True):
        account.hold("input_cost_per_token_cache_hit")  # another spelling of the cache read price, and equal


def _group(name: str, entry: dict[str, Any], table: Table | None) -> str | None:
    """The rule that holds a component: base, a tier, a variant, off-peak or the table (None: no rule)."""
    if name in MORE_KEYS:
        return name  # held or named by _more, one by one
    if name in PRICE_KEYS:
        if table is None:
            return "base"
        # LiteLLM charges the table; a top-level price is held where it says the same, and the output price
        # where a row states none, since LiteLLM charges the entry's own output there
        same = mtok(entry[name], name, per_token=True) == table.by_key[name]
        return TABLE if same or (name == OUTPUT and table.output_fallback) else _SUPERSEDED
    block, _, inner = name.partition(".")
    if block == "off_peak_pricing":
        return OFF_PEAK if inner in PRICE_KEYS else None
    if block.startswith("tiered_pricing["):
        return TABLE if inner in PRICE_KEYS else None
    group = group_of(name)
    if table is not None and group is not None and group.startswith("tier "):
        return _SUPERSEDED
    return group


def _report_rounding(account: Entry, prices: list[tuple[str, Any]]) -> None:
    for name, value in prices:
        if account.fates.get(name, "") is None and isinstance(value, float):
            amount = per_million(value, name, per_token=True)  # every held LiteLLM price is per token
            if amount.rounded_from is not None:
                account.rounded(name, amount.rounded_from, amount.price)

