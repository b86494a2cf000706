"""Dataset identity: one normalized URI per dataset, its catalog table, and its data-lake layer.

Spark and Hadoop spell the same location many ways (`s3a://b/t/`, `s3n://b/t`, `s3://b//t`,
`file:/tmp/t`, `file:///tmp/t`, `/tmp/t`, `%20` or a space). `normalize_uri` maps them all to
one canonical string, and is idempotent. Layers come from rules in a JSON file (the default ships
as `lineage/resources/layer_rules.json`), never from guesses in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from lineage.graph_schema import GraphModelError

__all__ = [
    "DEFAULT_CATALOG",
    "DEFAULT_DATABASE",
    "DEFAULT_LAYER_RULES",
    "CatalogName",
    "DatasetIdentityError",
    "LayerRules",
    "PrefixRule",
    "SegmentRule",
    "catalog_name",
    "dataset_name",
    "normalize_uri",
    "parse_table_identifier",
    "sibling_catalog",
]

# Object-store schemes that name the same S3 object (Hadoop connectors, EMRFS, Glue).
_S3_ALIASES = {"s3a": "s3", "s3n": "s3", "s3": "s3"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.DOTALL)
# Keep these percent-encoded: decoding them would change the path structure or break idempotence.
_KEEP_ENCODED = {"%2F": "%2F", "%25": "%25"}
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})|%")


class DatasetIdentityError(GraphModelError):
    """A dataset location or layer-rules file cannot be understood (the message names it)."""


def _canonical_percent(text: str) -> str:
    """Decode percent-escapes except `%2F` and `%25`; escape a bare `%` so the result is stable."""
    out: list[str] = []
    pos = 0
    for match in _PERCENT.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        if match.group(1) is None:
            out.append("%25")
            continue
        escape = "%" + match.group(1).upper()
        out.append(_KEEP_ENCODED.get(escape, escape))
    out.append(text[pos:])
    joined = "".join(out)
    # Decode in one pass over a string whose only remaining `%` are the kept escapes.
    parts = re.split(r"(%2F|%25)", joined)
    return "".join(p if p in _KEEP_ENCODED else unquote(p, errors="strict") for p in parts)


def _clean_path(path: str) -> str:
    """Collapse repeated slashes, drop `.` segments and a trailing slash (root stays `/`)."""
    absolute = path.startswith("/")
    segments = [s for s in path.split("/") if s not in ("", ".")]
    cleaned = "/".join(segments)
    return ("/" + cleaned) if absolute else cleaned


def normalize_uri(uri: str) -> str:
    """Canonical dataset URI: `s3a`/`s3n` -> `s3`, one `file:///` form, no trailing slash.

    Scheme and host are lower-cased; the path keeps its case. Raises DatasetIdentityError for an
    empty or relative location (a dataset must be absolute to be identified).
    """
    # No stripping: a space is a legal path character, and `%20` decodes to one.
    text = uri
    if not text.strip():
        raise DatasetIdentityError("empty dataset location")
    try:
        text = _canonical_percent(text)
    except UnicodeDecodeError as exc:
        raise DatasetIdentityError(f"invalid percent-encoding in dataset location {uri!r}") from exc
    match = _SCHEME.match(text)
    if match is None or text.startswith("/"):
        if not text.startswith("/"):
            raise DatasetIdentityError(f"relative dataset location {uri!r}")
        return "file://" + (_clean_path(text) or "/")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme == "file":
        # file:/p, file:///p and file://localhost/p are one location.
        if rest.startswith("//"):
            host, _, path = rest[2:].partition("/")
            if host not in ("", "localhost"):
                return f"file://{host.lower()}{_clean_path('/' + path)}"
            rest = "/" + path
        return "file://" + (_clean_path(rest) or "/")
    scheme = _S3_ALIASES.get(scheme, scheme)
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        cleaned = _clean_path("/" + path)
        return f"{scheme}://{authority.lower()}{'' if cleaned == '/' else cleaned}"
    # Opaque forms such as jdbc:postgresql://host/db keep their body; only the scheme is folded.
    return f"{scheme}:{rest.rstrip('/')}"


# Spark's built-in session catalog (the Hive metastore, or the Glue Data Catalog on Glue): V1
# commands can only address it, and a name without a catalog part resolves there by default.
DEFAULT_CATALOG = "spark_catalog"
# Spark's current database when a job sets none.
DEFAULT_DATABASE = "default"


@dataclass(frozen=True, slots=True)
class CatalogName:
    """A catalog table in its one normalized spelling `catalog.namespace.table` (lower case).

    `explicit` says the agent named the catalog; otherwise it is DEFAULT_CATALOG by Spark's
    default rule, which is right for V1 commands and may be wrong for a V2 name the agent sent
    without its catalog (Iceberg CTAS): an explicit name beats an implied one where both occur.
    """

    name: str
    explicit: bool

    @property
    def display(self) -> str:
        """The name without DEFAULT_CATALOG: `sales.customers`, but `lake.db.customers`."""
        prefix = DEFAULT_CATALOG + "."
        return self.name.removeprefix(prefix)


def _identifier_parts(text: str) -> list[str] | None:
    """Split `a.b.c` on dots outside backticks (a doubled backtick is a literal one)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "`":
            if quoted and text[pos + 1 : pos + 2] == "`":
                current.append("`")
                pos += 2
                continue
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        pos += 1
    if quoted:
        return None
    parts.append("".join(current))
    return parts


