"""Each payload is decoded once on its way to CSV: events pass -> plan pass (no Spark).

Drives the job's own per-payload steps (`event_rows`, `event_refs`, `plan_rows`) on real
fixture payloads in a real raw zone, counting how often the Spline model decodes JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from normalize_fixtures import SALES_PLAN, payload
from raw_zone_builder import day, put

from glue_jobs.normalize import NormalizeParams, plan_rows
from glue_jobs.normalize.events import EventRowKind, batch_accounts, event_refs, event_rows
from lineage import spline as sm
from lineage.graph_schema import VertexLabel
from lineage.quarantine import EventBatch, Outcome, Reason
from lineage.raw_zone_layout import SIDECAR_SUFFIX
from lineage.spline import parse as spline_parse
from stores import LocalStore

pytestmark = pytest.mark.unit

EVENTS = "events_sales_by_country.v1_2.json"


def _rows_as_collected(rows: list[tuple[object, ...]]) -> list[dict[str, object]]:
    names = ("key", "plan_id", "timestamp", "kind", "payload")
    return [dict(zip(names, row, strict=True)) for row in rows]


def test_events_and_plan_are_decoded_once_each_and_runs_come_from_the_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_key = put(tmp_path, payload(SALES_PLAN), kind="plan", received_at=day("2025-11-21"))
    events_key = put(tmp_path, payload(EVENTS), kind="events", received_at=day("2025-11-21"))
    store = LocalStore(str(tmp_path))
    params = NormalizeParams(lake=str(tmp_path), out="unused")
    decoded: list[int] = []
    real_decode = sm.decode_json

    def counting_decode(body: bytes) -> sm.JsonValue:
        decoded.append(len(body))
        return real_decode(body)

    validated: list[int] = []
    real_validate = sm.parse_execution_events

    def counting_validate(doc: sm.JsonValue, version: sm.ApiVersion) -> tuple[object, ...]:
        validated.append(1)
        return real_validate(doc, version)

    # Patched where the loaders look them up, so every decode on the way is counted.
    monkeypatch.setattr(spline_parse, "decode_json", counting_decode)
    monkeypatch.setattr(spline_parse, "parse_execution_events", counting_validate)

    rows = event_rows(store, events_key, params)
    assert (len(decoded), len(validated)) == (1, 1)
    collected = _rows_as_collected(rows)
    accounts = [row for row in collected if row["kind"] == EventRowKind.BATCH]
    (batch,) = batch_accounts(accounts).values()  # type: ignore[arg-type]
    assert batch.status.outcome is Outcome.PARSED and batch.plans
    # What the Spark join hands the plan pass: the pickled events of one plan id, in any order.
    pickled = [row["payload"] for row in collected if row["kind"] == EventRowKind.EVENT]
    by_plan = {plan: event_refs(reversed(pickled)) for plan in batch.plans}  # type: ignore[arg-type]
    assert [ref.index for ref in by_plan[batch.plans[0]]] == list(range(len(pickled)))
    written, status = plan_rows(store, plan_key, by_plan, params, None)
    # One decode for the batch, one for the plan: the events reach the plan pass validated.
    assert (len(decoded), len(validated)) == (2, 1)
    assert status.outcome is Outcome.NORMALIZED
    expected_runs = len(json.loads(payload(EVENTS)))
    assert status.runs == expected_runs
    runs = [row for row in written if row[0] == f"v/{VertexLabel.RUN.value}"]
    assert len(runs) == expected_runs
    assert all(events_key in line for _, _, line in runs)  # each Run names its raw batch


def test_a_bad_batch_is_one_quarantine_status_and_no_event(tmp_path: Path) -> None:
    key = put(tmp_path, b'[{"planId": ', kind="events", received_at=day("2025-11-21"))
    store = LocalStore(str(tmp_path))
    rows = event_rows(store, key, NormalizeParams(lake=str(tmp_path), out="unused"))
    ((_, plan_id, _, kind, raw),) = rows
    assert plan_id is None and kind == EventRowKind.BATCH
    (batch,) = batch_accounts([{"payload": raw}]).values()  # type: ignore[list-item]
    assert isinstance(batch, EventBatch) and batch.plans == () and batch.excluded == 0
    status = batch.status
    assert status.outcome is Outcome.QUARANTINED and status.reason is Reason.UNPARSABLE
    assert [i.key for i in status.inputs] == [key, key + SIDECAR_SUFFIX]
