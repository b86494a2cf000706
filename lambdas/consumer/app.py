"""`create_app`: the read API as a FastAPI app, mounted at `/api` by `lineage serve` and Mangum.

Routes import their query module on first use so that a Lambda cold start loads neither
gremlinpython nor the traversals until a request needs them.
"""

import datetime as dt
import time
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from lambdas.consumer.answer_cache import AnswerCache
from lambdas.consumer.caching import CachingMiddleware
from lambdas.consumer.catalogs import built_counts, label_counts
from lambdas.consumer.config import MAX_DEPTH, MAX_NAME_CHARS, ReadApiConfig
from lambdas.consumer.errors import (
    ConsumerError,
    GraphQueryFailed,
    GraphTimeout,
    GraphUnavailable,
    InvalidParameter,
    NotFound,
)
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.loaded_build import LoadedBuild
from lambdas.consumer.models import (
    ColumnLineage,
    DatasetDetail,
    DatasetLineage,
    DatasetList,
    ErrorBody,
    GraphView,
    JobDetail,
    JobList,
    PlanView,
    RunList,
    Status,
)

__all__ = ["create_app"]

# The one place errors become HTTP statuses.
_STATUS: dict[type[ConsumerError], int] = {
    InvalidParameter: 400,
    NotFound: 404,
    GraphQueryFailed: 502,
    GraphUnavailable: 503,
    GraphTimeout: 504,
}
_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": cls.__doc__ or ""} for cls, code in _STATUS.items()
}


def _answer(model: BaseModel) -> Response:
    """`model` as the JSON body FastAPI would send for it (aliases, ISO datetimes).

    A route's model is built and validated once, by the query module; handed back as a model,
    FastAPI would dump, validate and encode it again, about a quarter of a large view's time.
    """
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")


Direction = Literal["upstream", "downstream", "both"]
RunStatus = Literal["SUCCEEDED", "FAILED"]
Depth = Annotated[int, Query(ge=1, le=MAX_DEPTH, description=f"hops to follow, 1..{MAX_DEPTH}")]
# Read-time counting walks a label; past this many a count says "at least".
_COUNT_CAP = 100_000
# ISO-8601 date or datetime, checked here so the OpenAPI states it; `_instant` parses it.
_ISO = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
Instant = Annotated[
    str | None, Query(max_length=40, pattern=_ISO, description="ISO-8601 date or datetime (UTC)")
]
Uri = Annotated[
    str, Query(min_length=1, max_length=MAX_NAME_CHARS, description="normalized dataset URI")
]
Name = Annotated[str, Query(min_length=1, max_length=MAX_NAME_CHARS)]


def _utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    """A naive UTC datetime (what the graph stores), or InvalidParameter naming `name`."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError as exc:
        raise InvalidParameter(f"{name}={value.isoformat()} is out of range") from exc


def _instant(value: str | None, name: str, end_of_day: bool) -> dt.datetime | None:
    """Parse an ISO date or datetime; a bare date is its start, or its end with `end_of_day`."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            at = dt.time(23, 59, 59, 999000) if end_of_day else dt.time()
            return dt.datetime.combine(day, at)
        return _utc(dt.datetime.fromisoformat(value), name)
    except ValueError as exc:
        raise InvalidParameter(
            f"{name}={value!r} is not an ISO-8601 date or datetime (e.g. 2026-01-31): {exc}"
        ) from exc


