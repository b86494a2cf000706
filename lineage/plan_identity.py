"""A plan's content key: what stays the same when a job reruns unchanged.

The agent's plan id is a UUIDv5 of the plan's content, and some of that content changes on every
run although the job did not: a temporary view's description embeds its creation time
(`Created Time: Wed Dec 02 00:29:39 UTC 2026`, `Last Access: ...`), and some parameters are Java
objects' `toString` with an identity hash (`org.apache.iceberg.spark.PathIdentifier@37dd4299`,
`CaseInsensitiveStringMap@1f`). So such a plan gets a new id every run. The content key is a
UUIDv5 of the parsed plan without its id, with those times and hashes blanked: reruns of one job
share it, different plans (another column, another path, another statement) do not. The graph
keeps the agent's id as the `Plan` id and the raw payload as it is; `Plan.content_key` groups
the plans that are one logical plan (docs/graph-model.md, "Plan identity").
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Mapping
from enum import Enum

from lineage import spline as sm
from lineage.dataset_identity import DatasetIdentityError, normalize_uri
from lineage.graph_schema import WriteMode

__all__ = ["CONTENT_KEY_NAMESPACE", "plan_content_key", "stable_text", "statement_key"]

# Fixed namespace of content keys (a UUIDv5 of the project's name): keys never change meaning.
CONTENT_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:spark-lineage:plan-content")
_TIMES = re.compile(r"^(Created Time|Last Access):[^\n]*$", re.MULTILINE)
# `package.Class@1a2b3c` (Java's default toString): the hash is the object's identity, per run.
# Anchored at the `@` with a one-character look-behind, so the scan is linear: a pattern that
# first matched the dotted class name backtracked quadratically over long identifier-like text.
_OBJECT_HASH = re.compile(r"(?<=[\w$])@[0-9a-fA-F]{1,16}\b")


def stable_text(text: str) -> str:
    """`text` with run-specific creation times and object identity hashes blanked."""
    # Substring tests first: most strings hold neither, and a scan by `in` is far cheaper than a
    # regex substitution (this runs on every string of every plan). Same result either way.
    if "Created Time:" in text or "Last Access:" in text:
        text = _TIMES.sub(r"\1:", text)
    if "@" in text:
        text = _OBJECT_HASH.sub("@", text)
    return text


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _FIELDS[cls] = tuple(f.name for f in fields if not f.name.startswith("_"))
    return names


# How `_canonical` treats a value, decided once per type (every test below depends on the type
# alone): a plan holds ~1,000 values, and the chain of isinstance tests per value was a fifth of
# the plan pass's Python time.
_STR, _ENUM, _DATACLASS, _MAPPING, _SEQUENCE, _AS_IS = range(6)
_KINDS: dict[type, int] = {}


def _kind(cls: type) -> int:
    if issubclass(cls, str):
        return _STR
    if issubclass(cls, Enum):
        return _ENUM
    if dataclasses.is_dataclass(cls) and not issubclass(cls, type):
        return _DATACLASS
    if issubclass(cls, Mapping):
        return _MAPPING
    if issubclass(cls, list | tuple):
        return _SEQUENCE
    return _AS_IS


def _canonical(value: object) -> object:
    cls = type(value)
    kind = _KINDS.get(cls)
    if kind is None:
        kind = _KINDS[cls] = _kind(cls)
    if kind == _AS_IS:
        return value
    if kind == _STR:
        return stable_text(value)  # type: ignore[arg-type]
    if kind == _DATACLASS:
        return {name: _canonical(getattr(value, name)) for name in _field_names(cls)}
    if kind == _SEQUENCE:
        return [_canonical(v) for v in value]  # type: ignore[attr-defined]
    if kind == _MAPPING:
        return {stable_text(str(k)): _canonical(v) for k, v in value.items()}  # type: ignore[attr-defined]
    return _canonical(value.value)  # type: ignore[attr-defined]


def plan_content_key(plan: sm.ExecutionPlan) -> str:
    """The content key of a parsed plan (a UUID string): equal for reruns of one logical plan."""
    content = _canonical(plan)
    assert isinstance(content, dict)  # a dataclass always gives a mapping
    content.pop("id", None)
    # The stdlib encoder: parsed plans may hold integers beyond orjson's 64 bits.
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return str(uuid.uuid5(CONTENT_KEY_NAMESPACE, text))


def statement_key(plan: sm.ExecutionPlan, mode: WriteMode) -> str:
    """A UUID string equal for every lineage of one query into one target, whatever the command.

    A CTAS or `saveAsTable` arrives as two lineages of one statement (Iceberg: `AppendData` and
    `CreateTableAsSelect`; V1: `InsertIntoHadoopFsRelationCommand` and
    `CreateDataSourceTableAsSelectCommand`) that differ only in the write operation's name,
    parameters and append flag: both get this key, and so do the reruns of the statement. The
    key covers the application name, the target's location, the reads and the other operations;
    for a MERGE, UPDATE or DELETE (`mode`) also the write itself, which holds the statement.
    """
    try:
        target = normalize_uri(plan.operations.write.output_source)
    except DatasetIdentityError:
        target = plan.operations.write.output_source
    content = {
        "app": _canonical(plan.app_name),
        "target": stable_text(target),
        "reads": _canonical(plan.operations.reads),
        "other": _canonical(plan.operations.other),
    }
    if mode in (WriteMode.MERGE, WriteMode.UPDATE, WriteMode.DELETE):
        write = plan.operations.write
        content["write"] = _canonical({"name": write.name, "params": write.params})
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return str(uuid.uuid5(CONTENT_KEY_NAMESPACE, "statement:" + text))
