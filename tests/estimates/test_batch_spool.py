"""A batch process's big answers come back through a spool file in shared memory (service/estimates/spool.py): the
same bytes as priced in process, whether sent in pieces or whole, and no file is ever left behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import msgspec
from litestar.testing import AsyncTestClient

from service.estimates.answers import answer_batch
from service.estimates.batch_process import BatchProcess, SpooledAnswer
from service.estimates.limits import WorkLimits
from service.estimates.spool import PIECE, make_spool, spooled
from service.http.app import create_app
from tests.estimates.test_batch_process import ITEMS, batch_settings, until_loaded

LIMITS = WorkLimits(batch_items=10_000)
BIG = msgspec.json.encode({"items": ITEMS * 150})  # 1,500 items: an answer of about 700 KB, three pieces


async def test_a_big_answer_comes_back_through_the_spool_as_the_same_bytes_and_leaves_no_file(
        database_url, snapshot_keeper):
    process = BatchProcess(batch_settings(database_url))
    try:
        await until_loaded(process)
        there = await process.answer(snapshot_keeper.current, BIG, LIMITS)
        here = answer_batch(snapshot_keeper.current, BIG, LIMITS)
        assert isinstance(there, SpooledAnswer) and len(here.body) > 2 * PIECE
        assert not list(process.spool.iterdir()), "the file is unlinked as soon as the serving process opens it"
        pieces = list(there.body.pieces())
        assert len(pieces) > 2 and all(len(piece) == PIECE for piece in pieces[:-1])
        assert (there.status, there.headers, b"".join(pieces)) == (here.status, here.headers, here.body)
        assert there.body.whole() == here.body
        there.body.close()
        small = await process.answer(snapshot_keeper.current, msgspec.json.encode({"items": ITEMS}), LIMITS)
        assert not isinstance(small, SpooledAnswer), "an answer smaller than a piece comes through the pipe"
    finally:
        await process.stop()
    assert not process.spool.exists(), "the spool goes with the batch processes"


async def test_a_batch_whose_request_is_cancelled_leaves_no_file(database_url, snapshot_keeper):
    process = BatchProcess(batch_settings(database_url))
    try:
        await until_loaded(process)
        huge = msgspec.json.encode({"items": ITEMS * 1_000})  # 10,000 items: long enough to cancel midway
        waiting = asyncio.create_task(process.answer(snapshot_keeper.current, huge, LIMITS))
        await asyncio.sleep(0.05)
        waiting.cancel()
        # One batch process answers in turn: by the time this one is answered, the first one's file was made, and
        # discarded by the cancelled request.
        after = await process.answer(snapshot_keeper.current, BIG, LIMITS)
        assert isinstance(after, SpooledAnswer)
        after.body.close()
        assert waiting.cancelled()
        assert not list(process.spool.iterdir())
    finally:
        await process.stop()


def test_the_spools_of_processes_that_are_gone_are_removed_and_others_kept(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    left = tmp_path / f"pricing-api-batches-{int(gone.stdout)}-abc"
    left.mkdir()
    (left / "answer").write_bytes(b"{}")
    living = tmp_path / f"pricing-api-batches-{os.getppid()}-def"  # another process, still running
    living.mkdir()
    unrelated = tmp_path / "someone-else"
    unrelated.mkdir()
    spool = make_spool(tmp_path)
    assert spool.is_dir() and spool.name.startswith(f"pricing-api-batches-{os.getpid()}-")
    assert {path.name for path in tmp_path.iterdir()} == {spool.name, living.name, unrelated.name}


def test_a_spool_that_cannot_take_the_answer_sends_it_through_the_pipe(tmp_path):
    assert spooled(str(tmp_path / "gone"), b"x" * 10) is None
    handed = spooled(str(tmp_path), b"x" * 10)
    assert handed is not None and Path(handed.path).read_bytes() == b"x" * 10


async def test_a_served_app_sends_a_spooled_answer_the_same_bytes_on_both_entries(database_url):
    app = create_app(batch_settings(database_url))
    async with AsyncTestClient(app) as client:
        await until_loaded(app.state.batch_process)
        expected = answer_batch(app.state.snapshot_keeper.current, BIG).body
        headers = {"content-type": "application/json"}
        fast = await client.post("/v1/estimate/batch", content=BIG, headers=headers)
        # With an Idempotency-Key the route answers (and keeps the answer whole for a replay).
        kept = await client.post("/v1/estimate/batch", content=BIG, headers={**headers, "idempotency-key": "spool-1"})
        replayed = await client.post("/v1/estimate/batch", content=BIG,
                                     headers={**headers, "idempotency-key": "spool-1"})
        assert [fast.status_code, kept.status_code, replayed.status_code] == [200, 200, 200]
        assert fast.content == kept.content == replayed.content == expected
        assert fast.headers["content-length"] == str(len(expected))
        assert app.state.batch_process.answered >= 2
        assert not list(app.state.batch_process.spool.iterdir())
