"""Instructions per POST /v1/estimate/project's work, counted by valgrind: a figure that other processes cannot blur.

Run: `python -m bench.project_instructions [--before COMMIT]` (needs valgrind). It prints figures; it asserts nothing.
The requests of CASES, as bench.project_estimate makes them in process (no HTTP, body encoded): every one of 10,000
offerings of the synthetic catalog (chat and the autonomous agent, with and without the breakdown, and chat over a
catalog where no price is shared), and six of its offerings with a hybrid (ide-assistant, with the breakdown, as
the served six-model request). The child builds the snapshot, settles the collector as a served process does,
answers one request, then counts only the next ones (`callgrind_control -i on` around them).
With --before, COMMIT's code is counted too (`git archive`, with this checkout's bench).
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec

from bench.harness import checkout
from bench.project_estimate import AT, ROOT, default_sharing, seed_assumptions, synthetic_snapshot

_ALL = {"all_models": True, "strategies": [{"kind": "hybrid", "draft": "bench-00001", "review": "bench-00002"}]}
# Each case: offerings in the synthetic catalog, requests counted, the request, and whether the catalog shares its
# prices as the default catalog does (False: every price differs, BENCH_PRICES=alone in bench.project_estimate).
CASES = {
    "10,000 offerings, chat, no breakdown": (10_000, 2, {
        "project": {"size": "medium", "features": 40, "tooling": "chat"}, "breakdown": False, **_ALL}, True),
    "10,000 offerings, chat, breakdown": (10_000, 2, {
        "project": {"size": "medium", "features": 40, "tooling": "chat"}, "breakdown": True, **_ALL}, True),
    "10,000 offerings, autonomous-agent, breakdown": (10_000, 2, {
        "project": {"size": "medium", "features": 40, "tooling": "autonomous-agent"}, "breakdown": True, **_ALL}, True),
    "10,000 offerings, no price shared, chat, no breakdown": (10_000, 2, {
        "project": {"size": "medium", "features": 40, "tooling": "chat"}, "breakdown": False, **_ALL}, False),
    "six offerings + hybrid, ide-assistant": (10_000, 200, {
        "project": {"size": "medium", "features": 40, "tooling": "ide-assistant"},
        "models": [f"bench-{number:05d}" for number in (1, 2, 3, 5, 6, 7)],
        "strategies": [{"kind": "hybrid", "draft": "bench-00001", "review": "bench-00002"}]}, True),
}


def child(case: str) -> None:
    from service.estimates import project_schemas as wire
    from service.estimates.project import estimate_project

    count, requests, body, shared = CASES[case]
    snapshot, assumptions = synthetic_snapshot(count, default_sharing() if shared else None), seed_assumptions()
    request = msgspec.convert(body, wire.ProjectEstimateRequest)
    gc.set_threshold(10_000, 20, 20)  # as service/http/app.py's settle_memory
    msgspec.json.encode(estimate_project(snapshot, assumptions, request, AT).body)
    gc.collect()
    gc.freeze()
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=True)
    for _ in range(requests):
        msgspec.json.encode(estimate_project(snapshot, assumptions, request, AT).body)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=True)


def instructions(tree: Path, case: str) -> float:
    """Instructions per request, with the service code of `tree`."""
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
               sys.executable, "-P", "-m", "bench.project_instructions", "--child", case]
    output = subprocess.run(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True,
                            text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1)) / CASES[case][1]  # type: ignore[union-attr]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        child(argv[1])
        return
    if not shutil.which("valgrind"):
        sys.exit("bench needs valgrind: apt-get install valgrind")
    before = argv[argv.index("--before") + 1] if "--before" in argv else None
    print("instructions per project estimate (callgrind; estimate and encoding, no HTTP):")
    for case in CASES:
        if before:
            with checkout(before, "service") as old:
                then = instructions(old, case)
            now = instructions(ROOT, case)
            print(f"  {case}: {then / 1e6:8.2f} M ({before}) -> {now / 1e6:8.2f} M ({now / then - 1:+.0%})", flush=True)
        else:
            print(f"  {case}: {instructions(ROOT, case) / 1e6:8.2f} M", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
