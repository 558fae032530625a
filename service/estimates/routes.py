"""/v1/estimate and friends: thin handlers over the snapshot; no database query per estimate."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from service.api.caching import cache_control
from service.api.conditional import NOT_MODIFIED, conditional
from service.api.operations import idempotent_post
from service.api.problems import responses
from service.estimates import schemas
from service.estimates.answers import (
    Answer,
    Answering,
    AsOf,
    answer_estimate,
)
from service.estimates.as_of import answer_as_of
from service.estimates.as_of_comparisons import compare_as_of, monthly_as_of, monthly_models_as_of
from service.estimates.batch_process import SpooledAnswer
from service.estimates.comparison import compare_models
from service.estimates.compute import estimate_one
from service.estimates.heavy_posts import HeavyAnswering, answer_batch_post
from service.estimates.limits import MAX_ITEMS, WorkLimits
from service.estimates.monthly import monthly_estimate
from service.estimates.monthly_models import monthly_for_models
from service.estimates.selfhost import self_host_estimate
from service.pricing.money import parse_decimal
from service.pricing.usage import MAX_TOKENS
from service.snapshot.keeper import current_snapshot

TokensQuery = Annotated[int, Parameter(ge=0, le=MAX_TOKENS)]
ESTIMATE_PROBLEMS = (404, 422, 503)


# These two POSTs read their body by hand (answered_post), so they take no `data` for Litestar to document. Litestar
# also documents a route's body from the `data` of a dependency in the route's scope: these are such dependencies,
# which the routes never ask for, so they are never called, and the spec keeps the body's schema and components.
async def _estimate_body(data: schemas.EstimateRequest) -> None:
    """Documents POST /v1/estimate's body; never called."""


async def _batch_body(data: schemas.BatchRequest) -> None:
    """Documents POST /v1/estimate/batch's body; never called."""