def _clean_part(part: str) -> str | None:
    cleaned = part.strip()
    if len(cleaned) >= 2 and cleaned[0] == cleaned[-1] == "`":
        cleaned = cleaned[1:-1].replace("``", "`")
    cleaned = cleaned.lower()
    # A path (`delta.`/lake/t``, an Iceberg path read) or an object's toString
    # (`PathIdentifier@1a2b`) names a location, not a catalog table; a backtick left inside
    # would make the joined name ambiguous (Glue and Hive allow none).
    if not cleaned or any(c in cleaned for c in "/@`"):
        return None
    return cleaned


def catalog_name(
    table: str | None, database: str | None = None, catalog: str | None = None
) -> CatalogName | None:
    """The normalized catalog name of a table, or None when `table` names none.

    A missing catalog is DEFAULT_CATALOG (implied), a missing database DEFAULT_DATABASE.
    Parts are lower-cased and unquoted, as Glue and Hive store them.
    """
    if table is None:
        return None
    parts = [_clean_part(p) for p in (catalog, database, table) if p is not None]
    if None in parts or not parts:
        return None
    name_parts = [p for p in parts if p is not None]
    explicit = catalog is not None
    if catalog is None:
        name_parts.insert(0, DEFAULT_CATALOG)
    if database is None:
        name_parts.insert(1, DEFAULT_DATABASE)
    name = ".".join(name_parts)
    # A quoted part may hold dots (`my.db`: a nested namespace), but an empty piece between
    # them (`.`) or one with blanks at its ends (`a .b`) would make a name that reads back as
    # none or as another name.
    if any(not piece or piece != piece.strip() for piece in name.split(".")):
        return None
    return CatalogName(name, explicit)


def parse_table_identifier(identifier: str) -> CatalogName | None:
    """A dotted identifier as the agent sends it for V2 writes, normalized.

    `t` -> `spark_catalog.default.t` and `db.t` -> `spark_catalog.db.t` (catalog implied);
    with three or more parts the first is the catalog and the middle ones the namespace
    (`lake.db.t`, Iceberg's nested `lake.a.b.t`). Unbalanced backticks, empty parts (also
    inside quotes: `.`), parts blank at an end inside quotes, or a path give None: no catalog
    name, never an error.
    """
    parts = _identifier_parts(identifier)
    if not parts:
        return None
    if len(parts) == 1:
        return catalog_name(parts[0])
    if len(parts) == 2:
        return catalog_name(parts[1], parts[0])
    return catalog_name(parts[-1], ".".join(parts[1:-1]), parts[0])


