"""Whether a loaded graph holds exactly what a build's CSVs say: counts per label and a digest.

The expected graph is computed from the build's load files with the loader's meaning (vertex
files first; a repeated id merges, `set` values accumulate, `(single)` and edge properties take
the last value; several labels `A;B` are the one label `A::B`). The actual graph is read over
Gremlin. Both are reduced to one canonical line per vertex and edge (id, label, endpoints, every
property with its values), compared line by line, and summarized as a SHA-256 over the sorted
lines. Differences are named: missing and unexpected elements, and each property that differs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from loader.csv_reader import EdgeRecord, NeptuneCsvError, VertexRecord, iter_records, read_layout
from loader.errors import GraphConnectionError, SourceError
from loader.files import is_load_file, load_folders_of

__all__ = ["GraphCheck", "check_graph", "expected_graph", "graph_elements"]

MAX_NAMED = 50
"""Differences named one by one (all are counted)."""

Canonical = tuple[str, object]
Element = dict[str, Any]
"""{"kind", "id", "label", "from", "to", "props": {name: sorted canonical values}}."""


def canonical(value: object) -> Canonical:
    """A value in a form equal for the CSV's typed value and the graph's stored copy."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(float(value)))
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        millis = calendar.timegm(aware.utctimetuple()) * 1000 + aware.microsecond // 1000
        return ("date", millis)
    return ("str", str(value))


def _line(element: Element) -> bytes:
    return orjson.dumps(element, option=orjson.OPT_SORT_KEYS)


@dataclass(slots=True)
class GraphCheck:
    """The comparison of a graph with a build."""

    expected_counts: dict[str, int]
    actual_counts: dict[str, int]
    expected_digest: str
    actual_digest: str
    differences: list[str] = field(default_factory=list)
    difference_count: int = 0

    @property
    def matches(self) -> bool:
        """True when every element and property is as the build says."""
        return self.expected_digest == self.actual_digest and not self.difference_count


def _load_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    files = [p for p in folder.rglob("*") if p.is_file() and is_load_file(p.relative_to(folder))]
    kinds = {}
    for path in files:
        try:
            kinds[path] = read_layout(path).kind
        except (NeptuneCsvError, OSError, EOFError, ValueError) as exc:
            raise SourceError(f"cannot read the header of {path}: {exc}") from exc
    return sorted(files, key=lambda p: (kinds[p] != "vertex", str(p)))


def expected_graph(build: Path, *later: Path) -> dict[str, Element]:
    """Every element the build's CSVs describe, keyed by `v:<id>` / `e:<id>`.

    With `later` builds (a chain: a full build, then deltas), the graph after loading each in
    turn onto the one before. A build folder's marker (`marker/`) is loaded after its graph
    files, as the loader does.
    """
    elements: dict[str, Element] = {}
    for each in (build, *later):
        if later and (each / "manifest.json").is_file() and not (each / "csv").exists():
            continue  # a delta with nothing new: loading it changes nothing
        folder, marker = load_folders_of(each)
        for source in (folder, *([marker] if marker is not None else [])):
            for path in _load_files(source):
                try:
                    for record in iter_records(path, name=str(path.relative_to(source.parent))):
                        _merge(elements, record)
                except NeptuneCsvError as exc:
                    raise SourceError(f"the build does not load cleanly: {exc}") from exc
    for element in elements.values():
        element["props"] = {name: sorted(set(vs)) for name, vs in element["props"].items()}
    return elements


def _merge(elements: dict[str, Element], record: VertexRecord | EdgeRecord) -> None:
    if isinstance(record, VertexRecord):
        key = f"v:{record.id}"
        label = "::".join(sorted(set(record.labels)))
        element = elements.setdefault(
            key, {"kind": "v", "id": record.id, "label": label, "props": {}}
        )
        for prop in record.properties:
            values = [canonical(v) for v in prop.values]
            if prop.column.is_single:
                element["props"][prop.column.name] = values[-1:]
            else:
                element["props"].setdefault(prop.column.name, []).extend(values)
        return
    key = f"e:{record.id}"
    element = elements.setdefault(
        key,
        {
            "kind": "e",
            "id": record.id,
            "label": record.label,
            "from": record.from_id,
            "to": record.to_id,
            "props": {},
        },
    )
    for prop in record.properties:
        element["props"][prop.column.name] = [canonical(prop.values[0])]


