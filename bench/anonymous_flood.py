"""Issue 15, item 3: can a flood of anonymous batch requests starve another client's estimates?

One uvicorn worker on an embedded, seeded PostgreSQL. A victim posts single estimates one after another, first alone,
then while FLOOD_CLIENTS other clients post full batches (BATCH_ITEMS items, the default ESTIMATE_MAX_BATCH_ITEMS)
as fast as they are answered. Rate limits are off (as from many addresses: the worst case for the victim). Prints
the victim's p99 alone and under the flood, their ratio (the goal is at most 2x), and the flood's answers by status;
asserts nothing. The victim's time alone and under the flood is taken in BENCH_ROUNDS alternating stretches (the
flood paused, its batches in flight finished, then resumed), so that both see the same background load of a shared
machine; each figure is over all the stretches of its kind.

Side by side, one server each, measured in turns (each round takes every mode's alone and flooded stretches, so every
mode sees the same background load): BATCH_PROCESSES=0 ("thread": batches priced on a thread of the serving
process) and BATCH_PROCESSES=1 ("process": big batches priced in a batch process, service/estimates/batch_process.py);
"elsewhere", the floor: the flood goes to a second server (BATCH_PROCESSES=1) on the same machine, so the victim's
server sees none of it and only the shared cores slow the victim; and with BENCH_BEFORE=COMMIT, "process@COMMIT":
that commit's service package served the same way (git archive), to compare a change of the serving code. The
flooding clients run at `nice` FLOOD_NICE (0: they share the server's cores as equals, where real flooders would be
on machines of their own).

`python -m bench.anonymous_flood` (BENCH_SECONDS=10 alone and 10 flooded for each mode and victim, BENCH_ROUNDS=5,
FLOOD_CLIENTS=4, BATCH_ITEMS=10000, BENCH_MODES=thread,process,elsewhere, BENCH_VICTIMS=socket,httpx, FLOOD_NICE=0 by
default)

BENCH_FLOOD=project: the flood is of project estimates over every offering (`all_models`, the autonomous agent with
the breakdown) instead of batches, on the default catalog that `make run` serves (4,619 offerings) rather than the
seed's six models (service/estimates/heavy_posts.py).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from typing import NamedTuple

import httpx

from bench.harness import ROOT, app_env, checkout, free_port, seeded_database, served, uvicorn_command
from bench.open_loop import post_bytes

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
FLOOD_CLIENTS = int(os.environ.get("FLOOD_CLIENTS", "4"))
BATCH_ITEMS = int(os.environ.get("BATCH_ITEMS", "10000"))
MODES = {"thread": "0", "process": "1", "elsewhere": "1"}  # BATCH_PROCESSES of each
ASKED_MODES = os.environ.get("BENCH_MODES", "thread,process,elsewhere").split(",")
BEFORE = os.environ.get("BENCH_BEFORE")
FLOOD_NICE = int(os.environ.get("FLOOD_NICE", "0"))
# BENCH_SPLIT=1: the machine split in two, as a server and its clients would be: each server (its batch process
# too) on core 0, the victim and the flooding clients on core 1 (the flooders at FLOOD_NICE, 19 in the split's
# runs: on machines of their own they would not take the victim's CPU).
SPLIT = os.environ.get("BENCH_SPLIT") == "1"
SERVER_CORE = ["taskset", "-c", "0"] if SPLIT else []
CLIENT_CORE = ["taskset", "-c", "1"] if SPLIT else []
VICTIMS = os.environ.get("BENCH_VICTIMS", "socket,httpx").split(",")
WHOLE = b'"succeeded":%d,"failed":0}' % BATCH_ITEMS
PROJECTS = os.environ.get("BENCH_FLOOD", "batch") == "project"
# Now (no `at`): the default catalog's offerings are priced from the day it was gathered, late in 2026.
PROJECT = {"project": {"size": "medium", "features": 40, "tooling": "autonomous-agent"}, "all_models": True,
           "strategies": [{"kind": "hybrid", "draft": "deepseek-v4-flash", "review": "claude-opus-4.7"}]}
ESTIMATE = {"model": "deepseek-v4-flash", "input_tokens": 50_000, "output_tokens": 20_000, "at": "2026-05-10"}


def victim(port: int, seconds: float, kind: str = "socket") -> tuple[list[float], int]:
    """Latencies (ms) of sequential estimates on one keep-alive connection, and how many were not 200. Two kinds of
    victim: "socket", a bare socket, which measures the server (about 0.3 ms a request here); "httpx", a typical
    Python client, which spends about 1 ms of its own CPU on each request and has a tail of its own (3-5 ms at p99
    on this machine), so it measures what such a client sees."""
    if kind == "httpx":
        return _victim_httpx(port, seconds)
    times, failed = [], 0
    request = post_bytes("/v1/estimate", json.dumps(ESTIMATE).encode(), port)
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        answers = connection.makefile("rb")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.sendall(request)
            status = answers.readline()
            length = 0
            while (line := answers.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answers.read(length)
            times.append((time.perf_counter() - started) * 1000)
            failed += not status.startswith(b"HTTP/1.1 200")
    return times, failed


def _victim_httpx(port: int, seconds: float) -> tuple[list[float], int]:
    times, failed = [], 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status = client.post("/v1/estimate", json=ESTIMATE).status_code
            times.append((time.perf_counter() - started) * 1000)
            failed += status != 200
    return times, failed


class Flood(NamedTuple):
    """What the flooding processes share with the bench: stop, go (flood while set), and counts."""

    stop: EventType
    go: EventType
    busy: Synchronized  # type: ignore[type-arg]  # flooders with a batch in flight
    answered: Synchronized  # type: ignore[type-arg]
    refused: Synchronized  # type: ignore[type-arg]


def flood(port: int, shared: Flood, nice: int) -> None:
    """One flooding client, in a process of its own: in the victim's process its threads would hold the victim's
    interpreter lock, and the victim's figures would count that too."""
    os.nice(nice)
    body = json.dumps(PROJECT if PROJECTS else {"items": [ESTIMATE] * BATCH_ITEMS}).encode()
    path = "/v1/estimate/project" if PROJECTS else "/v1/estimate/batch"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        while not shared.stop.is_set():
            if not shared.go.wait(0.1):
                continue
            with shared.busy.get_lock():
                shared.busy.value += 1
            response = client.post(path, content=body, headers={"content-type": "application/json"})
            # Every item priced (the answer's tail, not a parse of its 9 MB: that would load the shared cores more).
            whole = response.status_code == 200 and (PROJECTS or WHOLE in response.content[-200:])
            counter = shared.answered if whole else shared.refused
            with counter.get_lock():
                counter.value += 1
            with shared.busy.get_lock():
                shared.busy.value -= 1


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


