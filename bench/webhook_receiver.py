"""A bare ASGI webhook receiver for bench.webhooks: answers 204, counts, and records each message's lag."""

from __future__ import annotations

import json
import time
from datetime import datetime

STATE: dict = {"count": 0, "lags_ms": [], "first_at": None, "last_at": None}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    answer, status = b"", 204
    if path == "/stats":
        answer, status = json.dumps(STATE).encode(), 200
    elif path == "/reset":
        STATE.update(count=0, lags_ms=[], first_at=None, last_at=None)
    else:
        now = time.time()
        recorded = datetime.fromisoformat(json.loads(body)["data"]["recorded_at"].replace("Z", "+00:00"))
        STATE["lags_ms"].append((now - recorded.timestamp()) * 1000)
        STATE["count"] += 1
        STATE["first_at"] = STATE["first_at"] or time.perf_counter()
        STATE["last_at"] = time.perf_counter()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})
