"""Dataset properties that do not depend on which plans a build includes.

Many plans name one dataset, and they disagree: a Delta table read by path reports `parquet`, a
write names the table the read does not, Iceberg CTAS names it without its catalog. Each plan
makes a `DatasetClaims` about every dataset it touches; claims merge by a fixed precedence per
property (docs/graph-model.md, "Dataset properties"):

- catalog table: an explicit catalog beats an implied one, then a write's beats a read's, then
  the smallest name;
- format: a write's beats a read's, then a table format (delta, iceberg, hudi) beats a file
  format, then the smallest value.

Any claim beats no claim. Each property keeps the claim that ranks first, so `merge` is
associative, commutative and idempotent: the merged properties are a function of the *set* of
claims, the same whatever the order, the grouping into tasks, or repeats. A build that sees a
subset of the plans gets the best claim of that subset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

import orjson

from lineage.dataset_identity import CatalogName, DatasetIdentityError, dataset_name
from lineage.graph_schema import DatasetVertex

__all__ = [
    "TABLE_FORMATS",
    "DatasetClaims",
    "FormatClaim",
    "Role",
    "TableClaim",
    "merge_claims",
]

# Table formats layered over files: a path read of one reports the file format underneath.
TABLE_FORMATS = frozenset({"delta", "iceberg", "hudi"})


class Role(IntEnum):
    """How a plan touches a dataset; the lower value ranks first."""

    WRITE = 0
    READ = 1


@dataclass(frozen=True, slots=True, order=True)
class TableClaim:
    """One plan's catalog name for a dataset. Field order is the precedence (smaller first)."""

    implied: bool
    role: Role
    name: str

    @classmethod
    def of(cls, table: CatalogName, role: Role) -> TableClaim:
        """The claim a plan makes by naming `table` in a write or a read."""
        return cls(not table.explicit, role, table.name)

    @property
    def catalog_name(self) -> CatalogName:
        """The claimed name."""
        return CatalogName(self.name, not self.implied)


@dataclass(frozen=True, slots=True, order=True)
class FormatClaim:
    """One plan's storage format for a dataset. Field order is the precedence (smaller first)."""

    role: Role
    file_format: bool
    value: str

    @classmethod
    def of(cls, value: str, role: Role) -> FormatClaim:
        """The claim a plan makes by reporting format `value` (lower-cased) for a dataset."""
        return cls(role, value not in TABLE_FORMATS, value)


_Claim = TypeVar("_Claim", TableClaim, FormatClaim)


def _first(a: _Claim | None, b: _Claim | None) -> _Claim | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(frozen=True, slots=True)
class DatasetClaims:
    """What the plans seen so far say about one dataset (its uri and layer are its identity)."""

    uri: str
    layer: str
    table: TableClaim | None = None
    format: FormatClaim | None = None

    def merge(self, other: DatasetClaims) -> DatasetClaims:
        """The claims of both, each property taking the claim that ranks first."""
        if other.uri != self.uri:
            raise DatasetIdentityError(f"cannot merge claims on {self.uri!r} and {other.uri!r}")
        return DatasetClaims(
            self.uri,
            # The layer is a function of the uri within one build; min() keeps merge symmetric.
            min(self.layer, other.layer),
            _first(self.table, other.table),
            _first(self.format, other.format),
        )

    def vertex(self) -> DatasetVertex:
        """The `Dataset` row these claims give."""
        table = None if self.table is None else self.table.catalog_name
        return DatasetVertex(
            self.uri,
            dataset_name(self.uri, table),
            None if self.format is None else self.format.value,
            self.layer,
            None if table is None else table.name,
        )

    def to_json(self) -> str:
        """Compact, deterministic encoding (the normalize job shuffles claims as text)."""
        table = None if self.table is None else [self.table.implied, int(self.table.role)]
        fmt = None if self.format is None else int(self.format.role)
        doc = [
            self.uri,
            self.layer,
            None if self.table is None else self.table.name,
            table,
            None if self.format is None else self.format.value,
            fmt,
        ]
        return orjson.dumps(doc).decode()

    @classmethod
    def from_json(cls, text: str) -> DatasetClaims:
        """Decode `to_json` output (only ever fed what this module wrote)."""
        uri, layer, table_name, table, fmt_value, fmt_role = orjson.loads(text)
        return cls(
            uri,
            layer,
            None if table is None else TableClaim(table[0], Role(table[1]), table_name),
            None if fmt_role is None else FormatClaim.of(fmt_value, Role(fmt_role)),
        )


def merge_claims(claims: Iterable[DatasetClaims]) -> DatasetClaims:
    """Merge the claims on one dataset (at least one)."""
    merged: DatasetClaims | None = None
    for claim in claims:
        merged = claim if merged is None else merged.merge(claim)
    if merged is None:
        raise DatasetIdentityError("no claims to merge")
    return merged
