"""GET /v1/models/{id}/offerings: who sells a model, each offering's price at `at` and its cost for one usage."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.params import Parameter

from service.api.instants import parse_instant
from service.api.problems import responses
from service.api.structs import ProviderPath, SlugPath, offering_id
from service.estimates import schemas
from service.estimates.offerings import offerings_priced
from service.estimates.routes import ESTIMATE_PROBLEMS, TokensQuery
from service.snapshot.keeper import current_snapshot

# The article's typical coding session, as the default usage: 50,000 tokens in, 20,000 out.
TYPICAL_INPUT, TYPICAL_OUTPUT = 50_000, 20_000


class OfferingController(Controller):
    path = "/v1/models"
    tags = ["catalog"]

    @get(["/{model_id:str}/offerings", "/{provider_id:str}/{model_id:str}/offerings"],
         responses=responses(*ESTIMATE_PROBLEMS), summary="Every provider's offering of a model, cheapest first",
         description="Each offering's effective price at `at` and the cost of one usage on it (by default the "
                     "article's typical session: 50,000 tokens in, 20,000 out), cheapest first; offerings with "
                     "no price at `at` come last, with the reason. An offering's id names its model too: "
                     "`/v1/models/together/x/offerings` lists the offerings of `x`.")
    async def offerings(
        self, request: Request, model_id: SlugPath, provider_id: ProviderPath = None,
        at: Annotated[str | None, Parameter(max_length=64, description="RFC 3339 instant with offset, or a date "
                                            "(midnight UTC); default now")] = None,
        input_tokens: TokensQuery = TYPICAL_INPUT, output_tokens: TokensQuery = TYPICAL_OUTPUT,
        cached_input_tokens: TokensQuery = 0, cache_write_tokens: TokensQuery = 0,
        processing: Annotated[Literal["standard", "batch"], Parameter(
            description="batch: each offering's batch rate")] = "standard",
        service_tier: Annotated[Literal["standard", "flex", "priority"], Parameter(
            description="flex or priority: each offering's rate for that tier")] = "standard",
    ) -> schemas.OfferingsResult:
        instant = parse_instant(at)
        usage = schemas.EstimateRequest(
            model=model_id, input_tokens=input_tokens, output_tokens=output_tokens,
            cached_input_tokens=cached_input_tokens, cache_write_tokens=cache_write_tokens,
            at=instant.isoformat(), processing=processing, service_tier=service_tier)
        return offerings_priced(current_snapshot(request), offering_id(provider_id, model_id), usage, instant)
