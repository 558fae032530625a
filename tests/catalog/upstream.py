"""The upstream catalogs as files (from the packages that ship them) and a local HTTP server that serves them.

The server behaves as a static file host does: ETag and Last-Modified on every file, 304 to a matching
If-None-Match, and on demand a 500 or a body cut short of its Content-Length.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec


def litellm_file() -> bytes:
    """LiteLLM's cost map as its package ships it (found without importing litellm, which takes seconds)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations
    return (Path(spec.submodule_search_locations[0]) / "model_prices_and_context_window_backup.json").read_bytes()


def genai_prices_file() -> bytes:
    """genai-prices' providers, read through the package's own types and written as its data.json shape.

    The package ships its data as a Python module, not a file: every model's id, name, context window and
    prices (a price object, or a list of conditional ones) are written out; prices stay exact decimals.
    """
    from genai_prices.data import providers

    encoder = msgspec.json.Encoder(enc_hook=_plain, decimal_format="number")
    return encoder.encode([
        {"id": provider.id, "name": provider.name, "models": [_model(model) for model in provider.models]}
        for provider in providers
    ])


def _model(model: Any) -> dict[str, Any]:
    prices = model.prices
    written = ([{"constraint": _plain(p.constraint), "prices": _plain(p.prices)} for p in prices]
               if isinstance(prices, list) else _plain(prices))
    return {"id": model.id, "name": model.name, "context_window": model.context_window, "prices": written}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | Decimal):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # ModelPrice is a plain object whose attributes are its price kinds.
    return {key: _plain(item) for key, item in vars(value).items() if not key.startswith("_") and item is not None}


@dataclasses.dataclass
class Upstream:
    """What the server answers, changed by the test between requests."""

    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    fail_with: int | None = None  # answer every request with this status
    truncate: bool = False  # send half the body, then close, though Content-Length says the whole
    validators: bool = True  # send ETag and Last-Modified, and answer 304 to a match
    requests: list[dict[str, str]] = dataclasses.field(default_factory=list)


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            upstream.requests.append(dict(self.headers.items()))
            body = upstream.files.get(self.path)
            if upstream.fail_with is not None or body is None:
                status = upstream.fail_with or 404
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if upstream.validators and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if upstream.validators:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Thu, 03 Dec 2026 10:00:00 GMT")
            if upstream.truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if upstream.truncate else body)
            if upstream.truncate:
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class UpstreamServer:
    def __init__(self) -> None:
        self.upstream = Upstream()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.upstream))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> UpstreamServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
