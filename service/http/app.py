"""create_app(settings) -> Litestar: the routers under /v1, the error handlers and the database lifecycle."""

from __future__ import annotations

import gc
import sys
from datetime import timedelta

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from service.catalog.alias_routes import AliasController
from service.catalog.assumption_routes import AssumptionController
from service.catalog.correction_routes import CorrectionController
from service.catalog.importing.schedule import SyncScheduler
from service.catalog.importing.sync import parse_sources
from service.catalog.model_routes import ModelController
from service.catalog.promotion_routes import PromotionController
from service.catalog.provider_routes import ProviderController
from service.catalog.sync_routes import list_sync_runs
from service.db.engine import (
    make_engine,
    make_sessionmaker,
    provide_list_transaction,
    provide_read_transaction,
    provide_transaction,
)
from service.db.replicas import ReplicaSet
from service.estimates import fast_path
from service.estimates.batch_process import BatchProcess
from service.estimates.limits import WorkLimits
from service.estimates.offering_routes import OfferingController
from service.estimates.project_routes import ProjectEstimateController
from service.estimates.quote_routes import QuoteController
from service.estimates.routes import EstimateController
from service.feeds.routes import FeedController
from service.feeds.webhooks.pool import DelivererPool
from service.feeds.webhooks.routes import WebhookController
from service.http import health
from service.http.cors import CorsPolicy
from service.http.docs import ReferencePage, reference_asset
from service.http.edge import EdgeMiddleware
from service.http.forwarded import ForwardedClient, parse_networks
from service.http.front import Front
from service.http.observability import configure_logging, install_metrics, metrics_endpoint
from service.http.openapi import corrected
from service.http.problem_responses import EXCEPTION_HANDLERS
from service.http.ratelimit import MemoryStore, Policy, RateLimiter, RedisStore
from service.http.requests import ExactRequest
from service.page.routes import estimator_asset, estimator_page, project_page
from service.settings import Settings
from service.snapshot.keeper import SnapshotKeeper

API_VERSION = "1.0.0"
MAX_BODY_BYTES = 4_000_000


