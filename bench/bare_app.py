"""The yardstick for bench/estimate_throughput.py: a bare Litestar + msgspec endpoint that decodes the same
request and does the same arithmetic (the pricing core) from a plain dict, with no catalog, no snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from litestar import Litestar, get, post

from service.pricing.estimate import estimate
from service.pricing.money import format_decimal
from service.pricing.prices import TokenPrices
from service.pricing.usage import Usage

PRICES = {"deepseek-v4-flash": TokenPrices(Decimal("0.14"), Decimal("0.28"), Decimal("0.0028"))}


class Request(msgspec.Struct, forbid_unknown_fields=True):
    model: str
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    sessions: int = 1
    retry_factor: Decimal = Decimal(1)
    at: str | None = None


class Result(msgspec.Struct):
    model: str
    at: datetime
    per_session: str
    total: str


@post("/v1/estimate", status_code=200)
async def bare_estimate(data: Request) -> Result:
    usage = Usage(data.input_tokens, data.output_tokens, data.cached_input_tokens, data.cache_write_tokens)
    result = estimate(PRICES[data.model], usage, data.sessions, data.retry_factor)
    return Result(model=data.model, at=datetime.now(UTC), per_session=format_decimal(result.cost.per_session),
                  total=format_decimal(result.total))


@get("/health/ready", sync_to_thread=False)
def ready() -> str:
    return "ok"


app = Litestar([bare_estimate, ready])
