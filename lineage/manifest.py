"""The build manifest: what a rebuild read, with which parameters and code, and what it wrote.

`manifest.json` is byte-identical across identical runs (same inputs, parameters and code): it
holds no wall-clock time, host or duration; those go to `run-info.json` (`RunInfo`).
"""

from __future__ import annotations

import hashlib
import heapq
import importlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import orjson

from lineage.errors import LineageError

__all__ = [
    "MANIFEST_FILE",
    "MANIFEST_FORMAT",
    "RUN_INFO_FILE",
    "InputObject",
    "Manifest",
    "ManifestError",
    "ManifestSummary",
    "OutputFile",
    "Param",
    "RunInfo",
    "code_fingerprint",
    "is_build_file",
]

MANIFEST_FILE = "manifest.json"
RUN_INFO_FILE = "run-info.json"
MANIFEST_FORMAT = 1

Param = str | int | float | bool | None

# How orjson (OPT_INDENT_2, sorted keys) lays out the manifest's inputs: `Manifest.to_json`.
_EMPTY_INPUTS = b'\n  "inputs": [],\n'
_INPUT_JSON = b'%b    {\n      "key": %b,\n      "sha256": %b,\n      "size": %b\n    }'

# Everything a build folder may hold: what a rebuild writes, and the writer's own temporaries
# (`.<name>.tmp-<pid>`, left by a killed run). A rebuild refuses any other folder as its output
# rather than delete what it did not write.
_BUILD_FILE = re.compile(
    r"(?:manifest\.json|run-info\.json|quarantine\.json"
    r"|csv/(?:vertices|edges)/[A-Za-z_]+-[0-9]{5}\.csv(?:\.gz)?"
    r"|marker/Build-[0-9]{5}\.csv(?:\.gz)?"
    r"|state/(?:plans|pending|recent|[ve]/[A-Za-z_]+)\.jsonl\.gz)"
)


def is_build_file(path: str) -> bool:
    """True when `path` (relative to a build folder) is a file a rebuild writes."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith(".") and ".tmp-" in name:
        return True
    return _BUILD_FILE.fullmatch(path) is not None


class ManifestError(LineageError):
    """A manifest cannot be read (the message names the file and the problem)."""


@dataclass(frozen=True, slots=True, order=True)
class InputObject:
    """One raw-zone object the rebuild read (payload or sidecar)."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, order=True)
class OutputFile:
    """One file the rebuild wrote, relative to the build root."""

    path: str
    kind: str  # vertex | edge | report
    label: str
    rows: int
    size: int
    sha256: str


