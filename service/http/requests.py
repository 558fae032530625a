"""The request class: JSON bodies are read exactly and checked strictly against the handler's body type.

Litestar decodes a body to plain Python values and converts them to the handler's type afterwards, in its lax
mode (made for query strings): a JSON number such as 0.123456789012345678 would pass through a float and lose
digits, and "1" would be taken for the integer 1. Here fractional numbers are read as Decimal (JSON numbers
are accepted when they are parsed exactly; see docs/api.md) and the body must match its declared type strictly,
or it is a 422 that points at the field (service.api.decoding).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.types import Empty

from service.api.decoding import convert_strict, decode_json


class ExactRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is Empty:
            if self._connection_state.json is not Empty:
                self._json = self._connection_state.json
            else:
                self._json = self._connection_state.json = _checked(await self.body(), self._body_type())
        return self._json

    def _body_type(self) -> Any:
        field = getattr(self.route_handler, "parsed_data_field", None)
        return None if field is None else field.annotation


def _checked(body: bytes, body_type: Any) -> Any:
    value = decode_json(body)
    # The converted body is what the handler gets: Litestar's own conversion passes a value that already has the
    # declared type through untouched, so a 10,000-item batch is converted once, not twice.
    return value if body_type is None else convert_strict(value, body_type)
