"""POST /v1/estimate, /v1/estimate/batch and /v1/estimate/project as total functions: the body's bytes in, the whole
answer out.

The route (service/estimates/routes.py) and the fast ASGI entry (fast_path.py) both call these, and every outcome,
problems included, is made here: the two cannot disagree, and a fix lands in both.

A body is decoded by a typed msgspec decoder, in one pass. Only a body it refuses is decoded again, on the strict
path of service.api.decoding, whose InputError says which field is at fault. A batch's items are kept as raw JSON
by that first pass and decoded one by one, so that each fails alone, with its own problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

import msgspec

from service.api.decoding import convert_strict, decode_json, not_utf8, reject_repeated_keys
from service.api.problems import PROBLEM_MEDIA_TYPE, MalformedBody, Problem, ProblemError, problem_of
from service.api.structs import Schema
from service.estimates import project_schemas, schemas
from service.estimates.batch import estimate_batch
from service.estimates.compute import estimate_one
from service.estimates.limits import DEFAULT_LIMITS, WorkLimits, check_batch
from service.estimates.project import project_estimate
from service.pricing.errors import InputError, InvalidValue
from service.snapshot.catalog_snapshot import CatalogSnapshot

T = TypeVar("T")
Header = tuple[bytes, bytes]


class Answer(NamedTuple):
    """A whole HTTP answer, framing headers included: the route returns it, the fast entry sends it as it is."""

    status: int
    headers: list[Header]
    body: bytes


class AsOf(NamedTuple):
    """An estimate asked with `known_at`: answered from the database by service.estimates.as_of, not the snapshot."""

    request: schemas.EstimateRequest




class RawBatchRequest(Schema):
    """schemas.BatchRequest as the first pass reads it: each item left as its raw JSON, to be decoded alone."""

    items: list[msgspec.Raw]
    known_at: schemas.KnownAt = None


class AsOfBatch(NamedTuple):
    """A batch with a `known_at`, at the top or in an item: answered by service.estimates.as_of, which reads the
    models' history as recorded then from the database, once per batch, and prices the items on it."""

    batch: RawBatchRequest
    items: list[schemas.EstimateRequest | msgspec.Raw]  # decoded, or left raw to fail in its place when priced


Answering = Callable[[CatalogSnapshot, bytes], Answer | AsOf]


_ESTIMATE = msgspec.json.Decoder(schemas.EstimateRequest)
_BATCH = msgspec.json.Decoder(RawBatchRequest)
_PROJECT = msgspec.json.Decoder(project_schemas.ProjectEstimateRequest)
_ENCODER = msgspec.json.Encoder()
_JSON = b"application/json"
_PROBLEM = PROBLEM_MEDIA_TYPE.encode()


def answer_estimate(snapshot: CatalogSnapshot, body: bytes) -> Answer | AsOf:
    try:
        request = decoded(body, _ESTIMATE, schemas.EstimateRequest)
        if request.known_at is not None:  # one check on the fast path; the snapshot knows only the present
            return AsOf(request)
        result = estimate_one(snapshot, request).body
    except InputError as exc:
        return problem_answer(problem_of(exc))
    except ProblemError as exc:
        return problem_answer(exc.problem, exc.headers)
    return json_answer(_ENCODER.encode(result))


def answer_project(snapshot: CatalogSnapshot, body: bytes, limits: WorkLimits | None = None) -> Answer:
    """A project estimate (service.estimates.project), or its problem; more offerings than `limits.models` is a 413.
    On the fast entry since the six-model request measured 2,213 req/s through the Litestar route and 2,726 here
    (bench.project_estimate --before, docs/benchmarks.md)."""
    try:
        request = decoded(body, _PROJECT, project_schemas.ProjectEstimateRequest)
        result = project_estimate(snapshot, request, limits or DEFAULT_LIMITS).body
    except InputError as exc:
        return problem_answer(problem_of(exc))
    except ProblemError as exc:
        return problem_answer(exc.problem, exc.headers)
    return json_answer(_ENCODER.encode(result))


def answer_batch(snapshot: CatalogSnapshot, body: bytes, limits: WorkLimits | None = None) -> Answer | AsOfBatch:
    """A batch that decodes is a 200 whatever its items hold (each item's problem is in its place); more items than
    `limits.batch_items` is a 413. A batch that names `known_at` is handed back, its items decoded, as an AsOfBatch."""
    try:
        batch = decoded(body, _BATCH, schemas.BatchRequest)
        if KNOWN_AT in body:  # one scan of the bytes keeps the present's batches as they were
            check_batch(len(batch.items), limits or DEFAULT_LIMITS)
            return AsOfBatch(batch, [_decoded_or_raw(item) for item in batch.items])
        result = estimate_batch(snapshot, batch.items, read_item, limits or DEFAULT_LIMITS).body
    except InputError as exc:
        return problem_answer(problem_of(exc))
    except ProblemError as exc:
        return problem_answer(exc.problem, exc.headers)
    return json_answer(encoded_in_slices(result))


