"""RFC 9457 problem details: the one error shape, and the one place exceptions become responses."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("service.api.problems")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What every 4xx and 5xx response carries."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None

    def __post_init__(self) -> None:
        # The contract promises every 422 an `errors` list. Where no single field is to blame (a value the
        # database refused, a check of the whole body), the list names the body.
        if self.status == 422 and not self.errors:
            self.errors = [FieldError(field="body", message=self.detail)]


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


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, "conflict", "Conflict", detail)


def invalid(field: str, message: str) -> ProblemError:
    return ProblemError(422, "validation-error", "Invalid request", message,
                        errors=[FieldError(field=field, message=message)])


# msgspec ends a message with where the value failed ("... - at `$.input_tokens`"), or names the field ("Object
# missing required field `output_tokens`").
_MSGSPEC_FIELD = re.compile(r"- at `\$\.([A-Za-z_]+)|field `([A-Za-z_]+)`")


def field_named_in(message: str, default: str) -> str:
    """The top-level field a msgspec validation message is about, or `default` when it names none."""
    found = _MSGSPEC_FIELD.search(message)
    return (found.group(1) or found.group(2)) if found else default


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=msgspec.json.encode(problem), status_code=problem.status,
                    media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_problem(send: Any, exc: ProblemError) -> None:
    """Send a problem straight over ASGI, for code that runs before the app (service.http.edge)."""
    body = msgspec.json.encode(exc.problem)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               *((name.lower().encode(), value.encode()) for name, value in exc.headers.items())]
    await send({"type": "http.response.start", "status": exc.problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _on_problem(_: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    return problem_response(exc.problem, exc.headers)


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_NAMED_FIELD = re.compile(r"^([a-z_]+) (?:must|has|is|cannot)\b")


def _field_of(key: object, message: str) -> str:
    """The body field an error is about. Litestar names it only for type errors; whole-object checks
    (unknown fields, our own __post_init__ checks) start their message with it instead."""
    if key and key != "data":
        return str(key)
    match = _UNKNOWN_FIELD.search(message) or _NAMED_FIELD.match(message)
    return match.group(1) if match else "body"


def _on_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = [
        FieldError(field=_field_of(item.get("key"), str(item.get("message"))), message=str(item.get("message")))
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or str(exc.detail)
    return problem_response(Problem(type="/problems/validation-error", title="Invalid request", status=422,
                                    detail=detail, errors=errors or None))


def _on_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if status == 400:
        return problem_response(Problem(type="/problems/malformed-request", title="Malformed request",
                                        status=400, detail=f"{exc.detail}: send a valid JSON body"))
    kind = "not-found" if isinstance(exc, NotFoundException) else "about:blank"
    return problem_response(
        Problem(type=f"/problems/{kind}" if kind != "about:blank" else kind,
                title=_title(status), status=status, detail=str(exc.detail)),
        dict(exc.headers or {}),
    )


def _on_integrity(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[bytes]:
    # Each constraint that a racing or careless writer can trip says what happened in its own words.
    # SQLAlchemy's asyncpg adapter keeps the driver's exception, which names the constraint, as the cause.
    driver_error = getattr(exc.orig, "__cause__", None) or exc.orig
    constraint = getattr(driver_error, "constraint_name", None) or ""
    detail = CONFLICT_MESSAGES.get(constraint, "the change conflicts with the stored catalog")
    if "only grows" in str(exc.orig):
        detail = "price history only grows: stored prices cannot be changed or deleted"
    return problem_response(Problem(type="/problems/conflict", title="Conflict", status=409, detail=detail))


def _on_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return problem_response(
        Problem(type="/problems/database-unavailable", title="Service unavailable", status=503,
                detail="the catalog database is unreachable; retry shortly"),
        {"Retry-After": "2"},
    )


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if _is_database_down(exc):
        return _on_database_down(request, exc)
    if isinstance(exc, DBAPIError) and isinstance(exc.orig.__cause__, asyncpg.exceptions.DataError):
        # A value PostgreSQL cannot store or compare (a NUL character, say) that no schema caught first.
        return problem_response(Problem(type="/problems/validation-error", title="Invalid request", status=422,
                                        detail=f"a value in the request is not valid: {exc.orig.__cause__}"))
    if isinstance(exc, DBAPIError) and type(exc.orig.__cause__).__name__ in _CONCURRENCY_FAILURES:
        return problem_response(
            Problem(type="/problems/conflict", title="Conflict", status=409,
                    detail="the change collided with a concurrent write and was not applied; retry it"),
            {"Retry-After": "1"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(Problem(type="/problems/internal-error", title="Internal server error", status=500,
                                    detail="an unexpected error occurred; it has been logged"))


def _is_database_down(exc: Exception) -> bool:
    # asyncpg's connection failures arrive wrapped in DBAPIError/InternalError, or as a bare ConnectionRefusedError
    # (an OSError) that SQLAlchemy does not wrap: all were seen with PostgreSQL restarted under load.
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, DBAPIError):
        orig_name = type(exc.orig).__name__ if exc.orig is not None else ""
        return exc.connection_invalidated or orig_name in _CONNECTION_FAILURES
    return False


_CONNECTION_FAILURES = {
    "ConnectionDoesNotExistError", "CannotConnectNowError", "InternalClientError", "ConnectionFailureError",
    "InterfaceError", "TooManyConnectionsError", "AdminShutdownError", "CrashShutdownError",
}


_CONCURRENCY_FAILURES = {"DeadlockDetectedError", "SerializationError"}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


CONFLICT_MESSAGES = {
    "prices_no_overlap": "the price period overlaps a stored period of this model",
    "promotions_no_overlap": "the promotion overlaps another promotion of this model",
    "providers_pkey": "a provider with this id already exists",
    "models_pkey": "a model with this id already exists",
    "models_provider_id_fkey": "the provider still has models; delete or move them first",
    "prices_model_id_fkey": "the model has price history, which is never deleted",
    "promotions_model_id_fkey": "the model has promotions; delete them first",
}

EXCEPTION_HANDLERS = {
    ProblemError: _on_problem,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    IntegrityError: _on_integrity,
    ConnectionError: _on_database_down,
    Exception: _on_unexpected,
}


PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: the body is not valid JSON",
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope this call needs",
    404: "The named object does not exist (or has no price at that instant)",
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