def create_app(graph_url: str | None = None, *, config: ReadApiConfig | None = None) -> FastAPI:
    """The read API; routes are relative (`/status`), so mount it at `/api`."""
    if config is None:
        if graph_url is None:
            raise ValueError("create_app needs graph_url or config")
        config = ReadApiConfig(graph_url=graph_url)
    client = GraphClient(
        config.graph_url,
        config.evaluation_timeout_ms,
        config.traversal_source,
        iam_auth_region=config.iam_auth_region,
        pool_size=config.graph_pool_size,
    )
    app = FastAPI(
        title="Lineage read API",
        version="1",
        description=(
            "Jobs, runs, plans, datasets and columns of the lineage graph. Graph answers use "
            "vis-network's shape; edges point the way data flows. Depth is 1.."
            f"{MAX_DEPTH}; bounded answers say `capped`."
        ),
        responses=_ERROR_RESPONSES,
    )
    app.state.graph_client = client
    app.state.config = config
    loaded = LoadedBuild(client, config.build_check_s)
    app.state.answer_cache = AnswerCache(config.cache_entries, config.cache_bytes)
    app.add_middleware(CachingMiddleware, build=loaded, cache=app.state.answer_cache)

    @app.exception_handler(ConsumerError)
    async def _consumer_error(_: Request, exc: ConsumerError) -> JSONResponse:
        status = _STATUS.get(type(exc), 500)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _no_route(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing answers (no route, method not allowed) keep the one error body of the API; a
        # path the routes cannot match (e.g. a name with a line break) is named in the detail.
        error = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
        detail = f"{request.method} {request.scope.get('path', '')!r}: {exc.detail}"
        return JSONResponse(
            {"error": error, "detail": detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            reasons.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            {"error": "InvalidParameter", "detail": "; ".join(reasons)}, status_code=400
        )

    @app.get("/status", response_model=Status, summary="Health of the API and its graph")
    def status(
        counts: Annotated[
            bool,
            Query(
                description="also count jobs, datasets, plans, runs (the build's own counts; "
                "else counted from the catalogs, capped)"
            ),
        ] = False,
    ) -> Status:
        cap: int | None = None
        started = time.perf_counter()
        found: dict[str, int] = {}
        if counts:
            built = built_counts(client)
            if built is not None:
                found = built
            else:
                cap = _COUNT_CAP
                found = label_counts(client, cap)
        else:
            client.run(client.source().inject(1))  # a round trip proves the graph answers
        return Status(
            status="ok",
            graph=config.graph_url,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            counts=found,
            counts_capped_at=cap,
            build=loaded.current(),
        )

    @app.get("/overview", response_model=GraphView, summary="All jobs and datasets, with flows")
    def overview(
        limit: Annotated[int, Query(ge=1, le=config.max_nodes, description="most jobs")] = 500,
    ) -> Response:
        from lambdas.consumer.overview import overview as run

        return _answer(run(client, max_jobs=limit, max_datasets=config.max_nodes))

    @app.get("/jobs", response_model=JobList, summary="Jobs with their latest run")
    def jobs(
        limit: Annotated[int, Query(ge=1, le=config.max_list)] = 500,
    ) -> Response:
        from lambdas.consumer.jobs import list_jobs

        return _answer(list_jobs(client, limit))

    RunsLimit = Annotated[int, Query(ge=1, le=config.max_list, description="latest runs")]

    # `:path`, so a name holding `/` (percent-encoded as %2F by clients, decoded by the server
    # before routing) is one parameter rather than a 404.
    @app.get(
        "/jobs/{name:path}", response_model=JobDetail, summary="One job: inputs, outputs, runs"
    )
    def job(
        name: Annotated[
            str,
            Path(
                min_length=1,
                max_length=MAX_NAME_CHARS,
                description="job name, percent-encoded; may contain `/`",
            ),
        ],
        request: Request,
        runs: RunsLimit = 50,
    ) -> Response:
        from lambdas.consumer.jobs import job_detail

        if not str(request.scope.get("path", "")).endswith(f"/jobs/{name}"):
            # The route pattern lets one trailing line break through and drops it: "a\n" must
            # not open the job "a".
            raise StarletteHTTPException(404)
        return _answer(job_detail(client, name, runs_limit=runs, max_plans=config.max_list))

    @app.get(
        "/job",
        response_model=JobDetail,
        summary="One job by a query parameter (for the names `.` and `..`, which URL paths drop)",
    )
    def job_by_query(name: Name, runs: RunsLimit = 50) -> Response:
        from lambdas.consumer.jobs import job_detail

        return _answer(job_detail(client, name, runs_limit=runs, max_plans=config.max_list))

    @app.get("/runs", response_model=RunList, summary="Run history, newest first")
    def runs(
        job: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME_CHARS)] = None,
        since: Instant = None,
        until: Instant = None,
        status: RunStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=config.max_list)] = 100,
    ) -> Response:
        from lambdas.consumer.runs import list_runs

        since_utc = _instant(since, "since", end_of_day=False)
        until_utc = _instant(until, "until", end_of_day=False)
        if since_utc and until_utc and since_utc > until_utc:
            raise InvalidParameter(f"since={since} is after until={until}")
        return _answer(list_runs(client, job, since_utc, until_utc, status, limit))

    @app.get("/plans/{plan_id}", response_model=PlanView, summary="One plan's operation DAG")
    def plan(plan_id: Annotated[str, Path(min_length=1, max_length=512)]) -> Response:
        from lambdas.consumer.plans import plan_view

        return _answer(plan_view(client, plan_id, max_ops=config.max_nodes, runs_limit=20))

    @app.get("/datasets", response_model=DatasetList, summary="Search datasets by URI or name")
    def datasets(
        q: Annotated[
            str, Query(max_length=MAX_NAME_CHARS, description="substring of URI or name")
        ] = "",
        layer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=config.max_list)] = 100,
    ) -> Response:
        from lambdas.consumer.datasets import search_datasets

        return _answer(search_datasets(client, q, layer, limit))

    @app.get(
        "/datasets/detail",
        response_model=DatasetDetail,
        summary="One dataset: properties, schema, writing and reading jobs",
    )
    def dataset_detail(uri: Uri) -> Response:
        from lambdas.consumer.datasets import dataset_detail as run

        return _answer(run(client, uri, max_columns=config.max_list))

    @app.get(
        "/datasets/lineage",
        response_model=DatasetLineage,
        summary="Upstream provenance / downstream impact of a dataset",
    )
    def dataset_lineage(
        uri: Uri,
        direction: Direction = "both",
        depth: Depth = 3,
        as_of: Instant = None,
    ) -> Response:
        from lambdas.consumer.datasets import dataset_lineage as run

        # A bare date means "as of the end of that day".
        when = _instant(as_of, "as_of", end_of_day=True)
        return _answer(run(client, uri, direction, depth, when, config.max_nodes))

    @app.get(
        "/columns/lineage",
        response_model=ColumnLineage,
        summary="Column provenance / impact across jobs",
    )
    def column_lineage(
        uri: Uri,
        column: Name,
        direction: Direction = "both",
        depth: Depth = 3,
    ) -> Response:
        from lambdas.consumer.columns import column_lineage as run

        return _answer(run(client, uri, column, direction, depth, config.max_nodes))

    return app
