"""A process's deliverers: started with the app (or alone, `pricing-api webhooks deliver`), stopped with it,
and counted in /metrics (attempts by outcome, subscriptions enabled and disabled)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.feeds.webhooks import sender, store
from service.feeds.webhooks.deliverer import Deliverer
from service.settings import WebhookSettings

log = logging.getLogger("service.webhooks")
# catalog_changed: sent on commit by the catalog's triggers (migration 0002); webhooks_due: by a ping or redelivery.
CHANNELS = ("catalog_changed", "webhooks_due")
STATES_EVERY = 5.0  # seconds between counts of subscriptions by state: one small query


class DelivererPool:
    """`engine` is a direct one (DATABASE_LISTEN_URL): it holds the subscriptions' session locks and LISTENs;
    `sessions` may go through PgBouncer's transaction pooling."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                 settings: WebhookSettings) -> None:
        self.engine, self.sessions, self.settings = engine, sessions, settings
        self.counters: dict[str, int] = {}
        self.states: dict[str, int] = {}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._deliverers: list[Deliverer] = []

    async def start(self) -> None:
        client = self._client = sender.http_client()
        self._deliverers = [Deliverer(self.engine, self.sessions, self.settings, client, self.counters)
                            for _ in range(self.settings.deliverers)]
        for number, deliverer in enumerate(self._deliverers):
            self._tasks.append(asyncio.create_task(deliverer.run(self._stop), name=f"webhook-deliverer-{number}"))
        self._tasks.append(asyncio.create_task(self._count_states(), name="webhook-states"))
        self._tasks.append(asyncio.create_task(self._listen(), name="webhook-listener"))

    def _wake_all(self, *_: object) -> None:
        for deliverer in self._deliverers:
            deliverer.wake.set()

    async def _listen(self) -> None:
        """Wake the deliverers on each commit of a change (and each ping or redelivery asked for), so the lag
        from commit to delivery is not the poll interval. Needs a direct connection (not through PgBouncer's
        transaction pooling); without one, the poll still delivers everything."""
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                connection = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                try:
                    connection.add_termination_listener(lambda *_, lost=lost: lost.set())
                    for channel in CHANNELS:
                        await connection.add_listener(channel, self._wake_all)
                    self._wake_all()  # whatever was committed before we listened
                    await lost.wait()
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("webhook listener lost its connection; polling meanwhile", exc_info=True)
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()  # a send in flight is abandoned: its event is sent again by whoever comes next
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    async def refresh_states(self) -> None:
        async with self.sessions() as session:
            self.states = await store.subscription_states(session)

    async def _count_states(self) -> None:
        while True:
            try:
                await self.refresh_states()
            except Exception:
                log.warning("could not count webhook subscriptions", exc_info=True)
            await asyncio.sleep(STATES_EVERY)

    def collect(self) -> Iterator[Any]:
        attempts = CounterMetricFamily("webhook_delivery_attempts", "Webhook delivery attempts by this process",
                                       labels=["outcome"])
        for outcome, count in sorted(self.counters.items()):
            attempts.add_metric([outcome], count)
        yield attempts
        states = GaugeMetricFamily("webhook_subscriptions", "Webhook subscriptions by state (disabled: after 410 "
                                   "or a long failure, or by their owner)", labels=["state"])
        for state, count in sorted(self.states.items()):
            states.add_metric([state], count)
        yield states


async def run_until_stopped(url: str, settings: WebhookSettings, *, listen_url: str | None = None,
                            pool_mode: str = "session") -> None:
    """`pricing-api webhooks deliver`: deliverers alone, in a process of their own, until SIGTERM or SIGINT."""
    import signal

    from service.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=settings.deliverers + 2, pool_mode=pool_mode)
    direct = make_engine(listen_url, pool_size=settings.deliverers + 1) if listen_url not in (None, url) else engine
    pool = DelivererPool(direct, make_sessionmaker(engine), settings)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await pool.start()
    try:
        await stopped.wait()
    finally:
        await pool.stop()
        if direct is not engine:
            await direct.dispose()
        await engine.dispose()
