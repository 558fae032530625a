"""Instructions per 10,000-item batch, counted by valgrind: a figure this noisy machine cannot blur.

Run: `python -m bench.batch_instructions` (needs valgrind: `apt-get install valgrind`). It prints figures; it
asserts nothing. Wall times on these machines swing by a third from one minute to the next; callgrind counts the
instructions the batch executes, which repeat exactly for the same code and input, so two versions of the code
can be compared in separate runs.

What is counted: the function that answers POST /v1/estimate/batch (service.estimates.answers.answer_batch: decode
the body, estimate every item, encode the answer) on the seed catalog's snapshot, in one process, no HTTP. Each
batch is counted as the difference between a child that runs three batches and one that runs one, so start-up and
the first batch's warm-up cancel out.
"""

from __future__ import annotations

import asyncio
import gc
import json
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.estimate_throughput import MIXED, SAME_SHAPE
from bench.harness import ROOT, seeded_database

BATCHES = {"article session": SAME_SHAPE, "mixed": MIXED}


def snapshot_file(directory: Path) -> Path:
    from service.db.engine import make_engine, make_sessionmaker
    from service.snapshot.catalog_snapshot import load_snapshot

    async def load(url: str) -> object:
        engine = make_engine(url, pool_size=1)
        async with make_sessionmaker(engine)() as session:
            snapshot = await load_snapshot(session)
        await engine.dispose()
        return snapshot

    with seeded_database() as url:
        path = directory / "snapshot.pickle"
        path.write_bytes(pickle.dumps(asyncio.run(load(url))))
    return path


def instructions(snapshot: Path, name: str, batches: int) -> int:
    return instructions_of("bench.batch_instructions", snapshot, name, batches)


def instructions_of(module: str, snapshot: Path, name: str, count: int) -> int:
    """Instructions executed by `python -m module --child snapshot name count`, from start to exit."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               module, "--child", str(snapshot), name, str(count)]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1))


def child(snapshot_path: str, name: str, batches: int) -> None:
    from service.estimates.answers import answer_batch

    snapshot = pickle.loads(Path(snapshot_path).read_bytes())
    payload = json.dumps({"items": BATCHES[name]}).encode()
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)  # as the app settles its memory at start-up
    for _ in range(batches):
        assert answer_batch(snapshot, payload).status == 200


def main() -> None:
    if not shutil.which("valgrind"):
        sys.exit("bench needs valgrind: apt-get install valgrind")
    with tempfile.TemporaryDirectory() as directory:
        snapshot = snapshot_file(Path(directory))
        print("instructions per 10,000-item batch (callgrind; decode, estimate, encode; no HTTP):")
        for name in BATCHES:
            per_batch = (instructions(snapshot, name, 3) - instructions(snapshot, name, 1)) // 2
            print(f"  {name:16}: {per_batch / 1e6:7.0f}M", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
