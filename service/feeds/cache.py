"""Rendered feed bodies, kept while the prices they show stay the same.

A feed body is a pure function of which effective price each model has (the snapshot's EffectivePrice
objects, by identity), the instant asked for, and the format. Partners re-poll the same feed over and over:
rendering 5,000 models and hashing the result once per change, not once per request, is what makes their
conditional GETs cheap.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from service.api.conditional import strong_etag
from service.pricing.timeline import EffectivePrice

_LIMIT = 16
_bodies: OrderedDict[tuple[object, ...], tuple[bytes, str, list[EffectivePrice]]] = OrderedDict()


def cached_body(
    feed_name: str, asked: datetime | None, prices: list[tuple[str, EffectivePrice]], render: Callable[[], bytes]
) -> tuple[bytes, str]:
    """The body and its strong ETag; `render` runs only when these prices were not rendered before."""
    key = (feed_name, asked, tuple((model_id, id(price)) for model_id, price in prices))
    if key in _bodies:
        _bodies.move_to_end(key)
        body, etag, _ = _bodies[key]
        return body, etag
    body = render()
    etag = strong_etag(body)
    # The entry keeps the price objects alive, so the ids in its key cannot be reused by other objects.
    _bodies[key] = (body, etag, [price for _, price in prices])
    if len(_bodies) > _LIMIT:
        _bodies.popitem(last=False)
    return body, etag
