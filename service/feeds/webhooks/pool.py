"""A process's deliverers: started with the app (or alone, `pricing-api webhooks deliver`), stopped with it,
and counted in /metrics (attempts by outcome, subscriptions enabled and disabled)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.feeds.webhooks import sender, store
from service.feeds.webhooks.deliverer import Deliverer
from service.settings import WebhookSettings

log = logging.getLogger("service.webhooks")
STATES_EVERY = 5.0  # seconds between counts of subscriptions by state: one small query


class DelivererPool:
    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
                 settings: WebhookSettings) -> None:
        self.engine, self.sessions, self.settings = engine, sessions, settings
        self.counters: dict[str, int] = {}
        self.states: dict[str, int] = {}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        client = self._client = sender.http_client()
        for number in range(self.settings.deliverers):
            deliverer = Deliverer(self.engine, self.sessions, self.settings, client, self.counters)
            self._tasks.append(asyncio.create_task(deliverer.run(self._stop), name=f"webhook-deliverer-{number}"))
        self._tasks.append(asyncio.create_task(self._count_states(), name="webhook-states"))

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


async def run_until_stopped(url: str, settings: WebhookSettings) -> None:
    """`pricing-api webhooks deliver`: deliverers alone, in a process of their own, until SIGTERM or SIGINT."""
    import signal

    from service.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=settings.deliverers + 2)
    pool = DelivererPool(engine, make_sessionmaker(engine), settings)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await pool.start()
    try:
        await stopped.wait()
    finally:
        await pool.stop()
        await engine.dispose()