class Mode(NamedTuple):
    """One server under test: where the victim posts, where its flood goes, and the flood's processes."""

    name: str
    port: int
    flood: Flood
    flooders: list[multiprocessing.Process]


def flooding(name: str, port: int, flood_port: int) -> Mode:
    value = multiprocessing.Value
    shared = Flood(multiprocessing.Event(), multiprocessing.Event(), value("i", 0), value("i", 0), value("i", 0))
    flooders = [multiprocessing.Process(target=flood, args=(flood_port, shared, FLOOD_NICE))
                for _ in range(FLOOD_CLIENTS)]
    for process in flooders:
        process.start()
    return Mode(name, port, shared, flooders)


def stretches(mode: Mode, kind: str, alone: list[float], under: list[float], modes: list[Mode]) -> tuple[int, int]:
    """One alone and one flooded stretch of the `kind` of victim on `mode`; the victim's failures in each."""
    while any(other.flood.busy.value for other in modes):  # every flood's batches in flight are answered first
        time.sleep(0.01)
    times, failed_alone = victim(mode.port, SECONDS / ROUNDS, kind)
    alone += times
    mode.flood.go.set()
    time.sleep(0.5)  # the flood is under way
    times, failed_under = victim(mode.port, SECONDS / ROUNDS, kind)
    under += times
    mode.flood.go.clear()
    return failed_alone, failed_under


def started(name: str, url: str, stack: contextlib.ExitStack) -> Mode:
    """`name`'s server (and, for elsewhere, the server its flood goes to), ready, and its flooders, paused."""
    code = ROOT
    if name.startswith("process@"):
        code = stack.enter_context(checkout(name.removeprefix("process@"), "service", "alembic", "alembic.ini"))
    port = free_port()
    flood_port = free_port() if name == "elsewhere" else port
    env = app_env(url, BATCH_PROCESSES=MODES[name.split("@")[0]], PYTHONPATH=str(code))
    stack.enter_context(served(SERVER_CORE + uvicorn_command(port), port, env, cwd=code))
    if flood_port != port:  # another server machine: in the split, the clients' core
        stack.enter_context(served(CLIENT_CORE + uvicorn_command(flood_port), flood_port, env, cwd=code))
    victim(port, 2)  # warm up
    return flooding(name, port, flood_port)


def main() -> None:
    names = ([f"process@{BEFORE}"] if BEFORE else []) + ASKED_MODES
    flooded = "project estimates over every offering" if PROJECTS else f"{BATCH_ITEMS}-item batches"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {FLOOD_CLIENTS} flooding clients at nice "
          f"{FLOOD_NICE}, {flooded}, {SECONDS:.0f} s alone and {SECONDS:.0f} s flooded for each mode "
          f"and victim in {ROUNDS} rounds, taking turns" + ("; servers on core 0, clients on core 1" if SPLIT else ""))
    with seeded_database("default" if PROJECTS else "seed") as url, contextlib.ExitStack() as stack:
        if SPLIT:
            os.sched_setaffinity(0, {1})  # this process (the victim) and the flooders it starts
        modes = [started(name, url, stack) for name in names]
        runs = [(mode, kind) for mode in modes for kind in VICTIMS]
        times: dict[tuple[str, str], tuple[list[float], list[float]]] = {
            (mode.name, kind): ([], []) for mode, kind in runs}
        failures = dict.fromkeys(times, (0, 0))
        for _ in range(ROUNDS):
            for mode, kind in runs:
                key = (mode.name, kind)
                failed = stretches(mode, kind, *times[key], modes)
                failures[key] = (failures[key][0] + failed[0], failures[key][1] + failed[1])
        for mode in modes:
            mode.flood.stop.set()
            for process in mode.flooders:
                process.join()
        print("| batches | victim | alone: p99 (median) | under the flood: p99 (median) | ratio | "
              "flood's batches answered: whole 200 (other) | victim not 200 (alone / flooded) |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for mode, kind in runs:
            alone, under = times[(mode.name, kind)]
            failed_alone, failed_under = failures[(mode.name, kind)]
            print(f"| {mode.name} | {kind} | {p99(alone):.2f} ms ({statistics.median(alone):.2f}) | "
                  f"{p99(under):.2f} ms ({statistics.median(under):.2f}) | {p99(under) / p99(alone):.1f}x | "
                  f"{mode.flood.answered.value} ({mode.flood.refused.value}) | {failed_alone} / {failed_under} |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
