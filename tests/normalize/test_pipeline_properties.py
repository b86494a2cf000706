"""Property test over the whole pipeline: hostile mutations of recorded agent payloads go through
the real producer app, then ONE real rebuild and ONE real load digest whatever was acknowledged.

Hypothesis generates the payloads (deep nesting, extreme numbers, unicode with lone surrogates
escaped in JSON and NUL, huge strings, odd ids, missing, extra and mistyped keys) as mutations of
the files in tests/events/spline/ (found by glob, so a re-recorded set works too). Every example
is posted into one raw zone; the Spark rebuild and the load then run once for the whole batch,
which keeps the test at CI size. `--hypothesis-profile=nightly` posts many more examples.

Invariants: the producer answers 201 or a precise 4xx, never 5xx; every acknowledged body is in
the raw zone; every stored payload is normalized or quarantined with a reason (the counts
reconcile); the rebuild finishes; the load into a Neptune-like Gremlin Server succeeds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from lambdas.producer.app import create_app
from lineage.quarantine import Reason
from lineage.raw_zone_layout import SIDECAR_SUFFIX, is_temporary, sha256_hex
from stores import LocalStore

SPLINE = Path(__file__).resolve().parents[1] / "events" / "spline"
V12 = "application/vnd.absa.spline.producer.v1.2+json"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
OK_STATUSES = {201, 400, 413, 415}


def _content_types() -> dict[str, str]:
    transcript = SPLINE / "transcript.json"
    if not transcript.exists():
        return {}
    return {
        str(item["file"]): str(item["content_type"])
        for item in json.loads(transcript.read_text())
        if isinstance(item, dict) and "file" in item and "content_type" in item
    }


@dataclass(frozen=True)
class Seed:
    """One recorded payload to mutate."""

    name: str
    path: str  # the producer route
    content_type: str
    doc: Any


def _seeds() -> list[Seed]:
    types = _content_types()
    seeds = []
    for file in sorted(SPLINE.glob("*.json")):
        kind = file.name.rsplit(".", 2)[-2] if file.name.count(".") >= 2 else ""
        if kind not in ("plan", "events"):
            continue
        route = "/execution-plans" if kind == "plan" else "/execution-events"
        seeds.append(
            Seed(file.name, route, types.get(file.name, V12), json.loads(file.read_text()))
        )
    return seeds


SEEDS = _seeds()


# ----------------------------------------------------------------------------------- mutations


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


EXTREME_NUMBERS = [
    2**63 + 5,
    -(10**15),
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**30,
    -1,
    0,
    1e308,
    -0.0,
    5e-324,
]
ODD_IDS = [
    "6a1f8f3e-2d9b-5c1e-9f00-111111111111\n",
    "6A1F8F3E-2D9B-5C1E-9F00-111111111111",
    " 6a1f8f3e-2d9b-5c1e-9f00-111111111111",
    "",
    "../../etc/passwd",
    "a/b\\c",
    "6a1f8f3e-2d9b-5c1e-9f00-11111111111\u0661",
]

# Every code point, lone surrogates included (json.dumps escapes them as \udXXX), and NUL.
_ANY_CHAR = st.characters(codec=None, blacklist_categories=())


def hostile_values(huge: int) -> st.SearchStrategy[Any]:
    """The classes of value that broke the pipeline before, and their neighbours."""
    return st.one_of(
        st.integers(200, 320).map(_deep),  # past what orjson writes back (about 254)
        st.integers(1, 80).map(_deep),  # around the accepted depth
        st.sampled_from(EXTREME_NUMBERS),
        st.sampled_from(ODD_IDS),
        st.integers(0, huge).map(lambda n: "é" * n),  # beyond one graph property
        st.text(_ANY_CHAR, max_size=40),
        st.just("nul\x00byte"),
    )


def values(huge: int) -> st.SearchStrategy[Any]:
    """Hostile JSON values, and ordinary ones of the wrong type."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(_ANY_CHAR, max_size=40),
    )
    return st.one_of(
        hostile_values(huge),
        scalars,
        st.lists(scalars, max_size=4),
        st.dictionaries(st.text(_ANY_CHAR, max_size=8), scalars, max_size=4),
    )


