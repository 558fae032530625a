"""One deliverer at a time per subscription, across deliverers and processes; a process killed mid-delivery
loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from service.db.engine import make_engine
from tests.factories import unique_slug
from tests.feeds.webhooks.conftest import ENCRYPTION_KEY


def _seqs(received) -> list[int]:
    return [json.loads(r.body)["data"]["seq"] for r in received]


async def test_two_deliverer_pools_never_send_to_one_subscription_at_once_and_keep_its_order(
    live, receiver, committed_database_url
):
    receiver.behaviour = lambda n, path: (200, 0.03)  # slow enough for overlaps to show if they could happen
    paths = ["/one", "/two", "/three"]
    for path in paths:
        await live.subscribe(receiver.url + path)
    other_engine = make_engine(committed_database_url)  # a second "process": its own connections and locks
    try:
        await live.start()
        await live.start(engine=other_engine)
        await live.write_providers(unique_slug("pair"), 8)
        await live.until(receiver, lambda: all(len(receiver.delivered(p)) >= 8 for p in paths), seconds=30)
        for path in paths:
            seqs = _seqs(receiver.delivered(path))
            assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 8, (path, seqs)  # no duplicates
            assert receiver.most_in_flight[path] == 1
        assert sum(receiver.most_in_flight.values()) == 3
    finally:
        await live.stop_all()
        await other_engine.dispose()


def _deliverer_process(database_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "WEBHOOKS_ENCRYPTION_KEY": ENCRYPTION_KEY,
           "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1", "WEBHOOKS_POLL_INTERVAL": "0.05", "WEBHOOKS_TIMEOUT": "60",
           "WEBHOOKS_BACKOFF_BASE": "0.05", "WEBHOOKS_DELIVERERS": "2"}
    return subprocess.Popen([sys.executable, "-m", "service.cli", "webhooks", "deliver"], env=env)


async def test_a_deliverer_killed_with_sigkill_mid_delivery_loses_nothing(live, receiver, committed_database_url):
    hung = {"first": True}

    def behaviour(n: int, path: str) -> tuple[int, float]:
        if hung["first"]:
            return 200, 30.0  # the first request hangs: the process is killed while it waits
        return 200, 0.0

    receiver.behaviour = behaviour
    await live.subscribe(receiver.url)
    ids = await live.write_providers(unique_slug("kill"), 5)
    first = _deliverer_process(committed_database_url)
    try:
        await live.until(receiver, lambda: receiver.count >= 1, seconds=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    hung["first"] = False
    assert receiver.count == 1  # killed mid-delivery: nothing else was sent
    second = _deliverer_process(committed_database_url)
    try:
        await live.until(receiver, lambda: len(set(_seqs(receiver.delivered()))) >= 5, seconds=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    fresh = [r for r in receiver.delivered() if r.status == 200]
    objects = [json.loads(r.body)["data"]["object"]["id"] for r in fresh]
    # Every event after the restart, in order; the one in flight at the kill came again (at least once).
    assert list(dict.fromkeys(objects)) == ids
    assert second.returncode == 0  # SIGTERM stops it cleanly