class EstimateController(Controller):
    path = "/v1/estimate"
    tags = ["estimates"]

    @idempotent_post("/", dependencies={"documented_body": Provide(_estimate_body)}, status_code=HTTP_200_OK,
                     responses=responses(400, *ESTIMATE_PROBLEMS), summary="Estimate a workload")
    async def estimate(self, request: Request) -> Response[schemas.EstimateResult]:
        return await answered_post(request, answer_estimate)

    @get("/", responses={**responses(*ESTIMATE_PROBLEMS), **NOT_MODIFIED},
         summary="Estimate a workload (cacheable GET form)",
         description="Sends an `ETag` (`If-None-Match` with the same ETag gets a 304) and `Cache-Control`: "
                     "`no-cache` for now, a minute when `at` is given (a correction may still change it), a "
                     "year and `immutable` when `known_at` is over an hour old, whatever `at` is "
                     "(docs/history.md, Caching).")
    async def estimate_get(
        self, request: Request, model: Annotated[str, Parameter(max_length=201)],
        input_tokens: TokensQuery, output_tokens: TokensQuery, cached_input_tokens: TokensQuery = 0,
        cache_write_tokens: TokensQuery = 0, sessions: Annotated[int, Parameter(ge=0, le=10**12)] = 1,
        retry_factor: Annotated[str, Parameter(max_length=40, pattern=r"^[0-9]+(\.[0-9]+)?$")] = "1",
        at: Annotated[str | None, Parameter(max_length=64)] = None,
        requested_at: Annotated[str | None, Parameter(max_length=64)] = None,
        processing: Annotated[Literal["standard", "batch"], Parameter(
            description="batch: the price's batch rate")] = "standard",
        service_tier: Annotated[Literal["standard", "flex", "priority"], Parameter(
            description="flex or priority: that variant's rate")] = "standard",
        known_at: Annotated[str | None, Parameter(max_length=64, description=(
            "price as the catalog said at this record time, before later corrections (docs/history.md)"))] = None,
    ) -> Response[schemas.EstimateResult]:
        body = schemas.EstimateRequest(
            model=model, input_tokens=input_tokens, output_tokens=output_tokens,
            cached_input_tokens=cached_input_tokens, cache_write_tokens=cache_write_tokens, sessions=sessions,
            retry_factor=_decimal_query("retry_factor", retry_factor), at=at, requested_at=requested_at,
            processing=processing, service_tier=service_tier, known_at=known_at,
        )
        fixed = at is not None or requested_at is not None  # "now" must not be cached
        if known_at is None:
            result = estimate_one(current_snapshot(request), body).body
            return _cacheable(request, msgspec.json.encode(result), cache_control(fixed, result.at, None))
        answer = await answer_as_of(request.app.state.sessionmaker, current_snapshot(request), AsOf(body))
        if answer.status != 200:
            return _as_response(answer)
        result = msgspec.json.decode(answer.body, type=schemas.EstimateResult)
        return _cacheable(request, answer.body, cache_control(fixed, result.at, result.price.known_at))

    @idempotent_post("/batch", dependencies={"documented_body": Provide(_batch_body)}, status_code=HTTP_200_OK,
                     responses=responses(400, 413, 422, 503),
                     summary=f"Up to {MAX_ITEMS} estimates; each item succeeds or fails on its own",
                     description="At most `ESTIMATE_MAX_BATCH_ITEMS` items (10,000 by default, the most it may be "
                                 "set to); more is a 413 `batch-too-large` that names the limit.")
    async def batch(self, request: Request) -> Response[schemas.BatchResult]:
        return await answered_post(request, None, answer_batch_post)

    @idempotent_post("/compare", status_code=HTTP_200_OK, responses=responses(400, *ESTIMATE_PROBLEMS),
          summary="One usage on several models, with ratios against a baseline, cheapest first")
    async def compare(self, request: Request, data: JSONBody[schemas.CompareRequest]) -> schemas.CompareResult:
        if data.known_at is not None:  # from the database; every other comparison is the snapshot's alone
            return await compare_as_of(request.app.state.sessionmaker, current_snapshot(request), data)
        return compare_models(current_snapshot(request), data).body

    @idempotent_post("/monthly", status_code=HTTP_200_OK, responses=responses(400, *ESTIMATE_PROBLEMS),
          summary="A month of sessions, spread over a calendar month and priced stretch by stretch")
    async def monthly(self, request: Request, data: JSONBody[schemas.MonthlyRequest]) -> schemas.MonthlyResult:
        if data.known_at is not None:
            return await monthly_as_of(request.app.state.sessionmaker, current_snapshot(request), data)
        return monthly_estimate(current_snapshot(request), data).body

    @idempotent_post("/monthly/models", status_code=HTTP_200_OK, responses=responses(400, 413, 422, 503),
                     summary="A month of sessions on many models at once, each on its own, against one snapshot",
                     description="One item a model, in the order asked: its monthly estimate, or its own problem "
                                 "(an unknown model, no price for the month, a variant it does not offer). At most "
                                 f"`ESTIMATE_MAX_MODELS` models ({MAX_ITEMS} by default; more is a 413 that names "
                                 "the limit); a whole-request problem (bad usage, a model listed twice) is "
                                 "a 422 for the request.")
    async def monthly_models(
        self, request: Request, data: JSONBody[schemas.MonthlyModelsRequest]
    ) -> schemas.MonthlyModelsResult:
        if data.known_at is not None:
            return await monthly_models_as_of(
                request.app.state.sessionmaker, current_snapshot(request), data, _limits(request))
        return monthly_for_models(current_snapshot(request), data, _limits(request)).body

    @idempotent_post("/self-host", status_code=HTTP_200_OK, responses=responses(400, *ESTIMATE_PROBLEMS),
          summary="Self-hosting cost per 1M tokens, per month, and the break-even against an API model")
    async def self_host(
        self, request: Request, data: JSONBody[schemas.SelfHostRequest]
    ) -> schemas.SelfHostResult:
        return self_host_estimate(current_snapshot(request), data).body


def _limits(request: Request) -> WorkLimits:
    limits: WorkLimits = request.app.state.work_limits
    return limits


async def answered_post(request: Request, answering: Answering | None,
                        heavy: HeavyAnswering | None = None) -> Response[Any]:
    """The answer of a POST whose body `answering` decodes and prices itself on the loop, problems included; without
    it, `heavy` answers it, off the loop where it is big (service/estimates/heavy_posts.py)."""
    body, snapshot = await request.body(), current_snapshot(request)
    answer: Answer | SpooledAnswer
    if answering is not None:
        answered = answering(snapshot, body)
        answer = answered if not isinstance(answered, AsOf) else await answer_as_of(
            request.app.state.sessionmaker, snapshot, answered)
    else:
        assert heavy is not None
        answer = await heavy(request.app.state, snapshot, body)
    return _as_response(answer)


def _as_response(answer: Answer | SpooledAnswer) -> Response[Any]:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in answer.headers}
    if isinstance(answer, SpooledAnswer):  # kept whole for an Idempotency-Key's replay anyway
        try:
            return Response(answer.body.whole(), status_code=answer.status, headers=headers)
        finally:
            answer.body.close()
    return Response(answer.body, status_code=answer.status, headers=headers)


def _decimal_query(field: str, value: str) -> Decimal:
    return parse_decimal(value, field=field)


def _cacheable(request: Request, body: bytes, cache: str) -> Response[schemas.EstimateResult]:
    headers = {"Cache-Control": cache, "Vary": "Origin"}
    return conditional(request, body, "application/json", headers)  # type: ignore[return-value]
