"""Which database errors mean "the database cannot be reached now", as opposed to a fault of the request.

Read by the engine (a connection that failed so is thrown away, not returned to the pool) and by the problem
responses (such a failure is a 503 with Retry-After, never a 500).
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError

# The wrapper's own class is SQLAlchemy's generic `Error` for several of these: the driver's exception, kept as
# the wrapped error's cause, is what tells them apart. All were seen with PostgreSQL restarted under writes.
_DRIVER_FAILURES: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: refused, lost, does not exist
    asyncpg.exceptions.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    # "cannot switch to state N; another operation is in progress": the protocol of a connection whose last
    # operation a lost connection cut short. Such a connection must not be used again.
    asyncpg.exceptions._base.InternalClientError,
    OSError,
)
_NAMES = {"ConnectionDoesNotExistError", "CannotConnectNowError", "InternalClientError", "ConnectionFailureError",
          "InterfaceError", "TooManyConnectionsError", "AdminShutdownError", "CrashShutdownError"}


def is_connection_failure(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, OSError | TimeoutError):  # ConnectionRefusedError arrives bare, unwrapped by SQLAlchemy
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig  # type: ignore[assignment]
    driver_error = getattr(exc, "__cause__", None) or exc
    return isinstance(driver_error, _DRIVER_FAILURES) or type(exc).__name__ in _NAMES \
        or type(driver_error).__name__ in _NAMES
