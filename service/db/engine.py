"""The async engine and session factory, and the dependency through which the request owns its transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from service.db.faults import is_connection_failure
from service.db.replicas import ReplicaSet, parse_lsn
from service.settings import POOL_MODES


def make_engine(url: str, *, pool_size: int = 10, pool_mode: str = "session", pre_ping: bool = False) -> AsyncEngine:
    """`pool_mode` is what sits between us and PostgreSQL: "session" for PostgreSQL itself or PgBouncer's session
    pooling, "transaction" for PgBouncer's transaction pooling (docs/deploy.md)."""
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=pre_ping,
                                 connect_args=_connect_args(pool_mode))
    event.listen(engine.sync_engine, "handle_error", _invalidate_on_connection_failure)
    return engine


def _connect_args(pool_mode: str) -> dict[str, Any]:
    if pool_mode == "session":
        return {}
    if pool_mode != "transaction":
        raise ValueError(f"pool_mode must be one of {', '.join(POOL_MODES)}, not {pool_mode!r}")
    # Under transaction pooling each transaction may run on another server connection, and PgBouncer 1.18
    # (Debian's) knows nothing of prepared statements: no statement outlives its transaction in a cache
    # (asyncpg's and SQLAlchemy's), and the statements SQLAlchemy still prepares to learn column types get
    # unique names, so two clients sharing a server connection never collide (asyncpg#1058, sqlalchemy#6467).
    return {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__"}


def _invalidate_on_connection_failure(context: ExceptionContext) -> None:
    # SQLAlchemy takes only some of asyncpg's connection failures for disconnects: after a restart, a connection
    # whose protocol was cut mid-operation ("cannot switch to state 12") went back to the pool and failed again.
    # Marked as a disconnect, it is discarded with the rest of the pool's connections of before the restart.
    if is_connection_failure(context.original_exception):
        context.is_disconnect = True


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are encoded after the commit, from the objects already loaded.
    return async_sessionmaker(engine, expire_on_commit=False)


async def provide_transaction(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler succeeds, rolled back when it raises.

    With read replicas, a request that may have written learns the primary's WAL position after its commit: the
    answer carries it as its consistency token (X-Consistency-Token), which a later read sends back to be served
    only by a replica that has replayed it (provide_read_transaction).
    """
    async with state.sessionmaker() as session:
        async with session.begin():
            yield session
        if state.get("replicas") is not None and request.method not in _READ_METHODS:
            lsn = await session.scalar(text("SELECT pg_current_wal_lsn()::text"))
            await session.rollback()
            request.scope["state"]["consistency_token"] = lsn


# Declared on the dependency, so that every route reading through it documents the header in the OpenAPI spec
# and a malformed token is a 422 that names it and its shape.
ConsistencyToken = Annotated[str | None, HeaderParameter(
    name="X-Consistency-Token", pattern=r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$", required=False,
    description="The `X-Consistency-Token` of a write's answer: this read then sees that write (with read "
                "replicas, it is served by one that has replayed it, or by the primary)")]


async def provide_read_transaction(state: State, consistency_token: ConsistencyToken = None
                                   ) -> AsyncIterator[AsyncSession]:
    """The transaction of a read that may lag (price history, the change feed): a replica's when one is in
    rotation (and has replayed the request's consistency token, if it sent one), else the primary's. It only
    reads, so it ends in a rollback."""
    async with await _read_session(state, consistency_token, floor=None) as session:
        yield session


async def provide_list_transaction(state: State, consistency_token: ConsistencyToken = None
                                   ) -> AsyncIterator[AsyncSession]:
    """A read transaction for the lists whose ETag names this process's snapshot: from a replica that is no older
    than the snapshot, so that no ETag is ever given to an older page."""
    keeper = state.get("snapshot_keeper")
    floor = None if keeper is None else keeper.loaded_lsn
    async with await _read_session(state, consistency_token, floor) as session:
        yield session


async def _read_session(state: State, token: str | None, floor: int | None) -> AsyncSession:
    replicas: ReplicaSet | None = state.get("replicas")
    if replicas is None:
        return state.sessionmaker()
    session = await _replica_session(replicas, token, floor)
    if session is None:
        replicas.primary_reads += 1
        return state.sessionmaker()
    return session


async def _replica_session(replicas: ReplicaSet, token: str | None, floor: int | None) -> AsyncSession | None:
    """A session on a replica past the client's token and past `floor` (what this process's snapshot includes,
    which list ETags name), or None for the primary."""
    lsn = parse_lsn(token)
    needed = max((x for x in (lsn, floor) if x is not None), default=None)
    replica = await replicas.reader(needed)
    if replica is None:
        return None
    session = replica.sessionmaker()
    try:
        await session.connection()  # checks out and pings: a replica gone since its last check fails here, not later
    except Exception as exc:
        await session.close()
        if not is_connection_failure(exc):
            raise
        replicas.mark_down(replica)
        return None
    replica.reads += 1
    return session


# What a route declares to receive the request's transaction (`session`), or a read's that may lag
# (`read_session`, or `list_session` for a list whose ETag names the snapshot).
DbSession = NamedDependency[AsyncSession]
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
