"""Liveness and readiness probes for orchestrators."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from service.api.problems import Problem, responses
from service.api.structs import Schema
from service.auth.scopes import UNLIMITED
from service.db.migrations import head_revision
from service.http.problem_responses import problem_response


class ReplicaHealth(Schema, omit_defaults=False):
    name: str  # host:port/database
    up: bool
    in_rotation: bool  # up, and lagging no more than REPLICA_MAX_LAG: it takes reads
    lag_seconds: float | None
    lag_bytes: int | None


class Health(Schema, omit_defaults=True):
    status: str
    # With DATABASE_REPLICA_URLS: each replica's state. A replica down or lagging does not make the service
    # unready (the primary then serves its reads); it is only taken out of rotation.
    replicas: list[ReplicaHealth] | None = None


@get("/health/live", tags=["operations"], summary="The process is up", sync_to_thread=False, opt=UNLIMITED)
def live() -> Health:
    return Health(status="ok")


@get("/health/ready", tags=["operations"], summary="The database is reachable and fully migrated",
     description="With read replicas, also each replica's lag and whether it takes reads.",
     responses=responses(503), opt=UNLIMITED)
async def ready(state: State) -> Response[Health] | Response[bytes]:
    try:
        async with state.engine.connect() as connection:
            current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as exc:  # any failure to reach the database means "not ready", never a 500
        return _not_ready(f"the database is unreachable: {type(exc).__name__}")
    if current != head_revision():
        return _not_ready(f"the database is at migration {current}, not {head_revision()}")
    replicas = state.get("replicas")
    listed = None if replicas is None else [ReplicaHealth(**r) for r in replicas.health()]
    return Response(Health(status="ok", replicas=listed))


def _not_ready(detail: str) -> Response[bytes]:
    return problem_response(
        Problem(type="/problems/not-ready", title="Service unavailable", status=503, detail=detail),
        {"Retry-After": "2"},
    )
