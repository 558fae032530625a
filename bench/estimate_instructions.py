"""Instructions per POST /v1/estimate through the fast ASGI entry, counted by valgrind: a figure noise cannot blur.

Run: `python -m bench.estimate_instructions` (needs valgrind). It prints figures; it asserts nothing.

What is counted: the entry in service.estimates.fast_path.ROUTES (read the body from `receive`, decode, estimate,
encode, send), called in one process with a stand-in app, no server and no edge, for a good body and for bodies
that end in a problem. Each figure is the difference between a child that answers 2,000 requests and one that
answers 200, divided by 1,800, so start-up and warm-up cancel out.
"""

from __future__ import annotations

import asyncio
import gc
import json
import pickle
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from bench.batch_instructions import instructions_of, snapshot_file
from bench.estimate_throughput import BODY

BODIES = {
    "good": json.dumps(BODY).encode(),
    "unknown model": json.dumps({**BODY, "model": "no-such-model"}).encode(),
    "wrong type": json.dumps({**BODY, "input_tokens": "50000"}).encode(),
}
FEW, MANY = 200, 2_000


def child(snapshot_path: str, name: str, requests: int) -> None:
    from service.estimates.fast_path import ROUTES

    keeper = SimpleNamespace(current=pickle.loads(Path(snapshot_path).read_bytes()), connected=True)
    app = SimpleNamespace(request_max_body_size=4_000_000, state=SimpleNamespace(snapshot_keeper=keeper))
    body, entry = BODIES[name], ROUTES["/v1/estimate"]

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        pass

    async def run() -> None:
        for _ in range(requests):
            await entry({"type": "http", "method": "POST", "path": "/v1/estimate", "query_string": b"",
                         "headers": [], "app": app, "state": {}}, receive, send)

    gc.collect()
    gc.freeze()
    asyncio.run(run())


def main() -> None:
    if not shutil.which("valgrind"):
        sys.exit("bench needs valgrind: apt-get install valgrind")
    with tempfile.TemporaryDirectory() as directory:
        snapshot = snapshot_file(Path(directory))
        print("instructions per POST /v1/estimate through the fast entry (callgrind; no server, no edge):")
        for name in BODIES:
            many = instructions_of("bench.estimate_instructions", snapshot, name, MANY)
            few = instructions_of("bench.estimate_instructions", snapshot, name, FEW)
            print(f"  {name:14}: {(many - few) / (MANY - FEW) / 1e3:6.0f}K", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
