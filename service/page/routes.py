"""The estimator page at `/` and its CSS and JavaScript at `/static/{name}`: fixed files, no templates, no API."""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar import MediaType, Response, get
from litestar.params import FromPath

from service.api.problems import not_found
from service.auth.scopes import UNLIMITED

STATIC_DIR = Path(__file__).parent / "static"
_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

# Read once at import: a few KB that never change while the process runs. Only the files listed here are ever
# served, so no part of a request path reaches the file system.
ASSETS: dict[str, tuple[bytes, str]] = {
    path.name: (path.read_bytes(), _MEDIA_TYPES[path.suffix])
    for path in sorted(STATIC_DIR.iterdir()) if path.suffix in _MEDIA_TYPES
}
# The page links its assets as `?v=<hash of their contents>`, so they can be cached for good and a new
# release is still picked up at once (the page itself is never cached).
VERSION = hashlib.sha256(b"".join(body for body, _ in ASSETS.values())).hexdigest()[:12]
PAGE = (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace("__VERSION__", VERSION).encode()
PROJECT_PAGE = (STATIC_DIR / "project.html").read_text(encoding="utf-8").replace("__VERSION__", VERSION).encode()

# Everything the page loads or calls is on this origin; no inline script or style attribute is needed.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSET_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


@get("/", include_in_schema=False, media_type=MediaType.HTML, opt=UNLIMITED, sync_to_thread=False)
def estimator_page() -> Response[bytes]:
    return Response(PAGE, media_type=MediaType.HTML, headers=_PAGE_HEADERS)


@get("/project", include_in_schema=False, media_type=MediaType.HTML, opt=UNLIMITED, sync_to_thread=False)
def project_page() -> Response[bytes]:
    """The Project tab: a whole project's cost per plan (docs/estimating-projects.md)."""
    return Response(PROJECT_PAGE, media_type=MediaType.HTML, headers=_PAGE_HEADERS)


@get("/static/{name:str}", include_in_schema=False, opt=UNLIMITED, sync_to_thread=False)
def estimator_asset(name: FromPath[str]) -> Response[bytes]:
    if (asset := ASSETS.get(name)) is None:
        raise not_found("file", name)
    body, media_type = asset
    return Response(body, media_type=media_type, headers=_ASSET_HEADERS)