def _locations(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value inside `doc`, iteratively."""
    found: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            found.append((node, key))
            if isinstance(child, dict | list):
                stack.append(child)
    return found


# Where the pipeline is most sensitive; random locations alone would rarely hit them. A path
# ending in an object-typed field gets the value one level down, so the payload keeps its
# shape and the value reaches the rebuild.
_HOT_PLAN_PATHS: list[tuple[str, ...]] = [
    ("id",),
    ("name",),
    ("extraInfo", "hostile"),
    ("operations", "write", "outputSource"),
    ("operations", "write", "params", "hostile"),
    ("operations", "write", "extra", "hostile"),
    ("operations", "write", "childIds"),
]
_HOT_EVENT_PATHS: list[tuple[str, ...]] = [
    ("planId",),
    ("timestamp",),
    ("durationNs",),
    ("extra", "hostile"),
    ("error",),
    ("discriminator",),
]


def _set_path(doc: Any, path: tuple[str, ...], value: Any) -> bool:
    node = doc
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if child is None and isinstance(node, dict):
            child = node[key] = {}
        if not isinstance(child, dict):
            return False
        node = child
    node[path[-1]] = value
    return True


@dataclass
class Mutated:
    seed: str
    path: str
    content_type: str
    body: bytes
    gzip: bool
    applied: list[str] = field(default_factory=list)


@st.composite
def payloads(draw: st.DrawFn, huge: int = 100_000) -> Mutated:
    """One recorded payload with one to three hostile mutations."""
    seed = draw(st.sampled_from(SEEDS))
    doc = json.loads(json.dumps(seed.doc))
    applied: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["hot", "hot", "hot", "replace", "delete", "add"]))
        if op == "hot":
            target = doc[0] if isinstance(doc, list) and doc and isinstance(doc[0], dict) else doc
            if isinstance(target, dict):
                hot = _HOT_EVENT_PATHS if isinstance(doc, list) else _HOT_PLAN_PATHS
                path = draw(st.sampled_from(hot))
                if _set_path(target, path, draw(hostile_values(huge))):
                    applied.append(f"set {'.'.join(path)}")
            continue
        places = _locations(doc) if isinstance(doc, dict | list) else []
        if not places:
            continue
        container, key = places[draw(st.integers(0, len(places) - 1))]
        if op == "replace":
            container[key] = draw(values(huge))
            applied.append(f"replace {key!r}")
        elif op == "delete" and isinstance(container, dict):
            del container[key]
            applied.append(f"delete {key!r}")
        elif op == "add" and isinstance(container, dict):
            name = draw(st.text(_ANY_CHAR, max_size=12))
            container[name] = draw(values(huge))
            applied.append(f"add {name!r}")
    ascii_only = draw(st.booleans())
    text = json.dumps(doc, ensure_ascii=ascii_only)
    # A lone surrogate cannot be UTF-8: without ASCII escapes the body is then not UTF-8 at all.
    body = text.encode("utf-8", "surrogatepass")
    return Mutated(seed.name, seed.path, seed.content_type, body, draw(st.booleans()), applied)


# ----------------------------------------------------------------------------------- the test


@dataclass
class Fed:
    """The raw zone after posting every generated payload, and what the producer said."""

    lake: Path
    acknowledged: list[bytes]
    statuses: dict[int, int]


def _post(client: TestClient, payload: Mutated) -> int:
    headers = {"Content-Type": payload.content_type}
    body = payload.body
    if payload.gzip:
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body, mtime=0)
    response = client.post(payload.path, content=body, headers=headers)
    status = response.status_code
    assert status in OK_STATUSES, (payload.seed, payload.applied, status, response.text[:500])
    if status != 201:
        error = response.json()
        assert error["error"] and error["message"], response.text[:500]
    return status


def _feed(lake: Path) -> Fed:
    client = TestClient(create_app(LocalStore(lake), clock=lambda: NOW))
    fed = Fed(lake, [], {})
    # The recorded payloads themselves first: the good lineage the hostile ones sit beside.
    for seed in SEEDS:
        body = json.dumps(seed.doc).encode()
        response = client.post(seed.path, content=body, headers={"Content-Type": seed.content_type})
        assert response.status_code == 201, (seed.name, response.text[:500])
        fed.acknowledged.append(body)

    examples = settings().max_examples  # follows the profile: default, or nightly

    def post(payload: Mutated) -> None:
        status = _post(client, payload)
        fed.statuses[status] = fed.statuses.get(status, 0) + 1
        if status == 201:
            fed.acknowledged.append(payload.body)

    for known in _known_findings():  # always run, besides what hypothesis generates
        post = example(known)(post)
    run = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(given(payloads())(post))
    run()
    return fed


def _known_findings() -> list[Mutated]:
    """The payloads that once stopped every nightly rebuild, as mutations of the seeds."""
    plan = next(s for s in SEEDS if s.path == "/execution-plans")
    events = next(s for s in SEEDS if s.path == "/execution-events")
    cases: list[tuple[Seed, tuple[str, ...], Any]] = [
        (events, ("extra", "hostile"), _deep(300)),
        (plan, ("operations", "write", "params", "hostile"), _deep(300)),
        (events, ("timestamp",), 2**63 + 5),
        (events, ("timestamp",), -(10**15)),
        (plan, ("name",), "n" * (9 * 1024 * 1024)),
        (plan, ("id",), f"{plan.doc['id']}\n"),
        (events, ("planId",), f"{events.doc[0]['planId']}\n"),
    ]
    found = []
    for seed, path, value in cases:
        doc = json.loads(json.dumps(seed.doc))
        _set_path(doc[0] if isinstance(doc, list) else doc, path, value)
        body = json.dumps(doc).encode()
        applied = [f"set {'.'.join(path)}"]
        found.append(Mutated(seed.name, seed.path, seed.content_type, body, False, applied))
    return found


def _stored_payloads(lake: Path) -> dict[str, str]:
    """Stored payload key -> sha256, as a reader of the raw zone sees them."""
    found = {}
    for path in sorted(lake.rglob("*.json")):
        key = path.relative_to(lake).as_posix()
        if key.startswith(("plans/", "events/")) and not is_temporary(key):
            found[key] = sha256_hex(path.read_bytes())
    return found


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Fed:
    return _feed(tmp_path_factory.mktemp("property-lake"))


@pytest.fixture(scope="module")
def build(spark: Any, fed: Fed, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    out = tmp_path_factory.mktemp("property-build")
    # A share of 1: this test is about surviving every payload, not about the nightly's gate.
    params = NormalizeParams(lake=str(fed.lake), out=str(out), max_bad_share=1.0)
    return run_normalize(spark, LocalStore(str(fed.lake)), LocalStore(str(out)), params)


@pytest.mark.spark
@pytest.mark.graph
def test_everything_acknowledged_is_normalized_or_quarantined_and_loads(
    fed: Fed, build: BuildResult, clean_graph: str
) -> None:
    from loader import LocalTarget, run_load

    stored = _stored_payloads(fed.lake)
    # Every acknowledged body is in the raw zone, byte for byte.
    assert {hashlib.sha256(b).hexdigest() for b in fed.acknowledged} <= set(stored.values())
    # Hostile input really reached the rebuild, and some was refused at the door.
    assert len(fed.acknowledged) > len(SEEDS)
    assert fed.statuses.get(400, 0) > 0

    report = build.report
    quarantined = {e.key: e for e in report.entries}
    read = {i.key for i in build.manifest.inputs if not i.key.endswith(SIDECAR_SUFFIX)}
    assert set(stored) == read | set(quarantined)
    assert report.read == len(stored) == report.normalized + report.quarantined
    assert report.normalized > 0
    for entry in report.entries:
        assert isinstance(entry.reason, Reason) and entry.detail
        assert entry.reason is not Reason.NORMALIZE_FAILED, entry  # no unforeseen crash

    load = run_load(build.out, LocalTarget(url=clean_graph))
    assert load.succeeded, load.summary()
    assert load.totals.errors == 0
