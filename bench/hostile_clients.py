"""Issue 15, items 1 and 2: memory under large headers, and estimates served while slow clients hold connections.

Each is measured on `pricing-api serve` (the guarded protocol, service/http/server.py) and on plain uvicorn with
httptools (what `serve` ran before). Prints figures; asserts nothing. `python -m bench.hostile_clients`
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.harness import app_env, free_port, seeded_database, served, uvicorn_command

HEADER_MB = 64
SLOW_CONNECTIONS = 2000
ESTIMATE = "/v1/estimate?model=deepseek-v4-flash&input_tokens=50000&output_tokens=20000&at=2026-05-10"


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def send_large_headers(port: int) -> str:
    """HEADER_MB of one header, sent in 1 MB writes; returns how the server answered."""
    chunk = b"a" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(b"GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: ")
            for _ in range(HEADER_MB):
                sock.sendall(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server closed the connection early: what the guard does
        with contextlib.suppress(OSError):
            return sock.recv(100).split(b"\r\n")[0].decode() or "closed"
    return "closed"


def hold_slow(port: int, count: int, stop: threading.Event) -> None:
    sockets = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /health/live HTTP/1.1\r\n")
            sockets.append(sock)
    while not stop.wait(2):  # one more header byte every 2 s, as a slowloris client does
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.sendall(b"x")
    for sock in sockets:
        sock.close()


def estimates_under_slow_clients(port: int, seconds: float = 10) -> tuple[int, int, float]:
    stop = threading.Event()
    holder = threading.Thread(target=hold_slow, args=(port, SLOW_CONNECTIONS, stop))
    holder.start()
    time.sleep(3)  # the slow connections are open
    ok = failed = 0
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=5) as client:
                status = client.get(f"http://127.0.0.1:{port}{ESTIMATE}").status_code
        except httpx.HTTPError:
            status = 0
        times.append(time.perf_counter() - started)
        ok, failed = (ok + 1, failed) if status == 200 else (ok, failed + 1)
    stop.set()
    holder.join()
    p99 = statistics.quantiles(times, n=100)[98] * 1000 if len(times) > 2 else 0.0
    return ok, failed, p99


def main() -> None:
    with seeded_database() as url:
        runs = {
            "pricing-api serve": [sys.executable, "-m", "service.cli", "serve", "--port"],
            "plain uvicorn (httptools)": None,
        }
        for label, command in runs.items():
            port = free_port()
            cmd = [*command, str(port)] if command else uvicorn_command(port)
            with served(cmd, port, app_env(url)) as process:
                before = rss_mb(process.pid, "VmRSS")
                answer = send_large_headers(port)
                time.sleep(1)
                peak = rss_mb(process.pid, "VmHWM")
                print(f"{label}: {HEADER_MB} MB of headers -> {answer!r}; RSS {before:.0f} MB before, "
                      f"peak {peak:.0f} MB")
                ok, failed, p99 = estimates_under_slow_clients(port)
                print(f"{label}: under {SLOW_CONNECTIONS} slow connections, 10 s of sequential estimates: "
                      f"{ok} answered 200, {failed} failed, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
