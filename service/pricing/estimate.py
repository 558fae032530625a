"""What a usage costs at given prices: per session, then times sessions and a retry factor, exactly."""

from decimal import Decimal
from typing import NamedTuple

from service.pricing.errors import InvalidAmount, InvalidValue
from service.pricing.money import MONEY_CONTEXT, format_decimal
from service.pricing.prices import TokenPrices
from service.pricing.usage import MoreUsage, Usage

RETRY_FACTOR_MIN = Decimal(1)
RETRY_FACTOR_MAX = Decimal(10)

# The context's methods are called directly on this hot path: cheaper than entering `localcontext` each time,
# and just as exact (MONEY_CONTEXT's precision holds every product of validated inputs). They are looked up once:
# a Context looks up attributes through its own slow getattr, a third of each call. Dividing by 10^6 is a product
# with 1E-6, which only moves the decimal point, like scaleb (whose argument parsing costs twice as much).
_multiply = MONEY_CONTEXT.multiply
_add = MONEY_CONTEXT.add
_PER_MILLION = Decimal("1E-6")
_ZERO = Decimal(0)
# A NamedTuple's own constructor is Python code; tuple.__new__ with the fields in order builds the same object in
# a third of the time (twice per estimate, 20,000 times per batch).
_new = tuple.__new__


# SessionCost and Estimate are NamedTuples rather than frozen dataclasses: just as immutable, and built in a
# quarter of the time, which counts on the estimate hot path (a frozen dataclass sets each field through
# object.__setattr__).
class MoreCost(NamedTuple):
    """USD for one session's requests, audio and image tokens and one-hour cache writes (MoreUsage)."""

    requests: Decimal
    audio_input: Decimal
    audio_output: Decimal
    image_input: Decimal
    image_output: Decimal
    cache_write_1h: Decimal


class SessionCost(NamedTuple):
    """USD for one session, by kind of token. Exact: no rounding anywhere.

    With a MoreUsage, input, output and cache_write are the text tokens' and five-minute writes' part, and `more`
    holds the rest; without one (the usual session) `more` is None.
    """

    input: Decimal
    cached_input: Decimal
    output: Decimal
    cache_write: Decimal
    per_session: Decimal
    more: MoreCost | None = None


class Estimate(NamedTuple):
    """total = cost.per_session x sessions x retry_factor; warnings say where a price was assumed."""

    cost: SessionCost
    sessions: Decimal
    retry_factor: Decimal
    total: Decimal
    warnings: tuple[str, ...]


def check_retry_factor(value: Decimal | int) -> Decimal:
    """Return the retry factor as a Decimal, or raise InvalidAmount when it is outside [1, 10]."""
    if type(value) is Decimal and value.is_finite() and RETRY_FACTOR_MIN <= value <= RETRY_FACTOR_MAX:
        return value  # the usual case, on the estimate hot path
    factor = _as_decimal(value, "retry_factor")
    if not RETRY_FACTOR_MIN <= factor <= RETRY_FACTOR_MAX:
        raise InvalidAmount(
            f"retry_factor must be between {RETRY_FACTOR_MIN} and {RETRY_FACTOR_MAX} "
            f"(1 means every session succeeds at the first attempt), got {factor}", "retry_factor"
        )
    return factor


def check_sessions(value: Decimal | int) -> Decimal:
    """Return the number of sessions as a Decimal, or raise ValueError when it is negative."""
    if type(value) is int and value >= 0:
        return Decimal(value)  # the usual case, on the estimate hot path: a count from a request body
    count = _as_decimal(value, "sessions")
    if count < 0:
        raise InvalidValue(f"sessions must not be negative, got {count}", "sessions")
    return count


def estimate(
    prices: TokenPrices,
    usage: Usage,
    sessions: Decimal | int = 1,
    retry_factor: Decimal = RETRY_FACTOR_MIN,
) -> Estimate:
    """Price `sessions` sessions of `usage`, each attempted `retry_factor` times on average."""
    count = check_sessions(sessions)
    factor = check_retry_factor(retry_factor)
    cost, warnings = session_cost(prices, usage)
    # Multiplying by one leaves the value as it is: most requests are one session at one attempt.
    total = cost.per_session if count == 1 else _multiply(cost.per_session, count)
    if factor != 1:
        total = _multiply(total, factor)
    return _new(Estimate, (cost, count, factor, total, warnings))


def session_cost(prices: TokenPrices, usage: Usage) -> tuple[SessionCost, tuple[str, ...]]:
    """The exact cost of one session, and a warning for every unknown price that was replaced."""
    inputs, outputs, cached, writes, more = usage
    if more is not None:
        return _session_cost_with_more(prices, usage, more)
    input_price = prices.input_per_mtok
    # An unknown cache price is never taken as zero: the input price is the safe upper guess.
    read_price = input_price if prices.cache_read_per_mtok is None else prices.cache_read_per_mtok
    write_price = input_price if prices.cache_write_per_mtok is None else prices.cache_write_per_mtok
    # Token kinds with no tokens (most sessions have no cache reads or writes) skip the arithmetic.
    input_cost = _per_million(input_price, inputs - cached) if inputs > cached else _ZERO
    output_cost = _per_million(prices.output_per_mtok, outputs) if outputs else _ZERO
    if cached or writes:
        cached_cost = _per_million(read_price, cached) if cached else _ZERO
        write_cost = _per_million(write_price, writes) if writes else _ZERO
        total = _add(_add(input_cost, cached_cost), _add(output_cost, write_cost))
        warnings = _fallback_warnings(prices, usage)
    else:
        cached_cost = write_cost = _ZERO
        total = _add(input_cost, output_cost)
        warnings = ()
    if prices.per_request is not None:
        warnings = (*warnings, _unpriced_requests(prices.per_request))
    return _new(SessionCost, (input_cost, cached_cost, output_cost, write_cost, total, None)), warnings


