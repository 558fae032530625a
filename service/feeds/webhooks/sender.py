"""One HTTP attempt to deliver one signed message: never following redirects, reading at most 64 KiB of the
answer, within one deadline for the whole exchange, to an address checked just before connecting."""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

import httpx

from service.feeds.webhooks.targets import TargetRefused, resolve

MAX_ANSWER_BYTES = 64 * 1024
EXCERPT_BYTES = 1024


class Attempt(NamedTuple):
    succeeded: bool
    status_code: int | None
    duration_ms: int
    error: str | None  # the class of failure, for the delivery log and for retries
    excerpt: str | None

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def http_client() -> httpx.AsyncClient:
    # No proxies from the environment (trust_env=False): the checked address is the one connected to.
    return httpx.AsyncClient(follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))


async def send(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes, *,
               seconds: float, allow_private: bool) -> Attempt:
    started = time.perf_counter()

    def done(status: int | None, error: str | None, excerpt: bytes | None = None) -> Attempt:
        succeeded = error is None and status is not None and 200 <= status < 300
        # PostgreSQL text holds no NUL: the excerpt is for people, so it is shown as a replacement character.
        text = (excerpt[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")
                if excerpt is not None else None)
        return Attempt(succeeded, status, round((time.perf_counter() - started) * 1000), error, text)

    try:
        async with asyncio.timeout(seconds):  # one deadline: a receiver dripping its answer cannot hold us
            target = await resolve(url, allow_private)
            request = client.build_request(
                "POST", target.url, content=body,
                headers={**headers, "Host": _host_header(url, target.host), "Content-Type": "application/json",
                         "User-Agent": "pricing-api-webhooks/1"},
                extensions={"sni_hostname": target.host, "timeout": httpx.Timeout(seconds).as_dict()})
            response = await client.send(request, stream=True)
            try:
                answer = bytearray()
                async for chunk in response.aiter_raw():
                    answer += chunk
                    if len(answer) >= MAX_ANSWER_BYTES:
                        break  # the rest is never read: a huge answer costs us 64 KiB at most
            finally:
                await response.aclose()
    except TargetRefused:
        return done(None, "refused_target")
    except TimeoutError:
        return done(None, "timeout")
    except httpx.TimeoutException:
        return done(None, "timeout")
    except httpx.ConnectError:
        return done(None, "connect")
    except httpx.HTTPError:
        return done(None, "protocol")
    status = response.status_code
    return done(status, None if 200 <= status < 300 else "http_status", bytes(answer))


def _host_header(url: str, host: str) -> str:
    port = httpx.URL(url).port
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host
