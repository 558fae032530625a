"""The async engine and session factory, and the dependency through which the request owns its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from service.db.faults import is_connection_failure


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=False)
    event.listen(engine.sync_engine, "handle_error", _invalidate_on_connection_failure)
    return engine


def _invalidate_on_connection_failure(context: ExceptionContext) -> None:
    # SQLAlchemy takes only some of asyncpg's connection failures for disconnects: after a restart, a connection
    # whose protocol was cut mid-operation ("cannot switch to state 12") went back to the pool and failed again.
    # Marked as a disconnect, it is discarded with the rest of the pool's connections of before the restart.
    if is_connection_failure(context.original_exception):
        context.is_disconnect = True


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are encoded after the commit, from the objects already loaded.
    return async_sessionmaker(engine, expire_on_commit=False)


async def provide_transaction(state: State) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler succeeds, rolled back when it raises."""
    async with state.sessionmaker() as session, session.begin():
        yield session


# What a route declares to receive the request's transaction.
DbSession = NamedDependency[AsyncSession]