_SLICE = 500
_EMPTY_DATA = b'{"data":[]'


def encoded_in_slices(result: schemas.BatchResult) -> bytes:
    """The same bytes as encoding `result` whole, made a slice of items at a time. One encode of a 10,000-item
    answer (~9 MB) is ~10 ms in C without a pause, during which the event loop's thread cannot run; slices let it in
    between them (the batch thread, answer_batch_off_loop)."""
    parts = [_ENCODER.encode(result.data[start:start + _SLICE])[1:-1] for start in range(0, len(result.data), _SLICE)]
    rest = _ENCODER.encode(msgspec.structs.replace(result, data=[]))
    assert rest.startswith(_EMPTY_DATA)  # `data` is BatchResult's first field
    return b'{"data":[' + b",".join(parts) + b"]" + rest[len(_EMPTY_DATA):]


# Batches that no batch process answers (service/estimates/batch_process.py) are answered on one thread of their
# own, one at a time. A 10,000-item batch is ~0.1-0.3 s of CPU; on the
# event loop it held every other request for that long, and a flood of them queued each estimate behind several
# (bench.anonymous_flood: a victim's p99 went from 7 ms to 1.2 s). On this thread the loop gets the interpreter back
# at every switch interval (5 ms) or at the end of the longest single C call (decoding the body), whichever comes
# later, and further batches wait in the thread's queue rather than on the loop. A thread does not add CPU (the
# interpreter lock is held either way): it shares it, which is what the other clients need.
_BATCH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="estimate-batch")


async def answer_batch_off_loop(
    snapshot: CatalogSnapshot, body: bytes, limits: WorkLimits | None = None
) -> Answer | AsOfBatch:
    """answer_batch, on the batch thread."""
    return await off_loop(answer_batch, snapshot, body, limits)


async def off_loop(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on the batch thread."""
    return await asyncio.get_running_loop().run_in_executor(_BATCH_THREAD, work, *args)


KNOWN_AT = b'"known_at"'


def read_item(item: schemas.EstimateRequest | msgspec.Raw) -> schemas.EstimateRequest:
    # An item's problem names its fields from the item's own root: it is decoded as if posted alone.
    return item if isinstance(item, schemas.EstimateRequest) else decoded(item, _ESTIMATE, schemas.EstimateRequest)


def _decoded_or_raw(item: msgspec.Raw) -> schemas.EstimateRequest | msgspec.Raw:
    try:
        return read_item(item)
    except InputError:
        return item  # decoded again when priced, to fail in its place with its own problem


def decoded(body: bytes | msgspec.Raw, decoder: msgspec.json.Decoder[T], strict_type: Any) -> T:
    """`body` decoded by the typed `decoder`; when it refuses, the InputError that says why, from the strict path
    decoding the body as `strict_type` (the same schema, as the spec documents it)."""
    try:
        value = decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _refusal(body, strict_type, exc) from None
    except UnicodeDecodeError:
        raise not_utf8() from None
    if not isinstance(body, msgspec.Raw):  # a batch's items are parts of a body checked whole
        reject_repeated_keys(body)
    return value


def _refusal(body: bytes | msgspec.Raw, strict_type: Any, exc: Exception) -> InputError:
    try:
        convert_strict(decode_json(body), strict_type)  # type: ignore[arg-type]  # Raw is a bytes-like buffer
    except InputError as error:
        return error
    # The strict path took what the typed decoder refused (no body tried does that: tests/estimates/
    # test_fast_path.py): the typed decoder's verdict stands, about the body as a whole.
    if isinstance(exc, msgspec.ValidationError):
        return InvalidValue(str(exc))
    return MalformedBody(f"{exc}: send a valid JSON body")


def problem_answer(problem: Problem, headers: Mapping[str, str] | None = None) -> Answer:
    body = _ENCODER.encode(problem)
    extra = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()]
    return Answer(problem.status, [(b"content-type", _PROBLEM), (b"content-length", b"%d" % len(body)), *extra], body)


def body_too_large() -> Answer:
    """A body over the app's size limit, worded as Litestar words its own 413 (service.http.problem_responses),
    so that these endpoints answer it as every other does."""
    return problem_answer(Problem(type="about:blank", title="Request Entity Too Large", status=413,
                                   detail="Request Entity Too Large"))


def json_answer(body: bytes) -> Answer:
    return Answer(200, [(b"content-type", _JSON), (b"content-length", b"%d" % len(body))], body)
