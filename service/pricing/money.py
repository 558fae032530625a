"""The one place that parses, rounds and formats money: exact Decimals in, plain decimal strings out."""

import math
import re
from collections.abc import Sequence
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_05UP, ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

from service.pricing.errors import InvalidAmount, path_of

MAX_FRACTION_DIGITS = 12
MAX_VALUE = Decimal("1e12")
# The largest price the database's numeric(24, 12) columns hold: 12 digits before the point and 12 after.
MAX_PRICE = Decimal("999999999999.999999999999")
COST_PLACES = 10
RATIO_PLACES = 2

# Products of validated inputs stay far below 150 digits: a price (25 significant digits: 13 integer
# + 12 fraction) x a discount factor (15) x tokens (16) x sessions (25) x a retry factor (14) x a
# month in microseconds (13) is 108. So products and sums in this context are exact, and only
# divisions round. ROUND_05UP ("round to odd") at 150 digits makes the later half-even rounding to
# 10 or 2 places equal to rounding the true quotient once: no double-rounding error.
MONEY_CONTEXT = Context(prec=150, rounding=ROUND_05UP)
# The same precision, rounding half-even: quantizing in it is quantize(..., rounding=ROUND_HALF_EVEN,
# context=MONEY_CONTEXT), without the keyword arguments (a project over thousands of offerings rounds thousands of
# ratios).
_HALF_EVEN_CONTEXT = Context(prec=150, rounding=ROUND_HALF_EVEN)
_quantize = _HALF_EVEN_CONTEXT.quantize

_COST_QUANTUM = Decimal(1).scaleb(-COST_PLACES)
_RATIO_QUANTUM = Decimal(1).scaleb(-RATIO_PLACES)
_PRICE_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
# Longer strings cannot be a valid amount in any sane spelling; refusing them first keeps parsing cheap.
_MAX_TEXT_LENGTH = 100
# Stricter than Decimal(): no whitespace, no underscores, no "NaN"/"Infinity", no bare "." forms.
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class MoneyError(InvalidAmount):
    """A money input that cannot be accepted; the message says what to send instead, `field` where."""

    def __init__(self, detail: str, field: str = "") -> None:
        super().__init__(detail, *path_of(field))


def parse_decimal(
    value: object,
    *,
    field: str,
    allow_negative: bool = False,
    max_fraction_digits: int = MAX_FRACTION_DIGITS,
    max_value: Decimal = MAX_VALUE,
) -> Decimal:
    """Turn a decimal string, int or Decimal into a validated Decimal without ever rounding it."""
    number = _to_decimal(value, field)
    if number.is_zero():
        return Decimal(0)  # also turns "-0" and "0e999999999" into a plain zero
    if number.is_signed() and not allow_negative:
        raise MoneyError(f"{field} must not be negative, got {_shown(value)}", field)
    # adjusted() reads the exponent: "1e999999999" is refused without building a huge number.
    if number.adjusted() > max_value.adjusted() or number.copy_abs() > max_value:
        raise MoneyError(f"{field} is too large (at most {format_decimal(max_value)}), got {_shown(value)}", field)
    if _fraction_digits(number) > max_fraction_digits:
        raise MoneyError(
            f"{field} has more than {max_fraction_digits} digits after the decimal point, got {_shown(value)}", field
        )
    return canonical(number)


def _to_decimal(value: object, field: str) -> Decimal:
    # bool is an int subclass, and float has already lost the exact value: both are refused.
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{field} must be a decimal number, got {value!r}", field)
    if isinstance(value, float):
        raise MoneyError(f'{field} must be sent as a decimal string such as "0.14", not a float', field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if len(value) > _MAX_TEXT_LENGTH or not _DECIMAL_TEXT.fullmatch(value):
            raise MoneyError(f"{field} must be a finite decimal number, got {_shown(value)}", field)
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{field} must be a finite decimal number, got {_shown(value)}", field)
        return value
    raise MoneyError(f"{field} must be a decimal number, got {type(value).__name__}", field)


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > 40:
        text = text[:40] + "..."
    return repr(text)


def _fraction_digits(number: Decimal) -> int:
    # Trailing zeros do not count: "0.1400000000000000" has two fraction digits.
    _, digits, exponent = number.as_tuple()
    exponent = int(exponent)  # int(): finite numbers only reach here
    if exponent >= 0:
        return 0
    trailing_zeros = 0
    for digit in reversed(digits):  # counted on the tuple: joining the digits into a string cost twice as much
        if digit:
            break
        trailing_zeros += 1
    return max(0, -(exponent + trailing_zeros))


def canonical(value: Decimal) -> Decimal:
    """The same value without trailing fractional zeros and without a positive exponent (10, not 1E+1)."""
    if value.is_zero():
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=MONEY_CONTEXT)
    return value.normalize(MONEY_CONTEXT)


