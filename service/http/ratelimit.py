"""Rate limits per API key, or per client address for anonymous calls, with a limit for each kind of route.

Hand-written because Litestar's RateLimitMiddleware sends old-draft headers, no Retry-After, and cannot key
on an API key checked by a guard. Fixed one-window counters: in memory by default, in Redis when REDIS_URL is
set, so limits hold across workers and instances.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from service.api.problems import ProblemError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window: int  # seconds

    @classmethod
    def parse(cls, name: str, spec: str) -> Policy:
        match = _SPEC.match(spec)
        if not match:
            raise ValueError(f"rate limit for {name} must look like '600/minute', got {spec!r}")
        return cls(name, int(match.group(1)), _WINDOWS[match.group(2)])

    @property
    def header(self) -> str:
        return f'"{self.name}";q={self.limit};w={self.window}'

    @cached_property
    def header_bytes(self) -> bytes:
        return self.header.encode()


class MemoryStore:
    """One process's counters: fine for one worker; use Redis to share limits between workers.

    Only the current window of each policy is kept: when a window ends, its counts are dropped whole.
    """

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def hit(self, policy: str, window_index: int, identity: str) -> int:
        window = self._windows.get(policy)
        if window is None or window.number != window_index:
            window = self._windows[policy] = _Window(window_index, {})
        count = window.counts[identity] = window.counts.get(identity, 0) + 1
        return count

    def peek(self, policy: str, window_index: int, identity: str) -> int:
        window = self._windows.get(policy)
        return window.counts.get(identity, 0) if window is not None and window.number == window_index else 0


class _Window(NamedTuple):
    number: int
    counts: dict[str, int]  # calls so far in this window, by identity


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)

    async def hit(self, key: str, window: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = await pipe.execute()
        return int(count)

    async def peek(self, key: str) -> int:
        return int(await self._redis.get(key) or 0)

    async def close(self) -> None:
        await self._redis.aclose()


class Verdict(NamedTuple):  # a NamedTuple: built on every request, and cheaper than a frozen dataclass
    policy: Policy
    remaining: int
    reset: int  # seconds until the window ends

    @property
    def headers(self) -> dict[str, str]:
        return {"RateLimit-Policy": self.policy.header,
                "RateLimit": f'"{self.policy.name}";r={self.remaining};t={self.reset}'}

    @property
    def running_low(self) -> bool:
        """Ten requests or a tenth of the budget left: from then on, successful answers show the budget too."""
        return self.remaining <= max(10, self.policy.limit // 10)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"ratelimit-policy", self.policy.header_bytes),
                (b"ratelimit", f'"{self.policy.name}";r={self.remaining};t={self.reset}'.encode())]


class RateLimiter:
    def __init__(self, store: MemoryStore | RedisStore, policies: dict[str, Policy]) -> None:
        self.store = store
        self.policies = policies
        self.rejections = 0
        self.auth_failures = 0

    @property
    def in_memory(self) -> bool:
        return isinstance(self.store, MemoryStore)

    async def check(self, policy_name: str, identity: str) -> Verdict:
        """Count this call; raise a 429 problem when it is over the limit."""
        if isinstance(self.store, MemoryStore):
            return self.check_in_memory(policy_name, identity)
        policy = self.policies[policy_name]
        now = time.time()
        window_index = int(now) // policy.window
        count = await self.store.hit(f"ratelimit:{policy.name}:{identity}:{window_index}", policy.window)
        return self._verdict(policy, count, window_index, now)

    async def refuse_if_spent(self, policy_name: str, identity: str) -> None:
        """A 429 when `identity` has used up `policy_name`'s window already, without counting this call: for
        limits on failures, counted only when a failure happens (record_failure)."""
        policy = self.policies[policy_name]
        now = time.time()
        window_index = int(now) // policy.window
        if isinstance(self.store, MemoryStore):
            count = self.store.peek(policy.name, window_index, identity)
        else:
            count = await self.store.peek(f"ratelimit:{policy.name}:{identity}:{window_index}")
        if count >= policy.limit:
            self._verdict(policy, count + 1, window_index, now)  # raises the 429

    async def record_failure(self, policy_name: str, identity: str) -> None:
        """Count one failure of `identity` against `policy_name` (its 429 is for the next attempt)."""
        self.auth_failures += 1
        policy = self.policies[policy_name]
        if isinstance(self.store, MemoryStore):
            self.store.hit(policy.name, int(time.time()) // policy.window, identity)
        else:
            window_index = int(time.time()) // policy.window
            await self.store.hit(f"ratelimit:{policy.name}:{identity}:{window_index}", policy.window)

    def check_in_memory(self, policy_name: str, identity: str) -> Verdict:
        """check() without a coroutine, for the in-memory store: it runs on every request."""
        policy = self.policies[policy_name]
        now = time.time()
        window_index = int(now) // policy.window
        store = self.store
        assert isinstance(store, MemoryStore)  # callers check in_memory first
        count = store.hit(policy.name, window_index, identity)
        return self._verdict(policy, count, window_index, now)

    def _verdict(self, policy: Policy, count: int, window_index: int, now: float) -> Verdict:
        reset = max(1, math.ceil((window_index + 1) * policy.window - now))
        verdict = Verdict(policy, max(0, policy.limit - count), reset)
        if count > policy.limit:
            self.rejections += 1
            raise ProblemError(
                429, "rate-limited", "Too many requests",
                f"over the {policy.name} limit of {policy.limit} requests per {policy.window} s; "
                f"retry after {reset} s",
                headers={"Retry-After": str(reset), **verdict.headers},
            )
        return verdict
