"""Rendered feed bodies of the current snapshot, each with its ETag and compressed forms, made once.

A feed body is a pure function of the snapshot, the instant asked for (or "now"), and the format. Partners
re-poll the same feed over and over: rendering thousands of models, hashing and compressing them once per
change, and answering a matching If-None-Match from here, is what makes a poll cost the same at any catalog size.

Only the current snapshot's bodies are kept (a new snapshot drops them all), and at most `_LIMIT` of them, so
memory follows the catalog, not the number of writes or of instants asked for. A body for "now" stays valid
until the next instant at which any model's effective price changes.
"""

from __future__ import annotations

import asyncio
import gzip
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime

import brotli
import zstandard

from service.api.conditional import strong_etag
from service.snapshot.catalog_snapshot import CatalogSnapshot

_LIMIT = 32
# Best first. The highest levels took seconds on a 10,000-model feed (zstd 19: 4 s, brotli 11: 7 s, measured by
# bench.scale); these take tens of milliseconds for most of the ratio. They run in a thread: the three libraries
# release the GIL while they compress, so the event loop goes on meanwhile.
_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "zstd": lambda body: zstandard.ZstdCompressor(level=6).compress(body),
    "br": lambda body: brotli.compress(body, quality=5),
    "gzip": lambda body: gzip.compress(body, compresslevel=6, mtime=0),  # mtime 0: the same bytes every time
}
ENCODINGS = tuple(_COMPRESSORS)


class FeedBody:
    """One rendered feed, and its forms by content coding ("identity" is the body itself)."""

    __slots__ = ("_etag_base", "_forms", "body", "media_type", "valid_until")

    def __init__(self, body: bytes, media_type: str, valid_until: datetime | None) -> None:
        self.body = body
        self.media_type = media_type
        self.valid_until = valid_until  # None: as long as the snapshot
        self._etag_base = strong_etag(body)[1:-1]
        self._forms: dict[str, bytes] = {"identity": body}

    def etag(self, encoding: str) -> str:
        # Strong validators differ between the encodings of one body (RFC 9110, 8.8.3).
        return f'"{self._etag_base}"' if encoding == "identity" else f'"{self._etag_base}-{encoding}"'

    async def encoded(self, encoding: str) -> bytes:
        if encoding not in self._forms:
            self._forms[encoding] = await asyncio.to_thread(_COMPRESSORS[encoding], self.body)
        return self._forms[encoding]


class FeedCache:
    def __init__(self) -> None:
        self._snapshot: CatalogSnapshot | None = None
        self._bodies: OrderedDict[Hashable, FeedBody] = OrderedDict()

    def body(self, snapshot: CatalogSnapshot, key: Hashable, now: datetime,
             render: Callable[[], FeedBody]) -> FeedBody:
        """The body for `key` in `snapshot`; `render` runs only when there is none still valid at `now`."""
        if snapshot is not self._snapshot:
            self._snapshot, self._bodies = snapshot, OrderedDict()
        cached = self._bodies.get(key)
        if cached is not None and (cached.valid_until is None or now < cached.valid_until):
            self._bodies.move_to_end(key)
            return cached
        made = self._bodies[key] = render()
        self._bodies.move_to_end(key)
        if len(self._bodies) > _LIMIT:
            self._bodies.popitem(last=False)
        return made


def next_price_change(snapshot: CatalogSnapshot, after: datetime) -> datetime | None:
    """The first instant after `after` at which any model's effective price changes."""
    changes = (timeline.next_change(after) for timeline in snapshot.timelines.values())
    return min((change for change in changes if change is not None), default=None)


def chosen_encoding(accept_encoding: str) -> str:
    """The best content coding the client accepts (RFC 9110, 12.5.3), or "identity"."""
    accepted: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name.strip()] = quality
    wildcard = accepted.get("*", 0.0)
    usable = [name for name in ENCODINGS if accepted.get(name, wildcard) > 0]
    return max(usable, key=lambda name: accepted.get(name, wildcard), default="identity")
