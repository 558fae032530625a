"""RFC 9457 problem details: the one error shape, the problem types routes raise, and their OpenAPI entries.

service.http.problem_responses turns them into responses; this module sits low so that every route can raise them.
"""

from __future__ import annotations

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from service.pricing.errors import InputError, InvalidValue, path_of

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One field at fault: `pointer` (RFC 6901) locates it in the JSON body; `field` names it as people write it,
    and is the only locator for a query parameter or a header."""

    field: str
    message: str
    pointer: str | None = None


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What every 4xx and 5xx response carries."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    # On `offering-required` and `ambiguous-alias`: the offering ids to choose from, by id.
    offerings: list[str] | None = None
    # On `history-is-fixed`: where the past of that model is corrected instead (docs/security.md, History).
    corrections_url: str | None = None

    def __post_init__(self) -> None:
        # The contract promises every 422 an `errors` list. Where no single field is to blame (a value the
        # database refused, a check of the whole body), the list names the body.
        if self.status == 422 and not self.errors:
            self.errors = [FieldError(field="body", pointer="", message=self.detail)]


class ProblemError(Exception):
    """Raised anywhere below a route to answer with a problem; `kind` becomes the `type` URI."""

    def __init__(
        self, status: int, kind: str, title: str, detail: str, *,
        errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = Problem(type=f"/problems/{kind}", title=title, status=status, detail=detail, errors=errors)
        self.headers = headers or {}


def not_found(what: str, ident: object) -> ProblemError:
    return ProblemError(404, "not-found", "Not found", f"{what} '{ident}' does not exist")


def offering_required(model_id: str, offerings: list[str]) -> ProblemError:
    """A bare model id that no maker's offering answers to, while other providers sell the model: picking one
    of them would price a reseller's rate as if it were the model's, so the client must choose."""
    error = ProblemError(409, "offering-required", "Choose an offering", (
        f"model '{model_id}' is not sold here by its maker; name one of its offerings: {', '.join(offerings)}"))
    error.problem.offerings = offerings
    return error


def ambiguous_alias(alias: str, offerings: list[str]) -> ProblemError:
    """A name that several offerings answer to at that instant: which one is meant is the client's choice."""
    error = ProblemError(409, "ambiguous-alias", "Ambiguous alias", (
        f"'{alias}' names several offerings at that instant; name one of them: {', '.join(offerings)}"))
    error.problem.offerings = offerings
    return error


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "conflict", "Conflict", detail)


def invalid(field: str, message: str) -> InvalidValue:
    """A value that fails its schema, at `field` ("distribution.days", "items[3].model")."""
    return InvalidValue(message, *path_of(field))


class MalformedBody(InputError):
    """The body is not JSON (or not UTF-8, or nested too deeply)."""

    problem_type = "malformed-request"
    title = "Malformed request"
    status = 400


class InvalidInstant(InputError):
    """An instant or date that is not RFC 3339 with an offset, or a bare date, within the supported years."""

    problem_type = "invalid-instant"


class InvalidCursor(InputError):
    """A pagination cursor that this service did not hand out."""

    problem_type = "invalid-cursor"


class IdempotencyKeyInvalid(InputError):
    """An Idempotency-Key header that is empty or longer than 255 characters."""

    problem_type = "invalid-idempotency-key"
    in_header = True


class IdempotencyKeyReused(InputError):
    """An Idempotency-Key already used for another request."""

    problem_type = "idempotency-key-reused"
    title = "Idempotency-Key reused"
    in_header = True


def problem_of(error: InputError) -> Problem:
    """The problem that answers an input error: its class gives the type, its path the field."""
    return Problem(type=f"/problems/{error.problem_type}", title=error.title, status=error.status,
                   detail=error.detail,
                   errors=[FieldError(field=error.field, pointer=None if error.in_header else error.pointer,
                                      message=error.detail)])




PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: the body is not valid JSON",
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope this call needs",
    404: "The named object does not exist (or has no price at that instant)",
    410: "The quote was stored anonymously and its `expires_at` has passed",
    409: "The change conflicts with the stored catalog (overlapping period, existing id, history that must stay)",
    412: "If-Match does not match the object's current ETag: it changed since you read it",
    413: "The request is too large: a body over 4 MB, or a batch of more than 10,000 items",
    422: "The request is well-formed JSON but its values are invalid; `errors` names each field",
    429: "Too many requests; retry after `Retry-After` seconds",
    500: "A bug on our side; it has been logged",
    503: "The catalog database is unreachable; retry after `Retry-After` seconds",
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route can answer with (Litestar does not add raised ones itself)."""
    every = (*codes, 429, 500)
    return {
        code: ResponseSpec(data_container=Problem, description=PROBLEM_DESCRIPTIONS[code],
                           media_type=PROBLEM_MEDIA_TYPE, generate_examples=False)
        for code in sorted(set(every))
    }


READ = (404, 422, 503)