def graph_elements(url: str) -> dict[str, Element]:
    """Every vertex and edge of the graph at `url` (a Gremlin WebSocket URL)."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    try:
        connection = DriverRemoteConnection(url, "g", max_content_length=0)
    except Exception as exc:  # the driver raises bare OSError/aiohttp errors on connect
        raise GraphConnectionError(f"cannot reach the graph at {url}: {exc}") from exc
    try:
        g = traversal().with_remote(connection)
        vertices = g.V().project("i", "l", "p").by(T.id).by(T.label).by(__.value_map()).to_list()
        edges = (
            g.E()
            .project("i", "l", "o", "n", "p")
            .by(T.id)
            .by(T.label)
            .by(__.out_v().id_())
            .by(__.in_v().id_())
            .by(__.value_map())
            .to_list()
        )
    except Exception as exc:  # the driver raises bare RuntimeError/OSError on a lost server
        raise GraphConnectionError(f"cannot read the graph at {url}: {exc}") from exc
    finally:
        connection.close()
    elements: dict[str, Element] = {}
    for row in vertices:
        props = {
            str(name): sorted({canonical(v) for v in values}) for name, values in row["p"].items()
        }
        elements[f"v:{row['i']}"] = {"kind": "v", "id": row["i"], "label": row["l"], "props": props}
    for row in edges:
        props = {str(name): [canonical(value)] for name, value in row["p"].items()}
        elements[f"e:{row['i']}"] = {
            "kind": "e",
            "id": row["i"],
            "label": row["l"],
            "from": row["o"],
            "to": row["n"],
            "props": props,
        }
    return elements


def _digest(elements: dict[str, Element]) -> str:
    digest = hashlib.sha256()
    for line in sorted(_line(element) for element in elements.values()):
        digest.update(line + b"\n")
    return digest.hexdigest()


def _counts(elements: dict[str, Element]) -> dict[str, int]:
    counts = Counter(f"{e['kind']}:{e['label']}" for e in elements.values())
    return dict(sorted(counts.items()))


def _describe(element: Element) -> str:
    kind = "vertex" if element["kind"] == "v" else "edge"
    if element["kind"] == "e":
        return (
            f"{kind} {element['id']!r} ({element['from']!r}-{element['label']}->{element['to']!r})"
        )
    return f"{kind} {element['id']!r} ({element['label']})"


def _shown(values: list[Any]) -> str:
    return ", ".join(repr(v[1]) for v in values) if values else "no value"


def _differences(expected: dict[str, Element], actual: dict[str, Element]) -> Iterator[str]:
    for key in sorted(expected.keys() - actual.keys()):
        yield f"missing from the graph: {_describe(expected[key])}"
    for key in sorted(actual.keys() - expected.keys()):
        yield f"not in the build: {_describe(actual[key])}"
    for key in sorted(expected.keys() & actual.keys()):
        want, have = expected[key], actual[key]
        for part in ("label", "from", "to"):
            if want.get(part) != have.get(part):
                yield f"{_describe(want)}: {part} is {have.get(part)!r} in the graph"
        for name in sorted(want["props"].keys() | have["props"].keys()):
            wanted, held = want["props"].get(name, []), have["props"].get(name, [])
            if wanted != held:
                yield (
                    f"{_describe(want)}: property {name!r} is {_shown(held)} in the graph, "
                    f"{_shown(wanted)} in the build"
                )


def check_graph(url: str, build: Path, *later: Path) -> GraphCheck:
    """Compare the graph at `url` with the build folder (or CSV folder) `build`, or with a
    chain: `build` and the `later` deltas loaded onto it in turn."""
    expected = expected_graph(build, *later)
    actual = graph_elements(url)
    result = GraphCheck(
        expected_counts=_counts(expected),
        actual_counts=_counts(actual),
        expected_digest=_digest(expected),
        actual_digest=_digest(actual),
    )
    for text in _differences(expected, actual):
        result.difference_count += 1
        if len(result.differences) < MAX_NAMED:
            result.differences.append(text)
    return result