def _walk(node: Traversable, prefix: str) -> Iterable[tuple[str, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, name + "/")
        elif child.name.endswith((".py", ".json")):
            yield name, child


def code_fingerprint(packages: Iterable[str]) -> str:
    """SHA-256 over the source files (`.py`, `.json`) of the given packages, in name order.

    Identifies the code that produced a build without needing git (a Glue job has none).
    """
    digest = hashlib.sha256()
    for package in sorted(packages):
        module = importlib.import_module(package)
        roots: list[Traversable] = [Path(p) for p in module.__path__ if Path(p).is_dir()]
        if not roots:  # zipped packages (e.g. Glue --extra-py-files)
            roots = [resources.files(package)]
        for root in roots:
            for name, node in _walk(root, f"{package}/"):
                data = node.read_bytes()
                digest.update(f"{name}\0{len(data)}\0".encode())
                digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything that determines and describes one build, in deterministic order."""

    code_version: str
    parameters: Mapping[str, Param]
    inputs: tuple[InputObject, ...]
    outputs: tuple[OutputFile, ...]
    payloads: Mapping[str, int]
    quarantine_by_reason: Mapping[str, int]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per label, for vertices and for edges."""
        result: dict[str, dict[str, int]] = {"vertices": {}, "edges": {}}
        for out in self.outputs:
            if out.kind in ("vertex", "edge"):
                group = result["vertices" if out.kind == "vertex" else "edges"]
                group[out.label] = group.get(out.label, 0) + out.rows
        return {k: dict(sorted(v.items())) for k, v in result.items()}

    def to_json(self) -> bytes:
        """The bytes of `manifest.json` (sorted keys, two-space indent, trailing newline).

        orjson writes the document without its inputs; each input (half a million at 100k
        plans) is then written into their place, in orjson's layout, straight into one buffer:
        no dict per input, so the bytes themselves are the most this holds.
        """
        doc = {
            "format": MANIFEST_FORMAT,
            "code_version": self.code_version,
            "parameters": dict(sorted(self.parameters.items())),
            "counts": self.counts(),
            "payloads": dict(sorted(self.payloads.items())),
            "quarantine_by_reason": dict(sorted(self.quarantine_by_reason.items())),
            "inputs": [],
            "outputs": [
                {
                    "path": o.path,
                    "kind": o.kind,
                    "label": o.label,
                    "rows": o.rows,
                    "size": o.size,
                    "sha256": o.sha256,
                }
                for o in sorted(self.outputs)
            ],
        }
        text = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
        if not self.inputs:
            return text
        # A top-level key sits alone on its line at two spaces: no string value (newlines are
        # escaped) or deeper key can look like this.
        before, found, after = text.partition(_EMPTY_INPUTS)
        assert found, "orjson's layout of an empty list changed"
        buffer = io.BytesIO()
        buffer.write(before)
        buffer.write(b'\n  "inputs": [\n')
        dumps = orjson.dumps
        for n, i in enumerate(sorted(self.inputs)):
            buffer.write(
                _INPUT_JSON % (b",\n" if n else b"", dumps(i.key), dumps(i.sha256), dumps(i.size))
            )
        buffer.write(b"\n  ],\n")
        buffer.write(after)
        return buffer.getvalue()  # CPython hands over its buffer: no second copy

    @classmethod
    def from_json(cls, raw: bytes, source: str = MANIFEST_FILE) -> Manifest:
        """Read a manifest written by `to_json`."""
        try:
            doc = orjson.loads(raw)
            return cls(
                code_version=str(doc["code_version"]),
                parameters=dict(doc["parameters"]),
                inputs=tuple(InputObject(i["key"], i["size"], i["sha256"]) for i in doc["inputs"]),
                outputs=tuple(
                    OutputFile(o["path"], o["kind"], o["label"], o["rows"], o["size"], o["sha256"])
                    for o in doc["outputs"]
                ),
                payloads=dict(doc["payloads"]),
                quarantine_by_reason=dict(doc["quarantine_by_reason"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ManifestError(f"{source} is not a build manifest: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class ManifestSummary:
    """What a delta build needs of its parent's manifest, read without an object per input.

    A build of a large lake lists half a million inputs; a delta needs its parent's code and
    parameters and a few inputs to re-check, so it skips `Manifest.from_json`'s objects.
    """

    code_version: str
    parameters: Mapping[str, Param]
    sampled: tuple[InputObject, ...]  # the `sample` smallest keys among inputs with a checksum
    state: Mapping[str, OutputFile]  # path -> the output entry of each state file

    @classmethod
    def from_json(cls, raw: bytes, source: str, sample: int) -> ManifestSummary:
        """Read the summary of a manifest written by `Manifest.to_json`.

        `to_json` writes the inputs sorted by key, one level in, so the inputs are cut out of
        the bytes and only their first entries parsed (parsing all of them is most of the time
        of reading a large build's manifest); bytes laid out otherwise are parsed whole.
        """
        try:
            cut = _cut_inputs(raw, sample)
            if cut is not None:
                rest, firsts = cut
                doc = orjson.loads(rest)
                inputs: Iterable[Mapping[str, object]] = firsts
            else:
                doc = orjson.loads(raw)
                inputs = doc["inputs"]
            checked = heapq.nsmallest(
                sample, ((str(i["key"]), i) for i in inputs if i["sha256"]), key=_first
            )
            return cls(
                code_version=str(doc["code_version"]),
                parameters=dict(doc["parameters"]),
                sampled=tuple(
                    InputObject(k, int(str(i["size"])), str(i["sha256"])) for k, i in checked
                ),
                state={
                    str(o["path"]): OutputFile(
                        str(o["path"]),
                        str(o["kind"]),
                        str(o["label"]),
                        int(o["rows"]),
                        int(o["size"]),
                        str(o["sha256"]),
                    )
                    for o in doc["outputs"]
                    if o["kind"] == "state"
                },
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"{source} is not a build manifest: {exc!r}") from exc


_INPUTS_OPEN = b'\n  "inputs": ['
_INPUTS_CLOSE = b'\n  ],\n  "outputs": '
_ENTRY_CLOSE = b"\n    }"


def _cut_inputs(raw: bytes, sample: int) -> tuple[bytes, list[Mapping[str, object]]] | None:
    """The manifest without its inputs, and its first inputs until `sample` of them have a
    checksum (all of them when fewer do); None when `raw` is not laid out as `to_json` writes.

    A newline inside a JSON string is escaped, so these markers only match the layout itself."""
    start = raw.find(_INPUTS_OPEN)
    # The outputs follow the inputs: searched from the end, the hundred megabytes of inputs of
    # a large build are neither scanned nor copied.
    end = raw.rfind(_INPUTS_CLOSE)
    if start < 0 or end < start:
        return None
    first = start + len(_INPUTS_OPEN)
    wanted = max(1, sample) * 4
    while True:
        at = first - 1
        for _ in range(wanted):
            at = raw.find(_ENTRY_CLOSE, at + 1, end)
            if at < 0:
                break
        head = raw[first:end] if at < 0 else raw[first : at + len(_ENTRY_CLOSE)]
        firsts: list[Mapping[str, object]] = orjson.loads(b"[" + head + b"]")
        if at < 0 or sum(1 for i in firsts if i["sha256"]) >= sample:
            break
        wanted *= 2
    rest = raw[: start + len(_INPUTS_OPEN)] + b"]" + raw[end + len(b"\n  ]") :]
    return rest, firsts


def _first(pair: tuple[str, object]) -> str:
    return pair[0]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Wall-clock facts of one run, kept out of the manifest so the manifest is reproducible."""

    started_at: str
    finished_at: str
    duration_s: float
    spark_version: str
    master: str

    def to_json(self) -> bytes:
        """The bytes of `run-info.json`."""
        doc = {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round(self.duration_s, 3),
            "spark_version": self.spark_version,
            "master": self.master,
        }
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
