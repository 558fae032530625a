"""Corrections to the OpenAPI document Litestar builds, made once when the app is created: the app serves the
corrected spec, and `pricing-api openapi` prints it."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Reference

from service.api.problems import PROBLEM_MEDIA_TYPE

_COMPONENTS = "#/components/schemas/"
_LAYER_SUFFIX = "Out"


def corrected(spec: OpenAPI) -> None:
    document_only_what_is_sent(spec)
    bodies_are_json(spec)
    path_parameters_are_strings(spec)
    name_components_as_clients_know_them(spec)


def name_components_as_clients_know_them(spec: OpenAPI) -> None:
    """`PricePeriodOut` is the wire's class in Python, named apart from the core's `PricePeriod`; clients know it as
    `PricePeriod`. The suffix is a layer's name, not the API's: it is dropped wherever no other component has
    the shorter name."""
    schemas = spec.components.schemas if spec.components and spec.components.schemas else {}
    renames = {name: name.removesuffix(_LAYER_SUFFIX) for name in schemas
               if name.endswith(_LAYER_SUFFIX) and name.removesuffix(_LAYER_SUFFIX) not in schemas}
    if not renames:
        return
    for old, new in renames.items():
        schema = schemas.pop(old)
        if getattr(schema, "title", None) == old:
            schema.title = new
        schemas[new] = schema
    spec.components.schemas = dict(sorted(schemas.items()))  # type: ignore[union-attr]
    _rename_references(spec, {_COMPONENTS + old: _COMPONENTS + new for old, new in renames.items()}, set())


def _rename_references(node: Any, renames: dict[str, str], seen: set[int]) -> None:
    if id(node) in seen or node is None or isinstance(node, str | int | float | bool):
        return
    seen.add(id(node))
    if isinstance(node, Reference):
        node.ref = renames.get(node.ref, node.ref)
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            _rename_references(getattr(node, field.name), renames, seen)
    elif isinstance(node, dict):
        for value in node.values():
            _rename_references(value, renames, seen)
    elif isinstance(node, list | tuple):
        for value in node:
            _rename_references(value, renames, seen)


def path_parameters_are_strings(spec: OpenAPI) -> None:
    """A handler routed at `/{model_id}` and `/{provider_id}/{model_id}` takes `provider_id` as optional, so
    Litestar documents it as string-or-null; in the path where it appears it is a required string."""
    for path_item in (spec.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method)
            for parameter in (operation.parameters or []) if operation is not None else []:
                schema: Any = getattr(parameter, "schema", None)
                if getattr(parameter, "param_in", None) == "path" and getattr(schema, "one_of", None):
                    schema.one_of, schema.type = None, OpenAPIType.STRING


def bodies_are_json(spec: OpenAPI) -> None:
    """Every operation that takes a body answers 415 to one that is not JSON (service.http.media, run by the
    edge for every route, so no route declares it itself)."""
    problem = OpenAPIResponse(
        description="Unsupported media type: the body is not sent as application/json (or a +json type)",
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=Reference(ref=_COMPONENTS + "Problem"))})
    for path_item in (spec.paths or {}).values():
        for method in ("put", "post", "patch"):
            operation = getattr(path_item, method)
            if operation is not None and operation.request_body is not None:
                operation.responses = dict(sorted({**(operation.responses or {}), "415": problem}.items()))


def document_only_what_is_sent(spec: OpenAPI) -> None:
    """Drop the error responses Litestar documents by itself but this service never sends.

    Litestar adds a 400 with its own `{status_code, detail, extra}` body to every operation that takes a parameter
    or a body (its ValidationException). Here that exception becomes a 422 problem (service.api.problems), and
    every route declares its problems itself, a 400 only where a malformed JSON body can arrive. Litestar has no
    switch for it, so the built spec is corrected once, here: the app serves it, and `pricing-api openapi` prints it.
    """
    for path_item in (spec.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            operation = getattr(path_item, method)
            if operation is not None and operation.responses:
                operation.responses = {code: response for code, response in operation.responses.items()
                                       if not _litestar_error_body(response)}


def _litestar_error_body(response: OpenAPIResponse | Reference) -> bool:
    content = response.content if isinstance(response, OpenAPIResponse) else None
    schema = content["application/json"].schema if content and "application/json" in content else None
    properties = getattr(schema, "properties", None) or {}
    return {"status_code", "detail", "extra"} <= properties.keys()
