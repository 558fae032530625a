"""The request class: JSON bodies are read exactly and checked strictly against the handler's body type.

Litestar decodes a body to plain Python values and converts them to the handler's type afterwards, in its lax
mode (made for query strings): a JSON number such as 0.123456789012345678 would pass through a float and lose
digits, and "1" would be taken for the integer 1. Here fractional numbers are read as Decimal (a JSON number
is read exactly as written: docs/api.md, Money) and the body must match its declared type strictly, or it is a 422.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException, ValidationException
from litestar.types import Empty

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


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
    try:
        value = _DECODER.decode(body or b"null")
    except (msgspec.DecodeError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, msgspec.DecodeError) else "JSON nested too deeply"
        raise SerializationException(reason) from exc
    if body_type is not None:
        try:
            # The converted body is what the handler gets: Litestar's own conversion passes a value that already
            # has the declared type through untouched, so a 10,000-item batch is converted once, not twice.
            return msgspec.convert(value, body_type, strict=True)
        except msgspec.ValidationError as exc:
            message = str(exc)
            match = _PATH.search(message)
            key = match.group(1) if match else "data"
            raise ValidationException(detail="Validation failed", extra=[
                {"message": _PATH.sub("", message), "key": key or "data", "source": "body"}]) from exc
    return value
