"""Hostile payloads at the producer and in the core limits: what is refused, kept or cut."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.producer.app import create_app
from lineage import integrity, limits
from lineage import raw_zone_layout as rz
from lineage import spline as sm
from lineage.graph_schema import job_id
from lineage.manifest import is_build_file
from lineage.neptune_csv import Column, PropertyType, format_field
from lineage.quarantine import Reason, classify
from stores import LocalStore

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
V12 = "application/vnd.absa.spline.producer.v1.2+json"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
EVENTS = (SAMPLES / "events-v1.2-orders-daily.json").read_bytes()
NOW = datetime(2026, 11, 22, 1, 2, 3, 456000, tzinfo=UTC)


def deep(levels: int) -> Any:
    """A value `levels` containers deep (objects and arrays alternating)."""
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def client(lake: Path) -> TestClient:
    return TestClient(create_app(LocalStore(lake), clock=lambda: NOW))


def files(lake: Path) -> list[str]:
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())


def _events(**changes: Any) -> bytes:
    batch = json.loads(EVENTS)
    batch[0].update(changes)
    return json.dumps(batch).encode()


def _plan(change: Any) -> bytes:
    doc = json.loads(PLAN)
    change(doc)
    return json.dumps(doc).encode()


def _set_params(doc: dict[str, Any]) -> None:
    doc["operations"]["write"]["params"] = {"deep": deep(300)}


def _newline_id(doc: dict[str, Any]) -> None:
    doc["id"] += "\n"


REFUSED = [
    ("events extra nests 300 levels", "/execution-events", _events(extra={"nest": deep(300)})),
    ("write params nest 300 levels", "/execution-plans", _plan(_set_params)),
    ("timestamp 2^63+5", "/execution-events", _events(timestamp=2**63 + 5)),
    ("timestamp -10^15", "/execution-events", _events(timestamp=-(10**15))),
    ("durationNs 2^64-1", "/execution-events", _events(durationNs=2**64 - 1)),
    ("plan id with a trailing newline", "/execution-plans", _plan(_newline_id)),
    (
        "event planId with a trailing newline",
        "/execution-events",
        _events(planId=json.loads(EVENTS)[0]["planId"] + "\n"),
    ),
]


@pytest.mark.parametrize(("case", "path", "body"), REFUSED, ids=[c[0] for c in REFUSED])
def test_what_the_rebuild_cannot_take_is_refused_with_its_path(
    client: TestClient, lake: Path, case: str, path: str, body: bytes
) -> None:
    response = client.post(path, content=body, headers={"Content-Type": V12})
    assert response.status_code == 400, (case, response.text)
    assert response.json()["path"].startswith("$")
    assert files(lake) == []  # nothing half-stored, no file name with a newline


def test_a_plan_with_an_unresolved_reference_is_accepted_for_the_nightly_job(
    client: TestClient, lake: Path
) -> None:
    # The real agent sends Delta MERGE plans whose params name expressions the plan lacks: a
    # 400 would lose that lineage for good (the agent never retries).
    doc = json.loads(PLAN)
    doc["operations"]["write"]["childIds"] = ["op-404"]
    doc["attributes"][0]["childRefs"] = [{"__exprId": "expr-missing"}]
    response = client.post(
        "/execution-plans", content=json.dumps(doc).encode(), headers={"Content-Type": V12}
    )
    assert response.status_code == 201, response.text
    assert any(f.endswith(".json") for f in files(lake))


def test_sidecar_keeps_allow_listed_headers_only_and_bounded(
    client: TestClient, lake: Path
) -> None:
    client.post(
        "/execution-plans",
        content=PLAN,
        headers={
            "Content-Type": V12,
            "User-Agent": "x" * 100_000,
            "ABSA-Spline-Agent-Version": "2.2.1",
            "ABSA-Spline-Api-Key": "secret-key",
            "ABSA-Spline-Authorization": "Bearer secret",
        },
    )
    (sidecar,) = [f for f in files(lake) if f.endswith(".meta")]
    text = (lake / sidecar).read_text()
    meta = rz.RawObjectMetadata.from_json(text.encode())
    assert "secret" not in text
    assert meta.headers["absa-spline-agent-version"] == "2.2.1"
    assert len(meta.headers["user-agent"].encode()) <= limits.MAX_HEADER_VALUE_BYTES
    assert meta.headers["user-agent"].endswith("bytes]")
    assert len(text) < 2000


def test_503_names_no_file_path(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "plans").write_text("a file where the plans folder should be")
    client = TestClient(create_app(LocalStore(lake), clock=lambda: NOW))
    response = client.post("/execution-plans", content=PLAN, headers={"Content-Type": V12})
    assert response.status_code == 503
    assert str(tmp_path) not in response.text
    assert "/" not in response.json()["message"]


# ---------------------------------------------------------------------------- the core contract


def test_find_violation_names_the_path_and_allows_the_limit() -> None:
    assert limits.find_violation(deep(limits.MAX_JSON_DEPTH)) is None
    found = limits.find_violation({"a": [deep(limits.MAX_JSON_DEPTH)]})
    assert found is not None
    assert found.path.startswith("$.a[0]")
    assert "deeper than 64" in found.problem
    big = limits.find_violation({"n": [1, 2**64]})
    assert big is not None and big.path == "$.n[1]"
    assert limits.find_violation({"n": [-(2**63), 2**64 - 1]}) is None


def test_decode_json_applies_the_limits() -> None:
    with pytest.raises(sm.LimitExceededError) as caught:
        sm.decode_json(json.dumps({"x": deep(300)}).encode())
    assert classify(caught.value)[0] is Reason.LIMIT_EXCEEDED


@pytest.mark.parametrize(
    "text",
    [
        "6a1f8f3e-2d9b-5c1e-9f00-111111111111\n",
        "6a1f8f3e-2d9b-5c1e-9f00-111111111111 ",
        "\n6a1f8f3e-2d9b-5c1e-9f00-111111111111",
        "6a1f8f3e-2d9b-5c1e-9f00-1111111111111",
    ],
)
def test_uuid_is_anchored_at_both_ends(text: str) -> None:
    assert not limits.is_uuid(text)
    with pytest.raises(rz.RawZoneKeyError):
        rz.plan_key(text.lower(), NOW)
    with pytest.raises(rz.RawZoneKeyError):
        rz.parse_raw_key(f"plans/date=2026-11-22/{text}.json")


def test_timestamps_outside_the_range_are_named() -> None:
    assert limits.timestamp_problem(limits.MAX_TIMESTAMP_MS) is None
    assert limits.timestamp_problem(0) is None
    assert "outside" in (limits.timestamp_problem(-1) or "")
    datetime.fromtimestamp(limits.MAX_TIMESTAMP_MS / 1000, tz=UTC)  # representable


def test_a_9_mib_value_is_cut_with_a_marker_in_the_csv() -> None:
    name = "n" * (9 * 1024 * 1024)
    field = format_field(Column("name", PropertyType.STRING), name)
    assert len(field.encode()) <= limits.MAX_PROPERTY_BYTES + 2  # plus quotes at most
    assert field.rstrip('"').endswith(f"[cut: {len(name)} bytes]")
    wide = "é" * 40_000  # 2 bytes each: cut on a character boundary
    cut = limits.cut_text(wide)
    assert len(cut.encode()) <= limits.MAX_PROPERTY_BYTES and cut.startswith("é")


def test_long_ids_are_bounded_and_stay_distinct() -> None:
    one, two = job_id("a" * 5_000_000), job_id("a" * 4_999_999 + "b")
    assert len(one) <= limits.MAX_ID_CHARS and len(two) <= limits.MAX_ID_CHARS
    assert one != two and one == job_id("a" * 5_000_000)
    assert job_id("short") == "job:short"


def _meta(body: bytes, **changes: Any) -> rz.RawObjectMetadata:
    doc: dict[str, Any] = {
        "kind": "events",
        "received_at": "2026-11-22T01:02:03.456Z",
        "api_version": "1.2",
        "content_type": V12,
        "sha256": rz.sha256_hex(body),
        "size": len(body),
    }
    doc.update(changes)
    return rz.RawObjectMetadata.from_json(json.dumps(doc).encode())


@pytest.mark.parametrize(
    "changes",
    [
        {"received_at": "yesterday"},
        {"received_at": 5},
        {"size": "12"},
        {"sha256": "abc"},
        {"kind": "x"},
    ],
)
def test_a_sidecar_with_a_bad_field_is_named(changes: dict[str, Any]) -> None:
    with pytest.raises(rz.InvalidMetadataError) as caught:
        _meta(EVENTS, **changes)
    assert classify(caught.value)[0] is Reason.INVALID_METADATA


def test_integrity_checks_sidecar_key_and_plan_id() -> None:
    key = rz.events_key(rz.sha256_hex(EVENTS), NOW)
    integrity.check_payload(key, EVENTS, _meta(EVENTS))
    with pytest.raises(integrity.SidecarMismatchError):
        integrity.check_payload(key, EVENTS, _meta(EVENTS, size=1))
    altered = EVENTS + b" "
    with pytest.raises(integrity.KeyMismatchError):
        integrity.check_payload(key, altered, _meta(altered))
    plan_key = rz.plan_key("6a1f8f3e-2d9b-5c1e-9f00-111111111111", NOW)
    integrity.check_plan_id(plan_key, "6a1f8f3e-2d9b-5c1e-9f00-111111111111")
    with pytest.raises(integrity.KeyMismatchError):
        integrity.check_plan_id(plan_key, "6a1f8f3e-2d9b-5c1e-9f00-222222222222")


def test_temporary_files_follow_one_naming_rule() -> None:
    # The producer's local store writes `.<name>.<random>.tmp` beside the final name.
    assert rz.is_temporary("events/date=2026-11-22/.x.json.0a1b2c.tmp")
    assert not rz.is_temporary("events/date=2026-11-22/" + "a" * 64 + ".json")


def test_build_folder_rule() -> None:
    for path in (
        "manifest.json",
        "quarantine.json",
        "csv/vertices/Job-00000.csv",
        "csv/edges/OF-00001.csv.gz",
    ):
        assert is_build_file(path)
    for path in (
        "notes.txt",
        "csv/mine.csv",
        "csv/vertices/Job.csv",
        "plans/date=2026-11-22/x.json",
    ):
        assert not is_build_file(path)


def _merge_like_plan() -> bytes:
    """The report fixture with references to expressions it does not define (as Delta MERGE)."""
    doc = json.loads(
        (Path(__file__).resolve().parents[1] / "events" / "normalize" / REPORT).read_bytes()
    )
    doc["id"] = MERGE_ID
    doc["attributes"][4]["childRefs"] = [{"__exprId": "expr-missing"}]
    doc["operations"]["other"][0]["params"]["projectList"].append({"__exprId": "expr-gone"})
    return json.dumps(doc).encode()


REPORT = "plan_country_report.v1_2.json"
MERGE_ID = "30000000-0000-4000-8000-000000000001"


def test_unresolved_references_give_partial_lineage_not_a_refusal() -> None:
    from lineage.dataset_identity import LayerRules
    from lineage.graph_schema import DerivesFromEdge
    from lineage.plan_graph import RawSource, plan_graph

    plan = sm.load_execution_plan(_merge_like_plan(), sm.ApiVersion.V1_2, check_references=False)
    with pytest.raises(sm.DanglingReferenceError):
        sm.check_plan_references(plan)
    sm.check_plan_references(plan, attributes=False)  # operations hold together
    graph = plan_graph(plan, RawSource("plans/x.json", "0" * 64), LayerRules.default())
    assert graph.unresolved == ("expr expr-gone", "expr expr-missing")
    derived = {
        (e.from_id.rsplit("#", 1)[-1], e.to_id.rsplit("#", 1)[-1])
        for e in graph.rows
        if isinstance(e, DerivesFromEdge)
    }
    assert ("country", "country_u") in derived  # known columns keep their edges
    assert not any(written == "total_int" for written, _ in derived)  # its source is unknown


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(doc=_JSON, depth=st.integers(0, 300))
def test_what_the_limits_accept_orjson_writes_back(doc: Any, depth: int) -> None:
    wrapped: Any = doc
    for _ in range(depth):
        wrapped = [wrapped]
    found = limits.find_violation(wrapped)
    too_deep = _depth(wrapped) > limits.MAX_JSON_DEPTH
    too_big = any(not limits.INT_MIN <= n <= limits.INT_MAX for n in _ints(wrapped))
    assert (found is not None) == (too_deep or too_big)
    if found is None:
        assert orjson.loads(orjson.dumps(wrapped)) == wrapped


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _ints(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _ints(v)]
    if isinstance(value, list):
        return [n for v in value for n in _ints(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "received_at",
                "api_version",
                "content_type",
                "sha256",
                "size",
                "headers",
                "plan_id",
                "event_count",
                "client_address",
                "content_encoding",
                "other",
            ]
        ),
        _JSON,
    )
)
def test_any_sidecar_json_is_read_or_refused_with_a_named_error(fields: dict[str, Any]) -> None:
    try:
        meta = rz.RawObjectMetadata.from_json(json.dumps(fields).encode())
    except rz.RawZoneKeyError as exc:
        assert str(exc)
    else:
        assert isinstance(meta.received_ms, int) and isinstance(meta.size, int)