def _session_cost_with_more(prices: TokenPrices, usage: Usage, more: MoreUsage) -> tuple[SessionCost, tuple[str, ...]]:
    """session_cost for a usage that says requests, audio, image or one-hour cache write tokens: each at its own
    price, the rest of the input, output and cache writes at the text prices."""
    requests, audio_in, audio_out, image_in, image_out, writes_1h = more
    input_price = prices.input_per_mtok
    read_price = input_price if prices.cache_read_per_mtok is None else prices.cache_read_per_mtok
    write_price = input_price if prices.cache_write_per_mtok is None else prices.cache_write_per_mtok
    # The five-minute writes are those not kept for an hour: only they can fall back on an unknown write price.
    warnings = list(_fallback_warnings(prices, usage._replace(cache_write_tokens=usage.cache_write_tokens - writes_1h)))
    # An unknown audio or image price is charged at the text price of its side, as LiteLLM charges it (never free);
    # an unknown one-hour write at the five-minute one. Each one replaced is said.
    replaced = (
        ("audio_input_per_mtok", prices.audio_input_per_mtok, audio_in, "audio input", input_price, "input"),
        ("audio_output_per_mtok", prices.audio_output_per_mtok, audio_out, "audio output", prices.output_per_mtok,
         "output"),
        ("image_input_per_mtok", prices.image_input_per_mtok, image_in, "image input", input_price, "input"),
        ("image_output_per_mtok", prices.image_output_per_mtok, image_out, "image output", prices.output_per_mtok,
         "output"),
        ("cache_write_1h_per_mtok", prices.cache_write_1h_per_mtok, writes_1h, "one-hour cache write", write_price,
         "cache write" if prices.cache_write_per_mtok is not None else "input"),
    )
    costs = []
    for field, price, tokens, kind, fallback, fallback_name in replaced:
        if price is None and tokens:
            warnings.append(f"{field} is unknown for this price: {tokens} {kind} tokens were charged at the "
                            f"{fallback_name} price")
        costs.append(_per_million(fallback if price is None else price, tokens) if tokens else _ZERO)
    audio_in_cost, audio_out_cost, image_in_cost, image_out_cost, write_1h_cost = costs
    if prices.per_request is None:
        request_cost = _ZERO
        if requests:
            warnings.append(f"this price states no fee per request: {requests} requests were charged nothing")
    elif requests:
        request_cost = _multiply(prices.per_request, requests)
    else:
        request_cost = _ZERO
        warnings.append(_unpriced_requests(prices.per_request))
    input_cost = _per_million(input_price, usage.input_tokens - usage.cached_input_tokens - audio_in - image_in)
    cached_cost = _per_million(read_price, usage.cached_input_tokens)
    output_cost = _per_million(prices.output_per_mtok, usage.output_tokens - audio_out - image_out)
    write_cost = _per_million(write_price, usage.cache_write_tokens - writes_1h)
    more_cost = MoreCost(request_cost, audio_in_cost, audio_out_cost, image_in_cost, image_out_cost, write_1h_cost)
    total = _ZERO
    for part in (input_cost, cached_cost, output_cost, write_cost, *more_cost):
        total = _add(total, part)
    return SessionCost(input_cost, cached_cost, output_cost, write_cost, total, more_cost), tuple(warnings)


def _unpriced_requests(per_request: Decimal) -> str:
    return (f"this price charges {format_decimal(per_request)} USD per request, and the usage says no requests: "
            "none was charged; send `requests` to price them")


def _fallback_warnings(prices: TokenPrices, usage: Usage) -> tuple[str, ...]:
    if (prices.cache_read_per_mtok is not None or not usage.cached_input_tokens) and (
        prices.cache_write_per_mtok is not None or not usage.cache_write_tokens
    ):
        return ()  # the common case, on the estimate hot path: nothing was replaced
    replaced = (
        ("cache_read_per_mtok", prices.cache_read_per_mtok, usage.cached_input_tokens, "cached input"),
        ("cache_write_per_mtok", prices.cache_write_per_mtok, usage.cache_write_tokens, "cache write"),
    )
    return tuple(
        f"{field} is unknown for this price: {tokens} {kind} tokens were charged at the input price"
        for field, price, tokens, kind in replaced
        if price is None and tokens > 0
    )


def _per_million(price_per_mtok: Decimal, tokens: int) -> Decimal:
    return _multiply(_multiply(price_per_mtok, tokens), _PER_MILLION)


def _as_decimal(value: Decimal | int, field: str) -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value  # the usual case, on the estimate hot path
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidAmount(f"{field} must be a Decimal or an int, got {value!r}", field)
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidAmount(f"{field} must be a finite number, got {number}", field)
    return number