def create_app(settings: Settings) -> Litestar:
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url; the CLI fills it in for the embedded server")
    sync_sources = parse_sources(settings.sync_sources)  # a mistyped SYNC_SOURCES stops the start, loudly

    async def open_database(app: Litestar) -> None:
        app.state.engine = make_engine(settings.database_url or "", pool_mode=settings.database_pool_mode)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        # LISTEN and the deliverers' session locks need a connection of their own to the server, never one
        # that transaction pooling hands to someone else between transactions.
        app.state.direct_engine = (make_engine(settings.listen_url or "", pool_size=settings.webhooks.deliverers + 1)
                                   if settings.listen_url != settings.database_url else app.state.engine)
        if settings.database_replica_urls:
            app.state.replicas = ReplicaSet.connect(
                app.state.engine, settings.database_replica_urls, max_lag=settings.replica_max_lag,
                token_wait=settings.replica_token_wait, pool_mode=settings.database_pool_mode)
            app.state.metrics.registry.register(app.state.replicas)
            await app.state.replicas.start()
        app.state.snapshot_keeper = SnapshotKeeper(settings.listen_url or "", app.state.sessionmaker,
                                                   replicas=app.state.get("replicas"))
        await app.state.snapshot_keeper.start()
        if settings.batch_processes:
            app.state.batch_process = BatchProcess(settings)
        if sync_sources:
            # The run itself, a bulk import in a child process, goes over the direct connection like other loads.
            app.state.sync_scheduler = SyncScheduler(settings.listen_url or "", app.state.sessionmaker,
                                                     sync_sources, timedelta(seconds=settings.sync_interval_seconds))
            await app.state.sync_scheduler.start()
        if settings.webhooks.deliverers and settings.webhooks.encryption_key:
            app.state.webhook_pool = DelivererPool(app.state.direct_engine, app.state.sessionmaker, settings.webhooks)
            app.state.metrics.registry.register(app.state.webhook_pool)
            await app.state.webhook_pool.start()

    async def settle_memory(_: Litestar) -> None:
        # Everything allocated so far (modules, the snapshot) lives as long as the process: freezing it keeps
        # the collector from re-scanning it, and a higher young-generation threshold suits request bursts
        # such as a 10,000-item batch. Measured: the batch's median compute time fell from 187 to 129 ms.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
        # Batches that no batch process answers run on a thread of their own (service/estimates/answers.py); the
        # event loop gets the interpreter back from it every switch interval. 1 ms instead of 5 keeps the other
        # requests' waits short (bench.anonymous_flood).
        sys.setswitchinterval(0.001)

    async def close_database(app: Litestar) -> None:
        if (batch_process := app.state.get("batch_process")) is not None:
            await batch_process.stop()
        if (scheduler := app.state.get("sync_scheduler")) is not None:
            await scheduler.stop()
        if (pool := app.state.get("webhook_pool")) is not None:
            await pool.stop()
        await app.state.snapshot_keeper.stop()
        if (replicas := app.state.get("replicas")) is not None:
            await replicas.stop()
        if app.state.direct_engine is not app.state.engine:
            await app.state.direct_engine.dispose()
        await app.state.engine.dispose()
        if isinstance(app.state.rate_limiter.store, RedisStore):
            await app.state.rate_limiter.store.close()

    configure_logging(settings.log_level)
    app = Litestar(
        route_handlers=[
            ProviderController, ModelController, OfferingController, PromotionController, EstimateController,
            QuoteController, AliasController, AssumptionController, ProjectEstimateController, CorrectionController,
            FeedController, list_sync_runs, WebhookController, health.live, health.ready, metrics_endpoint,
            estimator_page, project_page, estimator_asset, reference_asset,
        ],
        dependencies={"session": Provide(provide_transaction), "read_session": Provide(provide_read_transaction),
                      "list_session": Provide(provide_list_transaction)},
        middleware=[DefineMiddleware(EdgeMiddleware, cors=CorsPolicy(settings.cors_allow_origins),
                                     fast_posts=fast_path.ROUTES)],
        request_class=ExactRequest,
        # A full 10,000-item batch is about 1.5 MB; anything far larger is refused with 413 before it is read.
        request_max_body_size=MAX_BODY_BYTES,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        on_startup=[open_database, settle_memory],
        on_shutdown=[close_database],
        state=State({"settings": settings, "rate_limiter": rate_limiter(settings),
                     "work_limits": WorkLimits(settings.estimate_max_batch_items, settings.estimate_max_models)}),
        openapi_config=openapi_config(),
        # Litestar's own logging config would put a plain-text handler on the root logger at startup, over the
        # JSON one configure_logging set.
        logging_config=None,
    )
    install_metrics(app)
    app.asgi_handler = Front(app.asgi_handler, ForwardedClient(parse_networks(settings.trusted_proxies)))
    # Builds the spec now rather than on its first request (about 50 ms), so every reader of it sees it corrected.
    corrected(app.openapi_schema)
    return app


def rate_limiter(settings: Settings) -> RateLimiter:
    store = RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
    policies = {
        "public": Policy.parse("public", settings.rate_limit_public),
        "feeds": Policy.parse("feeds", settings.rate_limit_feeds),
        "write": Policy.parse("write", settings.rate_limit_write),
        "auth_failures": Policy.parse("auth_failures", settings.rate_limit_auth_failures),
        "anonymous_quotes": Policy.parse("anonymous_quotes", settings.quota_anonymous_quotes),
    }
    return RateLimiter(store, policies)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="pricing-api",
        version=API_VERSION,
        description="LLM token prices with their whole history, and exact cost estimates. "
                    "Money is USD as decimal strings; prices are per 1,000,000 tokens.",
        path="/schema",
        render_plugins=[ReferencePage()],
        components=Components(security_schemes={
            "apiKey": SecurityScheme(type="http", scheme="bearer",
                                     description="An API key from `pricing-api keys create`, as a bearer token"),
        }),
        use_handler_docstrings=False,
    )


def create_app_from_env() -> Litestar:
    """The factory uvicorn's workers call: `serve` exports DATABASE_URL before starting them."""
    return create_app(Settings.from_env())
