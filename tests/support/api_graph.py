"""A small lake written straight into Gremlin Server the way docs/graph-model.md specifies.

Three jobs over five datasets in three layers, with plans, operation DAGs, runs (succeeded and
failed) and column derivations of every kind. The read API tests and the browser tests query it;
the expected answers in those tests are read off this picture, not computed by the API's code.

    raw/orders ----\\                      /--> daily_revenue  (aggregated)  job daily_revenue
                    >-- enrich_orders --> curated/orders_enriched
    raw/customers -/                      \\--> customer_ltv   (aggregated)  job customer_ltv
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from lineage import graph_schema as gs
from lineage.catalog import catalog_rows
from lineage.neptune_csv import Cardinality as NeptuneCardinality
from lineage.neptune_csv import PropertyType, epoch_millis

RAW_ORDERS = "s3://lake/raw/orders"
RAW_CUSTOMERS = "s3://lake/raw/customers"
CURATED = "s3://lake/curated/orders_enriched"
DAILY = "s3://lake/aggregated/daily_revenue"
LTV = "s3://lake/aggregated/customer_ltv"

PLAN_ENRICH = "6f1c2a9e-0000-5000-8000-000000000001"
PLAN_DAILY = "6f1c2a9e-0000-5000-8000-000000000002"
PLAN_LTV = "6f1c2a9e-0000-5000-8000-000000000003"


def run_started(
    plan_id: str, started: dt.datetime, duration_ms: int, status: str = "SUCCEEDED"
) -> gs.RunVertex:
    """A `Run` that started at `started` and lasted `duration_ms` (its event's timestamp is
    the end, as the agent sends it); the other fields empty."""
    return gs.RunVertex(
        plan_id=plan_id,
        timestamp_ms=epoch_millis(started) + duration_ms,
        discriminator=None,
        job_name="j",
        status=status,
        error=None,
        started_at=started,
        ended_at=started + dt.timedelta(milliseconds=duration_ms),
        duration_ms=duration_ms,
        rows_read=None,
        rows_written=None,
        bytes_written=None,
        app_id=None,
        user=None,
        glue_job_run_id=None,
        raw_key="k",
        raw_sha256="0" * 64,
    )


@dataclass
class Lake:
    """Rows of the graph, built with lineage.graph_schema (the contract's one implementation)."""

    rows: list[gs.GraphRow] = field(default_factory=list)

    def add(self, row: gs.JobVertex | gs.DatasetVertex | gs.RunVertex) -> None:
        """A job, dataset or run with the catalog rows the normalize job writes for it."""
        self.rows.append(row)
        for listed in catalog_rows(row):
            # Equal rows once, as the job's writer keeps them; a shard's rows differ by member.
            if listed not in self.rows:
                self.rows.append(listed)

    def dataset(self, uri: str, fmt: str, layer: str, columns: dict[str, str]) -> None:
        self.add(
            gs.DatasetVertex(
                uri=uri, name=uri.rsplit("/", 1)[-1], format=fmt, layer=layer, catalog_table=None
            )
        )
        for col, data_type in columns.items():
            self.rows.append(gs.ColumnVertex(dataset_uri=uri, name=col, data_type=data_type))
            self.rows.append(gs.OfEdge(gs.column_id(uri, col), gs.dataset_id(uri)))

    def job(
        self,
        name: str,
        plan: str,
        reads: list[str],
        writes: str,
        ops: list[tuple[str, str, str, int, list[str], dict[str, Any], list[str]]],
        runs: list[tuple[str, dt.datetime, int, int, int]],
        derivations: list[tuple[str, str, str, str]],
    ) -> None:
        jid, pid = gs.job_id(name), gs.plan_vertex_id(plan)
        if not any(isinstance(r, gs.JobVertex) and r.name == name for r in self.rows):
            self.add(gs.JobVertex(name=name, glue_job_name=name))
        raw_key = f"raw/plans/{plan}.json"
        self.rows.append(
            gs.PlanVertex(
                plan_id=plan,
                job_name=name,
                spline_version="1.2",
                spark_version="3.5.4",
                agent_version="2.2.1",
                write_mode="overwrite",
                raw_key=raw_key,
                raw_sha256=hashlib.sha256(raw_key.encode()).hexdigest(),
            )
        )
        self.rows.append(gs.HasPlanEdge(jid, pid))
        self.rows += [gs.ReadsEdge(pid, gs.dataset_id(uri)) for uri in reads]
        self.rows.append(gs.WritesEdge(pid, gs.dataset_id(writes), append=False))
        for op_id, kind, operator, level, children, params, schema in ops:
            oid = gs.operation_id(plan, op_id)
            self.rows.append(
                gs.OperationVertex(
                    plan_id=plan,
                    op_id=op_id,
                    kind=kind,
                    operator=operator,
                    params=json.dumps(params, sort_keys=True),
                    schema=json.dumps([{"name": c, "type": "string"} for c in schema]),
                    level=level,
                )
            )
            self.rows.append(gs.HasOperationEdge(pid, oid))
            self.rows += [gs.FollowsEdge(oid, gs.operation_id(plan, c)) for c in children]
        for status, started, duration, rows_read, rows_written in runs:
            ts = int(started.replace(tzinfo=dt.UTC).timestamp() * 1000)
            run_key = f"raw/events/{plan}/{ts}.json"
            run = gs.RunVertex(
                plan_id=plan,
                timestamp_ms=ts,
                discriminator=None,
                job_name=name,
                status=status,
                error=(
                    "java.io.FileNotFoundException: s3://lake/raw/orders/part-0"
                    if status == "FAILED"
                    else None
                ),
                started_at=started.replace(tzinfo=dt.UTC),
                ended_at=started.replace(tzinfo=dt.UTC) + dt.timedelta(milliseconds=duration),
                duration_ms=duration,
                rows_read=rows_read,
                rows_written=rows_written,
                bytes_written=None,
                app_id=f"app-{ts}",
                user=None,
                glue_job_run_id=None,
                raw_key=run_key,
                raw_sha256=hashlib.sha256(run_key.encode()).hexdigest(),
            )
            self.add(run)
            self.rows += [gs.HasRunEdge(jid, run.id), gs.ExecutedEdge(run.id, pid)]
        for written, source, kind, expression in derivations:
            w_uri, w_col = written.split("#")
            s_uri, s_col = source.split("#")
            self.rows.append(
                gs.DerivesFromEdge(
                    gs.column_id(w_uri, w_col),
                    gs.column_id(s_uri, s_col),
                    plan_id=plan,
                    kind=kind,
                    expression=expression,
                )
            )


def build_lake() -> Lake:
    """The fixture lake described in the module docstring."""
    lake = Lake()
    lake.dataset(
        RAW_ORDERS,
        "parquet",
        "raw",
        {
            "order_id": "long",
            "customer_id": "long",
            "amount": "decimal(10,2)",
            "order_ts": "string",
        },
    )
    lake.dataset(RAW_CUSTOMERS, "csv", "raw", {"customer_id": "long", "country": "string"})
    lake.dataset(
        CURATED,
        "parquet",
        "curated",
        {
            "order_id": "long",
            "customer_id": "long",
            "amount_eur": "decimal(12,2)",
            "country": "string",
            "order_date": "date",
        },
    )
    lake.dataset(DAILY, "parquet", "aggregated", {"order_date": "date", "revenue": "decimal(20,2)"})
    lake.dataset(LTV, "parquet", "aggregated", {"customer_id": "long", "ltv": "decimal(20,2)"})
    day = dt.datetime(2026, 1, 10, 2, 0, 0)
    lake.job(
        "enrich_orders",
        PLAN_ENRICH,
        reads=[RAW_ORDERS, RAW_CUSTOMERS],
        writes=CURATED,
        ops=[
            ("0", "write", "InsertIntoHadoopFsRelationCommand", 0, ["1"], {"path": CURATED}, []),
            ("1", "transform", "Project", 1, ["2"], {"projectList": ["order_id"]}, ["order_id"]),
            ("2", "transform", "Join", 2, ["3", "4"], {"joinType": "Inner"}, ["order_id"]),
            ("3", "read", "LogicalRelation", 3, [], {"inputSources": [RAW_ORDERS]}, ["order_id"]),
            ("4", "read", "LogicalRelation", 3, [], {"inputSources": [RAW_CUSTOMERS]}, ["country"]),
        ],
        runs=[
            ("SUCCEEDED", day, 41_000, 1_000, 990),
            ("FAILED", day + dt.timedelta(days=1), 3_000, 0, 0),
            ("SUCCEEDED", day + dt.timedelta(days=2), 45_000, 1_100, 1_080),
        ],
        derivations=[
            (f"{CURATED}#order_id", f"{RAW_ORDERS}#order_id", "direct", "order_id"),
            (f"{CURATED}#customer_id", f"{RAW_ORDERS}#customer_id", "direct", "customer_id"),
            (f"{CURATED}#amount_eur", f"{RAW_ORDERS}#amount", "expression", "amount * 0.92"),
            (f"{CURATED}#country", f"{RAW_CUSTOMERS}#country", "direct", "country"),
            (f"{CURATED}#order_date", f"{RAW_ORDERS}#order_ts", "cast", "CAST(order_ts AS DATE)"),
        ],
    )
    lake.job(
        "daily_revenue",
        PLAN_DAILY,
        reads=[CURATED],
        writes=DAILY,
        ops=[
            ("0", "write", "InsertIntoHadoopFsRelationCommand", 0, ["1"], {"path": DAILY}, []),
            ("1", "transform", "Aggregate", 1, ["2"], {"groupingExpressions": ["order_date"]}, []),
            ("2", "read", "LogicalRelation", 2, [], {"inputSources": [CURATED]}, ["order_date"]),
        ],
        runs=[("SUCCEEDED", day + dt.timedelta(days=2, hours=1), 12_000, 1_080, 3)],
        derivations=[
            (f"{DAILY}#order_date", f"{CURATED}#order_date", "direct", "order_date"),
            (f"{DAILY}#revenue", f"{CURATED}#amount_eur", "aggregate", "sum(amount_eur)"),
        ],
    )
    lake.job(
        "customer_ltv",
        PLAN_LTV,
        reads=[CURATED],
        writes=LTV,
        ops=[
            ("0", "write", "InsertIntoHadoopFsRelationCommand", 0, ["1"], {"path": LTV}, []),
            ("1", "transform", "Aggregate", 1, ["2"], {"groupingExpressions": ["customer_id"]}, []),
            ("2", "read", "LogicalRelation", 2, [], {"inputSources": [CURATED]}, ["customer_id"]),
        ],
        # Starts later than the others: the `as_of` tests rely on it.
        runs=[("SUCCEEDED", dt.datetime(2026, 1, 20, 3, 0, 0), 20_000, 1_080, 700)],
        derivations=[
            (f"{LTV}#customer_id", f"{CURATED}#customer_id", "direct", "customer_id"),
            (f"{LTV}#ltv", f"{CURATED}#amount_eur", "aggregate", "sum(amount_eur)"),
        ],
    )
    return lake


def load_lake(url: str, lake: Lake) -> None:
    """Drop everything in the graph at `url`, then write `lake`'s rows with gremlinpython.

    Rows for one vertex id merge as a bulk load merges them: the first adds the vertex, each
    row adds its values to the `set` properties and replaces the `single` ones.
    """
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import Cardinality, T
    from gremlin_python.statics import long

    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        g.V().drop().iterate()
        vertices = [r for r in lake.rows if isinstance(r, gs.VertexRow)]
        edges = [r for r in lake.rows if isinstance(r, gs.EdgeRow)]
        added: set[str] = set()
        for v in vertices:
            t = g.V(v.id) if v.id in added else g.add_v(v.LABEL.value).property(T.id, v.id)
            added.add(v.id)
            for column, value in zip(v.COLUMNS, v.values(), strict=True):
                if isinstance(value, dt.datetime):  # what a load stores: a Date cell's seconds
                    value = value.replace(microsecond=0)
                elif isinstance(value, int) and column.type is PropertyType.LONG:
                    value = long(value)  # GraphBinary sends a plain int as a 32-bit Int
                if value is not None:
                    many = column.cardinality is NeptuneCardinality.SET
                    t = t.property(
                        Cardinality.set_ if many else Cardinality.single, column.name, value
                    )
            t.iterate()
        for e in edges:
            t = g.V(e.from_id).add_e(e.LABEL.value).to(__.V(e.to_id)).property(T.id, e.id)
            for column, value in zip(e.COLUMNS, e.values(), strict=True):
                if value is not None:
                    t = t.property(column.name, value)
            t.iterate()
    finally:
        connection.close()
