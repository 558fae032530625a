"""The one place exceptions become responses: problem types, input errors, database faults and bugs."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from sqlalchemy.exc import DBAPIError, IntegrityError

from service.api.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem, ProblemError, problem_of
from service.db.faults import is_connection_failure
from service.pricing.errors import InputError

log = logging.getLogger("service.problems")


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=msgspec.json.encode(problem), status_code=problem.status,
                    media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_problem(send: Any, exc: ProblemError | InputError) -> None:
    """Send a problem straight over ASGI, for code that runs before the app (service.http.edge)."""
    problem, extra = (exc.problem, exc.headers) if isinstance(exc, ProblemError) else (problem_of(exc), {})
    body = msgspec.json.encode(problem)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               *((name.lower().encode(), value.encode()) for name, value in extra.items())]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _on_problem(_: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    return problem_response(exc.problem, exc.headers)


def _on_input(_: Request[Any, Any, Any], exc: InputError) -> Response[bytes]:
    return problem_response(problem_of(exc))


def _on_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    # Bodies are checked by service.http.requests, which raises InputError; what Litestar itself validates is
    # query, path and header parameters, and each of its items names the parameter as `key`.
    errors = [
        FieldError(field=str(item.get("key") or "body"), message=str(item.get("message")))
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
    # A 405 and other statuses of Litestar's own have no type of ours: about:blank, as RFC 9457 says.
    problem_type = "/problems/not-found" if isinstance(exc, NotFoundException) else "about:blank"
    headers = dict(exc.headers or {})
    if "GET" in headers.get("allow", "").split(", "):  # Litestar's router names the header in lower case
        headers["allow"] += ", HEAD"  # service.http.front answers HEAD wherever GET is routed
    return problem_response(
        Problem(type=problem_type,
                title=_title(status), status=status, detail=str(exc.detail)),
        headers,
    )


def _on_integrity(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[bytes]:
    # Each constraint that a racing or careless writer can trip says what happened in its own words.
    # SQLAlchemy's asyncpg adapter keeps the driver's exception, which names the constraint, as the cause.
    driver_error = getattr(exc.orig, "__cause__", None) or exc.orig
    constraint = getattr(driver_error, "constraint_name", None) or ""
    if constraint in PAST_IS_FIXED:
        # The triggers behind the query layer's own check (service.catalog.history): the same answer.
        return problem_response(Problem(type="/problems/history-is-fixed", title="The past cannot be changed",
                                        status=409, detail=PAST_IS_FIXED[constraint]))
    detail = CONFLICT_MESSAGES.get(constraint, "the change conflicts with the stored catalog")
    return problem_response(Problem(type="/problems/conflict", title="Conflict", status=409, detail=detail))


def _on_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return problem_response(
        Problem(type="/problems/database-unavailable", title="Service unavailable", status=503,
                detail="the catalog database is unreachable; retry shortly"),
        {"Retry-After": "2"},
    )


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if is_database_down(exc):
        return _on_database_down(request, exc)
    driver_error = exc.orig.__cause__ if isinstance(exc, DBAPIError) and exc.orig is not None else None
    if isinstance(driver_error, asyncpg.exceptions.DataError):
        # A value PostgreSQL cannot store or compare (a NUL character, say) that no schema caught first. The
        # driver's text names the database's internals, so it is logged, never sent.
        log.info("database refused a value on %s %s: %s", request.method, request.url.path, driver_error)
        return problem_response(Problem(type="/problems/validation-error", title="Invalid request", status=422,
                                        detail="a value in the request cannot be stored (a NUL character, say)"))
    if type(driver_error).__name__ in _CONCURRENCY_FAILURES:
        return problem_response(
            Problem(type="/problems/conflict", title="Conflict", status=409,
                    detail="the change collided with a concurrent write and was not applied; retry it"),
            {"Retry-After": "1"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(Problem(type="/problems/internal-error", title="Internal server error", status=500,
                                    detail="an unexpected error occurred; it has been logged"))


def is_database_down(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (refused, shutting down, starting up, shut down by
    its administrator, or the connection lost mid-transaction), rather than that the request is at fault."""
    return is_connection_failure(exc)


_CONCURRENCY_FAILURES = {"DeadlockDetectedError", "SerializationError"}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


CONFLICT_MESSAGES = {
    "prices_only_grow": "price history only grows: stored prices cannot be changed or deleted",
    "promotions_only_grow": "promotion history only grows: a stored promotion is superseded, never changed in place "
                            "or deleted",
    "history_replaces": "a replacement row must replace a row of its model that the same write superseded",
    "prices_no_overlap": "the price period overlaps a stored period of this model",
    "promotions_no_overlap": "the promotion overlaps another promotion of this model",
    "providers_pkey": "a provider with this id already exists",
    "models_pkey": "a model with this id already exists",
    "models_provider_id_fkey": "the provider still has models; delete or move them first",
    "prices_model_id_fkey": "the model has price history, which is never deleted",
    "promotions_model_id_fkey": "the model has promotions; delete them first",
}

_CORRECT = "ordinary writes only change the future; correct the past with POST /v1/models/{id}/corrections"
PAST_IS_FIXED = {
    "prices_past_is_fixed": f"a price period cannot be closed before the time of the write: {_CORRECT}",
    "promotions_past_is_fixed": f"the change would alter a promotion before the time of the write: {_CORRECT}",
    "history_replaced": f"a row superseded by an ordinary write must be recorded again: {_CORRECT}",
}

EXCEPTION_HANDLERS = {
    ProblemError: _on_problem,
    InputError: _on_input,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    IntegrityError: _on_integrity,
    ConnectionError: _on_database_down,
    Exception: _on_unexpected,
}