def format_decimal(value: Decimal) -> str:
    """Plain notation, trailing fractional zeros stripped, "0" for any zero: "0.0028", "10"."""
    if not value.is_finite():
        raise ValueError(f"cannot format {value!r} as money: it is not a finite number")
    if value.is_zero():
        return "0"  # also "-0" and "0.000"; and cheap, since unused token kinds cost zero on every estimate
    # str() is the fast way, and writes every digit without rounding; it switches to an exponent only for very
    # small numbers or a positive exponent, where the "f" format (slower) takes over.
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# normalize() in it strips a value's trailing zeros without rounding, whatever its length; Decimal.normalize without
# a context would round to the thread's 28 digits. No traps: a signalling NaN becomes "NaN", which format_decimal
# then refuses as it refuses any NaN.
_NORMALIZE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[]).normalize
_NOT_PLAIN = re.compile(r"[^0-9.|]")


def format_many(values: Sequence[Decimal]) -> list[str]:
    """format_decimal() of each value, in a few passes in C over all of them: str() of each normalized value (its
    trailing zeros stripped), joined and split. A project over thousands of offerings formats about fifteen amounts
    per distinct cost; formatted one by one, they were most of its time. The few texts that are not plain digits and a
    point (an exponent: a whole number ending in zeros, 1E+2, or a very small amount; a sign) are formatted one by
    one, as format_decimal does."""
    if not values:
        return []
    joined = "|".join(map(str, map(_NORMALIZE, values)))
    texts = joined.split("|")
    # Single characters, each found in one fast scan: an exponent (a few whole numbers, 3E+1), or rarely a sign, NaN
    # or Infinity, which a scan by the regular expression finds (slower, over every character).
    exotic = "-" in joined or "N" in joined or "I" in joined
    if exotic or "E" in joined:
        position = index = 0  # the start of the text `index`
        while True:
            if exotic:
                found = _NOT_PLAIN.search(joined, position)
                at = -1 if found is None else found.start()
            else:
                at = joined.find("E", position)
            if at < 0:
                break
            start = joined.rfind("|", 0, at) + 1
            index += joined.count("|", position, start)
            texts[index] = format_decimal(values[index])
            position = joined.find("|", at) + 1
            if position == 0:
                break
            index += 1
    return texts


def round_cost(value: Decimal) -> Decimal:
    """Round a cost that came out of a division: half-even to COST_PLACES decimal places."""
    return _quantize(value, _COST_QUANTUM)


def apportion(exact: Sequence[Fraction]) -> list[Decimal]:
    """Round each exact part to COST_PLACES so that the parts add up to their exact sum rounded half-even.

    Largest remainder: every part is first rounded down, then the units left over go to the parts that lost the
    most (earlier parts first on ties). Each part stays within one unit of its exact value.
    """
    unit = 10**COST_PLACES
    scaled = [part * unit for part in exact]
    floors = [math.floor(part) for part in scaled]
    target = round(sum(scaled, Fraction(0)))  # round() on a Fraction is half-even
    by_loss = sorted(range(len(scaled)), key=lambda index: (-(scaled[index] - floors[index]), index))
    for index in by_loss[: target - sum(floors)]:
        floors[index] += 1
    return [Decimal(units).scaleb(-COST_PLACES, MONEY_CONTEXT) for units in floors]


def apportion_weighted(amounts: Sequence[Decimal], weights: Sequence[int]) -> list[Decimal]:
    """apportion() of the exact parts amounts[i] x weights[i] / sum(weights): the same parts, in integers.

    A month spread over its stretches apportions two such lists per model, and over Fractions that was most of the
    time of a month priced on 100 models. Here every exact part, in units of 10^-COST_PLACES, is a numerator over
    one common denominator, so floors, the remainders that rank them and the rounded sum are integer divisions.
    """
    total_weight = sum(weights)
    if total_weight <= 0:
        raise ValueError("the weights must add up to more than zero")
    ratios = [amount.as_integer_ratio() for amount in amounts]  # n / d, d dividing a power of ten
    common = math.lcm(*(denominator for _, denominator in ratios))
    denominator = common * total_weight
    unit = 10**COST_PLACES
    numerators = [numerator * (common // part_denominator) * weight * unit
                  for (numerator, part_denominator), weight in zip(ratios, weights, strict=True)]
    floors, remainders = zip(*(divmod(numerator, denominator) for numerator in numerators), strict=True)
    units = list(floors)
    quotient, remainder = divmod(sum(numerators), denominator)
    # Half-even, as round() does on a Fraction.
    target = quotient + (2 * remainder > denominator or (2 * remainder == denominator and quotient % 2 == 1))
    by_loss = sorted(range(len(units)), key=lambda index: (-remainders[index], index))
    for index in by_loss[: target - sum(units)]:
        units[index] += 1
    return [Decimal(part).scaleb(-COST_PLACES, MONEY_CONTEXT) for part in units]


def round_price(value: Decimal) -> Decimal:
    """Round a price brought in from a float-based source to the 12 fractional digits a price may have.

    Only imports use it: LiteLLM stores dollars per token as binary floats (1.2000000000000002e-06), whose noise
    would otherwise read as a price with 16 fractional digits.
    """
    return canonical(value.quantize(_PRICE_QUANTUM, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT))


def round_ratio(value: Decimal) -> Decimal:
    """Round a ratio between two costs: half-even to RATIO_PLACES decimal places."""
    return _quantize(value, _RATIO_QUANTUM)
