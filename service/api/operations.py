"""`@idempotent_post`: a POST route whose OpenAPI operation documents the Idempotency-Key header.

Routes use it; service.http.idempotency does the work at the edge, so the routes never reach up into http/.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from litestar import post
from litestar.enums import ParamType
from litestar.openapi.spec import OpenAPIResponse, OpenAPIType, Operation
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.openapi.spec import Schema as OpenAPISchema

from service.api.problems import PROBLEM_DESCRIPTIONS

KEY_HEADER = "Idempotency-Key"  # as the spec and problems name it


@dataclass
class IdempotentOperation(Operation):
    """The OpenAPI operation of a POST: it documents the Idempotency-Key header this middleware honours."""

    def __post_init__(self) -> None:
        header = OpenAPIParameter(
            name=KEY_HEADER, param_in=ParamType.HEADER, required=False,
            schema=OpenAPISchema(type=OpenAPIType.STRING, min_length=1, max_length=255),
            description="Retry-safe POST: a retry with the same key and request replays the first response byte "
                        "for byte (`Idempotent-Replayed: true`); the same key with another request is a 422; a "
                        "retry while the first is still running is a 409. Keys are kept 24 hours; only "
                        "successful answers are kept.",
        )
        self.parameters = [*(self.parameters or []), header]
        # What this middleware itself answers, whatever the route declares: a body it cannot keep, and a retry
        # of a request still running. Every route declares 500, whose body is the same problem shape.
        responses = self.responses or {}
        server_error = responses["500"]
        assert isinstance(server_error, OpenAPIResponse)  # routes declare their problems inline, never by $ref
        problem = server_error.content
        responses.setdefault("413", OpenAPIResponse(description=PROBLEM_DESCRIPTIONS[413], content=problem))
        in_flight = "a request with the same Idempotency-Key is still running (retry after `Retry-After` seconds)"
        if isinstance(conflict := responses.get("409"), OpenAPIResponse):
            conflict.description = f"{conflict.description}; or {in_flight}"
        else:
            responses["409"] = OpenAPIResponse(description=in_flight[0].upper() + in_flight[1:], content=problem)
        self.responses = dict(sorted(responses.items()))


# @idempotent_post(...) is @post(...) whose OpenAPI operation documents the Idempotency-Key header.
idempotent_post = partial(post, operation_class=IdempotentOperation)
