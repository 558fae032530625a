"""POST /v1/estimate/project: what a project costs on every model asked for, with strategies and break-even."""

from __future__ import annotations

from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK

from service.api.operations import idempotent_post
from service.api.problems import responses
from service.estimates import project_schemas as wire
from service.estimates.heavy_posts import answer_project_post
from service.estimates.routes import answered_post


# The route reads its body by hand (answered_post), as POST /v1/estimate does (service/estimates/routes.py), and
# prices a project over many offerings off the event loop (heavy_posts.py); this never-called dependency documents
# the body in the spec.
async def _project_body(data: wire.ProjectEstimateRequest) -> None:
    """Documents POST /v1/estimate/project's body; never called."""


class ProjectEstimateController(Controller):
    path = "/v1/estimate/project"
    tags = ["estimates"]

    @idempotent_post("/", dependencies={"documented_body": Provide(_project_body)}, status_code=HTTP_200_OK,
                     responses=responses(400, 404, 409, 413, 422, 503),
                     summary="What a project costs on each model, low, expected and high, with hybrid and "
                             "self-host plans ranked beside them",
                     description="Priced from the in-process snapshot at `at`, with the assumptions in force then "
                                 "(/v1/assumptions), every one of which the answer names. The set of models "
                                 "(`models`, `provider` or `all_models`) prices at most `ESTIMATE_MAX_MODELS` "
                                 "offerings (10,000 by default; more is a 413 that names the limit). See "
                                 "docs/estimating-projects.md.")
    async def estimate_project(self, request: Request) -> Response[wire.ProjectEstimateResult]:
        return await answered_post(request, None, answer_project_post)
