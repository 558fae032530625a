"""What running an open-weights model on rented GPUs costs, next to paying an API per token."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext

from service.pricing.errors import InvalidAmount, InvalidUsage
from service.pricing.estimate import session_cost
from service.pricing.money import MONEY_CONTEXT, round_cost
from service.pricing.prices import TokenPrices
from service.pricing.usage import Usage

# 24 hours x 365 days / 12 months: the average month, as cloud GPU price sheets count it.
HOURS_PER_MONTH = Decimal(730)

_SECONDS_PER_HOUR = 3600
_TOKENS_PER_MTOK = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class SelfHostCost:
    """USD per 1M generated tokens, USD per month for the GPUs, and the tokens they can produce a month."""

    cost_per_mtok: Decimal
    monthly_cost: Decimal
    monthly_capacity_tokens: Decimal


def self_host_cost(
    gpu_hourly_usd: Decimal, gpus: int, tokens_per_second: Decimal, utilization: Decimal
) -> SelfHostCost:
    """`gpus` GPUs at `gpu_hourly_usd` each, serving `tokens_per_second` for `utilization` of the time."""
    _check_self_host(gpu_hourly_usd, gpus, tokens_per_second, utilization)
    with localcontext(MONEY_CONTEXT):
        hourly = gpu_hourly_usd * gpus
        tokens_per_hour = tokens_per_second * _SECONDS_PER_HOUR * utilization
        # Multiply before dividing so that the one division is the only rounding.
        cost_per_mtok = round_cost(hourly * _TOKENS_PER_MTOK / tokens_per_hour)
        return SelfHostCost(
            cost_per_mtok=cost_per_mtok,
            monthly_cost=hourly * HOURS_PER_MONTH,
            monthly_capacity_tokens=tokens_per_hour * HOURS_PER_MONTH,
        )


def _check_self_host(gpu_hourly_usd: Decimal, gpus: int, tokens_per_second: Decimal, utilization: Decimal) -> None:
    if not gpu_hourly_usd.is_finite() or gpu_hourly_usd < 0:
        raise InvalidAmount(
            f"gpu_hourly_usd must be a finite amount of 0 or more, got {gpu_hourly_usd}", "gpu_hourly_usd"
        )
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise InvalidAmount(f"gpus must be a whole number of at least 1, got {gpus!r}", "gpus")
    if not tokens_per_second.is_finite() or tokens_per_second <= 0:
        raise InvalidAmount(f"tokens_per_second must be more than 0, got {tokens_per_second}", "tokens_per_second")
    if not utilization.is_finite() or not 0 < utilization <= 1:
        raise InvalidAmount(
            f"utilization (the busy share of the time) must be in (0, 1], got {utilization}", "utilization"
        )


def break_even_tokens(monthly_cost: Decimal, api_price_per_mtok: Decimal) -> Decimal | None:
    """Monthly tokens at which the API costs as much as self-hosting (rounded up); None for a free API."""
    if not api_price_per_mtok.is_finite() or api_price_per_mtok < 0:
        raise InvalidAmount(
            f"api_price_per_mtok must be a finite amount of 0 or more, got {api_price_per_mtok}", "api_price_per_mtok"
        )
    if api_price_per_mtok.is_zero():
        return None
    with localcontext(MONEY_CONTEXT):
        # Rounded up: one token fewer and the API would still be the cheaper choice.
        return (monthly_cost * _TOKENS_PER_MTOK / api_price_per_mtok).to_integral_value(ROUND_CEILING)


def blended_price_per_mtok(prices: TokenPrices, usage: Usage) -> Decimal:
    """What the API charges per 1M tokens (input and output together) for this usage mix."""
    tokens = usage.input_tokens + usage.output_tokens
    if tokens == 0:
        raise InvalidUsage("the usage has no input or output tokens, so it has no price per token", "input_tokens")
    cost, _ = session_cost(prices, usage)
    with localcontext(MONEY_CONTEXT):
        return round_cost(cost.per_session * _TOKENS_PER_MTOK / tokens)
