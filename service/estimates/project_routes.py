"""POST /v1/estimate/project: what a project costs on every model asked for, with strategies and break-even."""

from __future__ import annotations

from litestar import Controller, Request
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from service.api.operations import idempotent_post
from service.api.problems import responses
from service.estimates import project_schemas as wire
from service.estimates.project import project_estimate
from service.snapshot.keeper import current_snapshot


class ProjectEstimateController(Controller):
    path = "/v1/estimate/project"
    tags = ["estimates"]

    @idempotent_post("/", status_code=HTTP_200_OK, responses=responses(400, 404, 409, 413, 422, 503),
                     summary="What a project costs on each model, low, expected and high, with hybrid and "
                             "self-host plans ranked beside them",
                     description="Priced from the in-process snapshot at `at`, with the assumptions in force then "
                                 "(/v1/assumptions), every one of which the answer names. The set of models "
                                 "(`models`, `provider` or `all_models`) prices at most `ESTIMATE_MAX_MODELS` "
                                 "offerings (10,000 by default; more is a 413 that names the limit). See "
                                 "docs/estimating-projects.md.")
    async def estimate_project(
        self, request: Request, data: JSONBody[wire.ProjectEstimateRequest]
    ) -> wire.ProjectEstimateResult:
        return project_estimate(current_snapshot(request), data, request.app.state.work_limits).body
