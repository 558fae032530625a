"""Two versions of the service in one run, taking turns: POST /v1/estimate under wrk, and 10,000-item batches.

Run: `python -m bench.side_by_side OTHER_CHECKOUT` (OTHER_CHECKOUT: another checkout of the project, with its own
.venv: `make .venv/.installed` there). It prints figures; it asserts nothing. Needs `wrk`.

On a shared, noisy machine two runs of bench.estimate_throughput minutes apart cannot compare two versions: the
same code's figures swing by a third. Here this checkout ("this"), the other one ("other") and the bare endpoint
serve at once from one seeded database, and take turns round after round, post after post, so that the noise of
any minute falls on all of them.
"""

from __future__ import annotations

import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

from bench.estimate_throughput import MIXED, SAME_SHAPE, batch_ms, wrk
from bench.harness import app_env, seeded_database, served, uvicorn_command

ROUNDS, POSTS = 5, 20


def other_command(checkout: Path, port: int) -> list[str]:
    # -P: the working directory (this checkout) is not put on sys.path, so PYTHONPATH picks the other's code.
    command = uvicorn_command(port)
    return [str(checkout / ".venv" / "bin" / "python"), "-P", *command[1:]]


def main(checkout: Path) -> None:
    servers = {"bare": 8122, "other": 8123, "this": 8121}
    with seeded_database() as url, ExitStack() as stack:
        env = app_env(url)
        stack.enter_context(served(uvicorn_command(servers["this"]), servers["this"], env))
        stack.enter_context(served(other_command(checkout, servers["other"]), servers["other"],
                                   {**env, "PYTHONPATH": str(checkout)}))
        stack.enter_context(served(uvicorn_command(servers["bare"], "bench.bare_app:app", factory=False),
                                   servers["bare"], env))
        rps: dict[str, list[float]] = {name: [] for name in servers}
        for round_number in range(ROUNDS):
            order = list(servers)[round_number % 3:] + list(servers)[:round_number % 3]
            for name in order:
                rps[name].append(wrk(servers[name])[0])
            print(f"  round {round_number + 1}: " + ", ".join(f"{n} {rps[n][-1]:6.0f}" for n in servers), flush=True)
        batches: dict[tuple[str, str], list[float]] = {}
        for label, items in (("article session", SAME_SHAPE), ("mixed", MIXED)):
            for name in ("other", "this"):
                batches[label, name] = batch_ms(servers[name], items, runs=0)  # warm-up only
            for _ in range(POSTS):
                for name in ("other", "this"):
                    batches[label, name] += batch_ms(servers[name], items, runs=1, warm_up=0)
    medians = {name: statistics.median(values) for name, values in rps.items()}
    print(f"POST /v1/estimate, {ROUNDS} rounds taking turns, median req/s:")
    for name in servers:
        print(f"  {name:5}: {medians[name]:7.0f} req/s, {medians[name] / medians['bare']:.2f} of bare")
    print(f"10,000-item batches, {POSTS} posts each taking turns, timed by the client:")
    for (label, name), times in batches.items():
        print(f"  {label:15} {name:5}: median {statistics.median(times):4.0f} ms (min {min(times):.0f}, "
              f"max {max(times):.0f}, {sum(t > 150 for t in times)} of {len(times)} over 150 ms)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]).resolve())
