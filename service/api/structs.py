"""The msgspec base struct and the field types every schema shares (slugs, money, instants)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from litestar.params import KwargDefinition, PathParameter
from msgspec import Meta

# Input patterns end in `$(?!\n)`: msgspec checks a pattern with Python's re.search, where a bare `$` also matches
# before a final newline ("gpt-4.1\n" would pass, then hit the database's own check as a 409). In ECMA-262, the
# spec's dialect, `$` only matches at the end, so the lookahead changes nothing there.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$(?!\n)"
# A model id names an offering: the maker's own is a bare slug, another seller's is `provider/model`.
MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}(/[a-z0-9][a-z0-9._-]{0,99})?$(?!\n)"
# Money leaves as a plain decimal string (service.pricing.money formats it), never a float or an exponent.
MONEY_OUT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
MONEY_IN_PATTERN = r"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$(?!\n)"


class Schema(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Every request and response body: unknown fields are an error, not silently dropped.

    gc=False: bodies are plain trees of values that never refer back to themselves, so the garbage collector
    need not track them; a 10,000-item batch builds 100,000 of them, and tracking them cost a quarter of its
    time (measured in one process, side by side).

    msgspec does not inherit `kw_only` (it applies to the fields of the class that sets it), so subclasses
    list required fields before defaulted ones.
    """


Slug = Annotated[str, Meta(pattern=SLUG_PATTERN, max_length=100, examples=["deepseek-v4-flash"])]
# What a client may send to name an offering: its id, `maker/model`, or an alias (a foreign spelling, which keeps
# its case and punctuation: `bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0`). The database checks the same.
ALIAS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,299}$(?!\n)"
ModelRef = Annotated[str, Meta(
    pattern=ALIAS_PATTERN, max_length=300, examples=["deepseek-v4-flash", "together/deepseek-v4-flash"],
    description="an offering's id (docs/offerings.md), `maker/model`, or one of its aliases")]
Alias = Annotated[str, Meta(pattern=ALIAS_PATTERN, max_length=300,
                            examples=["bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"])]
ModelId = Annotated[str, Meta(
    pattern=MODEL_ID_PATTERN, max_length=201, examples=["deepseek-v4-flash", "together/deepseek-v4-flash"],
    description="a model's id (its maker's offering), or `provider/model` for one provider's offering")]
# Path ids: a slug in the path that matches nothing is a 404, so these only describe the parameter.
SlugPath = Annotated[str, PathParameter(description="a slug, e.g. deepseek-v4-flash", max_length=200)]
# The provider of an offering addressed in two path segments, /v1/models/together/deepseek-v4-flash. A path
# parameter only: Litestar takes a plain optional parameter from the query string too.
ProviderPath = Annotated[str | None, PathParameter(
    description="the provider of an offering, e.g. together in /v1/models/together/deepseek-v4-flash", max_length=200)]
IdPath = Annotated[int, PathParameter(description="a numeric id", ge=1, le=2**63 - 1)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Source = Annotated[str, Meta(min_length=1, max_length=500, description="where this fact comes from")]

Money = Annotated[
    str, Meta(pattern=MONEY_OUT_PATTERN, description="USD, as a decimal string", examples=["0.14"])
]
MoneyOrNull = Money | None  # null when unknown: never zero
# The same plain notation for numbers that are not dollars: ratios, factors, percentages, session and token counts.
DecimalText = Annotated[
    str, Meta(pattern=MONEY_OUT_PATTERN, description="a decimal string", examples=["1.8"])
]

_MONEY_IN = KwargDefinition(
    description="a non-negative decimal string (a JSON number is accepted too), at most 12 fractional digits",
    schema_extra={"pattern": MONEY_IN_PATTERN, "examples": ["0.14"]},
)
MoneyIn = Annotated[Decimal, _MONEY_IN]
MoneyInOrNull = Annotated[Decimal | None, _MONEY_IN]

Instant = Annotated[datetime, Meta(tz=True, description="RFC 3339 with an offset")]
Day = date


def offering_id(provider_id: str | None, model_id: str) -> str:
    """The id that a path's one or two segments spell."""
    return model_id if provider_id is None else f"{provider_id}/{model_id}"
