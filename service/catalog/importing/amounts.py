"""Prices from other catalogs' numbers: the one rule that turns a JSON number into a price per million tokens.

A JSON number in LiteLLM's or genai-prices' file is a binary float to the programs that write and read it, so we
take the float the file means and its shortest round-trip decimal (`repr`): 1.5e-07 is "1.5e-07", never
0.000000149999999999999993...; then scale it exactly (per token: x 10^6). So 1.5e-07 per token is 0.15 per million
exactly. A float whose shortest decimal is noisy (1.5000000000000002e-07: 0.15000000000000002 per million) has more
than the 12 fractional digits a price may have: it is rounded half-even to 12 digits (0.15 here) and the rounding
is reported, never refused; the noise sits far below a millionth of a cent per million tokens.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from service.pricing.money import MAX_FRACTION_DIGITS, MONEY_CONTEXT, MoneyError, parse_decimal, round_price


class Amount(NamedTuple):
    """A price per million tokens, and the file's decimal when it had to be rounded to fit (else None)."""

    price: Decimal
    rounded_from: Decimal | None


def shortest_decimal(value: Any, field: str) -> Decimal:
    """The shortest decimal that reads back as the same float; whole numbers stay exact."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise MoneyError(f"{field} is not a number: {value!r}")
    if isinstance(value, float):
        # repr is Python's shortest round-trip spelling of a float (David Gay's algorithm), the documented rule.
        return Decimal(repr(value))
    return Decimal(value)


def per_million(value: Any, field: str, *, per_token: bool) -> Amount:
    """`value` (dollars per token, or already per million) as a price per million tokens."""
    if type(value) in _PLAIN_NUMBERS:
        amount = _known_amount(type(value) is float, value, per_token)
        if amount is not None:
            return amount
    return _amount(value, field, per_token)  # says which field is wrong, and why


# A catalog repeats a few hundred distinct numbers across its tens of thousands of prices, and an importer reads
# each price more than once (to hold it, to compare it, to report its rounding): converting each distinct number
# once made the parse of a 10,000-entry LiteLLM file about twice as fast. Whether it is a float is part of the key,
# since 1 and 1.0 hash alike but are not the same input (bool, which hashes alike too, never reaches the cache).
_PLAIN_NUMBERS = (float, int)


@lru_cache(maxsize=65_536)
def _known_amount(is_float: bool, value: float | int, per_token: bool) -> Amount | None:
    try:
        return _amount(value, "", per_token)
    except MoneyError:
        return None  # not cached as an error: the caller converts it again to name its own field


def _amount(value: Any, field: str, per_token: bool) -> Amount:
    number = shortest_decimal(value, field)
    if per_token:
        number = number.scaleb(6, MONEY_CONTEXT)
    exponent = number.normalize(MONEY_CONTEXT).as_tuple().exponent
    rounded_from = None
    if isinstance(exponent, int) and -exponent > MAX_FRACTION_DIGITS:
        rounded_from, number = number, round_price(number)
    return Amount(parse_decimal(number.normalize(MONEY_CONTEXT), field=field), rounded_from)
