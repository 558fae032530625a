"""Two versions of the service in one run, taking turns: POST /v1/estimate under wrk, and 10,000-item batches.

Run: `python -m bench.side_by_side OTHER_CHECKOUT` (OTHER_CHECKOUT: another checkout of the project, with its own
.venv: `make .venv/.installed` there). It prints figures; it asserts nothing. Needs `wrk`.

On a shared, noisy machine two runs of bench.estimate_throughput minutes apart cannot compare two versions: the
same code's figures swing by a third. Here this checkout ("this"), the other one ("other") and the bare endpoint
serve at once from one seeded database, and take turns round after round, post after post, so that the noise of
any minute falls on all of them. Each server's CPU time per request is reported beside its requests per second:
it only counts the time the server was given, so it swings less.
"""

from __future__ import annotations

import os
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

from bench.estimate_throughput import DURATION, MIXED, SAME_SHAPE, batch_ms, wrk
from bench.harness import app_env, seeded_database, served, uvicorn_command

ROUNDS, POSTS = 5, 20


def other_command(checkout: Path, port: int) -> list[str]:
    # -P: the working directory (this checkout) is not put on sys.path, so PYTHONPATH picks the other's code.
    command = uvicorn_command(port)
    return [str(checkout / ".venv" / "bin" / "python"), "-P", *command[1:]]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(checkout: Path) -> None:
    servers = {"bare": 8122, "other": 8123, "this": 8121}
    with seeded_database() as url, ExitStack() as stack:
        env = app_env(url)
        pids = {
            "this": stack.enter_context(served(uvicorn_command(servers["this"]), servers["this"], env)).pid,
            "other": stack.enter_context(served(other_command(checkout, servers["other"]), servers["other"],
                                                {**env, "PYTHONPATH": str(checkout)})).pid,
            "bare": stack.enter_context(served(uvicorn_command(servers["bare"], "bench.bare_app:app", factory=False),
                                               servers["bare"], env)).pid,
        }
        # Requests per second swing with whatever else runs on the machine; the server's CPU time per request
        # swings far less, as it only counts the time the server was given.
        rps: dict[str, list[float]] = {name: [] for name in servers}
        cpu_us: dict[str, list[float]] = {name: [] for name in servers}
        seconds = float(DURATION.rstrip("s"))
        for round_number in range(ROUNDS):
            order = list(servers)[round_number % 3:] + list(servers)[:round_number % 3]
            for name in order:
                started = cpu_seconds(pids[name])
                rps[name].append(wrk(servers[name])[0])
                cpu_us[name].append((cpu_seconds(pids[name]) - started) / (rps[name][-1] * seconds) * 1e6)
            print(f"  round {round_number + 1}: " + ", ".join(
                f"{n} {rps[n][-1]:6.0f} req/s {cpu_us[n][-1]:4.0f} µs" for n in servers), flush=True)
        batches: dict[tuple[str, str], list[float]] = {}
        batch_cpu: dict[tuple[str, str], list[float]] = {}
        for label, items in (("article session", SAME_SHAPE), ("mixed", MIXED)):
            for name in ("other", "this"):
                batches[label, name] = batch_ms(servers[name], items, runs=0)  # warm-up only
                batch_cpu[label, name] = []
            for _ in range(POSTS):
                for name in ("other", "this"):
                    started = cpu_seconds(pids[name])
                    batches[label, name] += batch_ms(servers[name], items, runs=1, warm_up=0)
                    batch_cpu[label, name].append((cpu_seconds(pids[name]) - started) * 1000)
    medians = {name: statistics.median(values) for name, values in rps.items()}
    print(f"POST /v1/estimate, {ROUNDS} rounds taking turns, medians:")
    for name in servers:
        print(f"  {name:5}: {medians[name]:7.0f} req/s, {medians[name] / medians['bare']:.2f} of bare; "
              f"server CPU {statistics.median(cpu_us[name]):4.0f} µs a request")
    print(f"10,000-item batches, {POSTS} posts each taking turns, timed by the client:")
    for (label, name), times in batches.items():
        print(f"  {label:15} {name:5}: median {statistics.median(times):4.0f} ms (min {min(times):.0f}, "
              f"max {max(times):.0f}, {sum(t > 150 for t in times)} of {len(times)} over 150 ms); "
              f"server CPU {statistics.median(batch_cpu[label, name]):.0f} ms")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]).resolve())
