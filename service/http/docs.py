"""The interactive API reference at /schema: Swagger UI from a pinned Python package, served by this service.

Litestar's render plugins load their UI from a CDN (Scalar's at `@latest`), without integrity hashes: whoever
controls that URL runs script on this origin. Here the UI's files come from `swagger-ui-bundle` (pinned in
pyproject.toml), the page and its starter script from this repository, and the page's Content-Security-Policy
(service.http.front) allows scripts from this origin only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from swagger_ui_bundle import swagger_ui_path

from service.api.problems import not_found
from service.auth.scopes import UNLIMITED

_HERE = Path(__file__).parent / "docs_ui"
_VENDOR = Path(str(swagger_ui_path))
# Read once at import, and only these: no part of a request path reaches the file system.
ASSETS: dict[str, tuple[bytes, str]] = {
    "swagger-ui.css": ((_VENDOR / "swagger-ui.css").read_bytes(), "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": ((_VENDOR / "swagger-ui-bundle.js").read_bytes(), "text/javascript; charset=utf-8"),
    "init.js": ((_HERE / "init.js").read_bytes(), "text/javascript; charset=utf-8"),
}
PAGE = (_HERE / "index.html").read_bytes()
_ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


class ReferencePage(OpenAPIRenderPlugin):
    """The page at /schema; Litestar keeps serving the spec itself at /schema/openapi.json."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return PAGE


@get("/schema/ui/{name:str}", include_in_schema=False, opt=UNLIMITED, sync_to_thread=False)
def reference_asset(name: FromPath[str]) -> Response[bytes]:
    if (asset := ASSETS.get(name)) is None:
        raise not_found("file", name)
    body, media_type = asset
    return Response(body, media_type=media_type, headers=_ASSET_HEADERS)
