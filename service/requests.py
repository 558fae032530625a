"""The request class: JSON numbers in bodies are read as exact decimals, never through a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException
from litestar.types import Empty

# Litestar decodes bodies to plain Python values first and converts them to the handler's type after, so a
# JSON number such as 0.123456789012345678 would pass through a float and lose digits. Reading fractional
# numbers as Decimal keeps them exact ("JSON numbers are accepted when parsed exactly", API.md).
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class ExactRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is Empty:
            if self._connection_state.json is not Empty:
                self._json = self._connection_state.json
            else:
                body = await self.body()
                try:
                    self._json = self._connection_state.json = _DECODER.decode(body or b"null")
                except msgspec.DecodeError as exc:
                    raise SerializationException(str(exc)) from exc
        return self._json