def sibling_catalog(
    table: CatalogName, uri: str, named: Iterable[tuple[CatalogName, str]]
) -> CatalogName:
    """`table` with the catalog of a sibling table the same plan names explicitly, if any.

    Iceberg CTAS names its new table without the catalog (`db.t`, so `spark_catalog` is
    implied). When the plan also names, with an explicit catalog, a table of the same namespace
    whose location is in the same folder as this one (a catalog's warehouse keeps a namespace's
    tables side by side), the new table is in that catalog. Candidates are taken in sorted
    order, so the answer is deterministic; an explicit name is returned unchanged.
    """
    if table.explicit:
        return table
    _catalog, _, rest = table.name.partition(".")
    namespace, _, _name = rest.rpartition(".")
    parent = uri.rsplit("/", 1)[0]
    for other, other_uri in sorted(named, key=lambda pair: (pair[0].name, pair[1])):
        other_catalog, _, other_rest = other.name.partition(".")
        other_namespace = other_rest.rpartition(".")[0]
        if (
            other.explicit
            and other_catalog != DEFAULT_CATALOG
            and other_namespace == namespace
            and other_uri.rsplit("/", 1)[0] == parent
        ):
            return CatalogName(f"{other_catalog}.{rest}", True)
    return table


def dataset_name(normalized_uri: str, catalog_table: CatalogName | None = None) -> str:
    """Short display name: the catalog table when known, else the last path segment."""
    if catalog_table is not None:
        return catalog_table.display
    body = normalized_uri.split("://", 1)[-1]
    last = body.rstrip("/").rsplit("/", 1)[-1]
    return last or normalized_uri


@dataclass(frozen=True, slots=True)
class PrefixRule:
    """Datasets whose normalized URI starts with `prefix` are in `layer`."""

    prefix: str
    layer: str


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """Datasets with a path segment equal to `segment` are in `layer`."""

    segment: str
    layer: str


@dataclass(frozen=True, slots=True)
class LayerRules:
    """Layer assignment: the longest matching prefix rule, else the left-most matching segment."""

    prefix_rules: tuple[PrefixRule, ...]
    segment_rules: tuple[SegmentRule, ...]
    default_layer: str = "unknown"

    def layer_of(self, normalized_uri: str) -> str:
        """The layer of one dataset."""
        best: PrefixRule | None = None
        for rule in self.prefix_rules:
            if normalized_uri.startswith(rule.prefix) and (
                best is None or len(rule.prefix) > len(best.prefix)
            ):
                best = rule
        if best is not None:
            return best.layer
        by_segment = {r.segment: r.layer for r in self.segment_rules}
        body = normalized_uri.split("://", 1)[-1]
        # The first segment after `scheme://` is the bucket/host: never a layer by segment.
        for segment in body.split("/")[1:]:
            layer = by_segment.get(segment.lower())
            if layer is not None:
                return layer
        return self.default_layer

    @classmethod
    def from_mapping(cls, data: Any, source: str) -> LayerRules:
        """Build from the parsed JSON document; `source` names it in error messages."""
        try:
            prefix_rules = tuple(
                PrefixRule(
                    normalize_uri(str(r["prefix"])) + _slash(str(r["prefix"])), str(r["layer"])
                )
                for r in data.get("prefix_rules", [])
            )
            segment_rules = tuple(
                SegmentRule(str(r["segment"]).lower(), str(r["layer"]))
                for r in data.get("segment_rules", [])
            )
            default_layer = str(data.get("default_layer", "unknown"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise DatasetIdentityError(f"malformed layer rules in {source}: {exc!r}") from exc
        return cls(prefix_rules, segment_rules, default_layer)

    @classmethod
    def from_json_bytes(cls, raw: bytes, source: str) -> LayerRules:
        """Parse a layer-rules JSON document."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DatasetIdentityError(f"layer rules {source} are not JSON: {exc}") from exc
        return cls.from_mapping(data, source)

    @classmethod
    def from_file(cls, path: Path) -> LayerRules:
        """Read a layer-rules JSON file."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DatasetIdentityError(f"cannot read layer rules {path}: {exc}") from exc
        return cls.from_json_bytes(raw, str(path))

    @classmethod
    def default(cls) -> LayerRules:
        """The rules shipped with the package."""
        raw = resources.files("lineage.resources").joinpath("layer_rules.json").read_bytes()
        return cls.from_json_bytes(raw, "lineage/resources/layer_rules.json")


def _slash(prefix: str) -> str:
    """Keep a rule's trailing slash so `s3://b/raw/` does not match `s3://b/rawdata`."""
    return "/" if prefix.endswith("/") else ""


DEFAULT_LAYER_RULES = "lineage/resources/layer_rules.json"
