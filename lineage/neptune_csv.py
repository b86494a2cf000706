"""Neptune Gremlin bulk-load CSV: the header model and the value encoding every writer uses.

The format's one definition in the core. The graph rows (`lineage.graph_schema`) declare their
columns with `Column`; `lineage.graph_csv` turns rows into lines and files with `format_field`;
the strict reader that gives cells Neptune's meaning lives with the loader that uses it
(`loader.csv_reader`).

Format rules honoured (Amazon Neptune "Gremlin load data format"):
- system columns `~id`, `~label` (vertex files; `;` separates several labels) and `~id`, `~from`,
  `~to`, `~label` (edge files); a file without `~label` gets the label `vertex` / `edge`;
- property columns `name:Type`, `name:Type[]` (array), `name:Type(single)`, `name:Type(set)`,
  `name:Type(set)[]`; `(single)[]` is contradictory; edge properties are single-valued (no
  arrays, no `(set)`); type names are case-insensitive; a `:` inside a name is written `\\:`;
  a column without a type is a String;
- types Bool (Boolean), Byte, Short, Int, Long, Float, Double, String, Date (only the four
  documented forms `yyyy-MM-dd`, `yyyy-MM-ddTHH:mm`, `yyyy-MM-ddTHH:mm:ss`,
  `yyyy-MM-ddTHH:mm:ssZ`: no fraction, no offset);
- RFC 4180 quoting: fields holding `,` `"` CR or LF are quoted, quotes doubled; UTF-8;
- array elements are separated by `;`, a literal semicolon is `\\;`;
- an empty field means "no value"; a quoted empty field `""` is an empty String only when the
  load sets `parserConfiguration.allowEmptyStrings`, otherwise it is no value either.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from lineage.errors import LineageError
from lineage.limits import cut_text

__all__ = [
    "DATE_FORMS",
    "FLOAT32_MAX",
    "INT_RANGES",
    "LINE_END",
    "Cardinality",
    "Column",
    "CsvWriteError",
    "EdgeHeader",
    "Header",
    "PropertyType",
    "VertexHeader",
    "check_edge_column",
    "encode_array",
    "epoch_millis",
    "format_date",
    "format_field",
    "header_line",
    "parse_date",
    "quote",
]

LINE_END = "\n"
"""Every line the writer produces ends with this (Neptune accepts LF and CRLF)."""


class CsvWriteError(LineageError, ValueError):
    """A value cannot be written in the declared column type; names the column and the value."""


class PropertyType(Enum):
    """Neptune Gremlin CSV property types, with their canonical header spelling."""

    BOOL = "Bool"
    BYTE = "Byte"
    SHORT = "Short"
    INT = "Int"
    LONG = "Long"
    FLOAT = "Float"
    DOUBLE = "Double"
    STRING = "String"
    DATE = "Date"

    @classmethod
    def parse(cls, text: str) -> PropertyType:
        """The type named `text` (case-insensitive; `Boolean` is `Bool`); ValueError if unknown."""
        found = _TYPE_NAMES.get(text.lower())
        if found is None:
            raise ValueError(f"unknown type {text!r}")
        return found


_TYPE_NAMES: dict[str, PropertyType] = {t.value.lower(): t for t in PropertyType}
_TYPE_NAMES["boolean"] = PropertyType.BOOL

INT_RANGES: dict[PropertyType, tuple[int, int]] = {
    PropertyType.BYTE: (-(2**7), 2**7 - 1),
    PropertyType.SHORT: (-(2**15), 2**15 - 1),
    PropertyType.INT: (-(2**31), 2**31 - 1),
    PropertyType.LONG: (-(2**63), 2**63 - 1),
}


class Cardinality(Enum):
    """Vertex property cardinality as a header can state it."""

    SINGLE = "single"
    SET = "set"


_FORBIDDEN_IN_NAME = re.compile(r"[\s,]")


@dataclass(frozen=True, slots=True)
class Column:
    """One property column: name, type, stated cardinality (None: not stated) and array flag."""

    name: str
    type: PropertyType = PropertyType.STRING
    cardinality: Cardinality | None = None
    is_array: bool = False

    def __post_init__(self) -> None:
        if not self.name or self.name.startswith("~"):
            raise ValueError(f"invalid property name {self.name!r}")
        if _FORBIDDEN_IN_NAME.search(self.name):
            raise ValueError(
                f"property name {self.name!r} holds a space, comma, CR or LF, "
                "which Neptune forbids in headers"
            )
        if self.is_array and self.cardinality is Cardinality.SINGLE:
            raise ValueError(f"column {self.name!r}: single cardinality contradicts an array")

    @property
    def is_single(self) -> bool:
        """True when the header states `(single)`."""
        return self.cardinality is Cardinality.SINGLE

    def header(self) -> str:
        """The header cell, e.g. `started_at:Date(single)` or `tags:String[]`."""
        text = self.name.replace(":", "\\:") + ":" + self.type.value
        if self.cardinality is not None:
            text += f"({self.cardinality.value})"
        if self.is_array:
            text += "[]"
        return text


@dataclass(frozen=True, slots=True)
class VertexHeader:
    """Columns of a vertex file: `~id`, `~label`, then `columns` in order."""

    columns: tuple[Column, ...] = ()

    def __post_init__(self) -> None:
        _check_unique(self.columns)

    def cells(self) -> list[str]:
        """The header cells in file order."""
        return ["~id", "~label", *(c.header() for c in self.columns)]


@dataclass(frozen=True, slots=True)
class EdgeHeader:
    """Columns of an edge file: `~id`, `~from`, `~to`, `~label`, then `columns` in order."""

    columns: tuple[Column, ...] = ()

    def __post_init__(self) -> None:
        _check_unique(self.columns)
        for column in self.columns:
            check_edge_column(column)

    def cells(self) -> list[str]:
        """The header cells in file order."""
        return ["~id", "~from", "~to", "~label", *(c.header() for c in self.columns)]


Header = VertexHeader | EdgeHeader


def _check_unique(columns: Sequence[Column]) -> None:
    seen: set[str] = set()
    for column in columns:
        if column.name in seen:
            raise ValueError(f"property column {column.name!r} appears twice")
        seen.add(column.name)


def check_edge_column(column: Column) -> None:
    """ValueError when `column` is not allowed on an edge (arrays and `(set)` are not)."""
    if column.is_array:
        raise ValueError(f"edge property {column.name!r}: edge properties cannot be arrays")
    if column.cardinality is Cardinality.SET:
        raise ValueError(f"edge property {column.name!r}: edge properties are always single")


FLOAT32_MAX = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
# The four forms the Gremlin load format documents for Date: yyyy-MM-dd, yyyy-MM-ddTHH:mm,
# yyyy-MM-ddTHH:mm:ss and yyyy-MM-ddTHH:mm:ssZ. No fraction and no numeric offset: Neptune does
# not promise to read them, so the strict reader refuses them like a conversion error.
_DATE_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(Z)?)?)?")
DATE_FORMS = ("yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ")
"""The Date cell forms Neptune's Gremlin load format documents (the only ones we read or write)."""


def parse_date(text: str) -> dt.datetime:
    """A UTC-aware datetime from one of `DATE_FORMS`; ValueError naming the forms otherwise.

    No zone means UTC, as `Z` does.
    """
    match = _DATE_TEXT.fullmatch(text)
    if match is None:
        raise ValueError(
            f"not a documented Neptune Date form ({', '.join(DATE_FORMS)}); "
            "keep milliseconds in a Long column"
        )
    year, month, day, hour, minute, second, _ = match.groups()
    try:
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=dt.UTC,
        )
    except ValueError as exc:
        raise ValueError(f"not a valid date ({exc})") from exc


# ---------------------------------------------------------------------------------------------
# Writing values
# ---------------------------------------------------------------------------------------------

_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def quote(text: str) -> str:
    """RFC 4180 field text: quoted (quotes doubled) when it holds `,` `"` CR or LF, or is empty.

    An empty `text` becomes `""`, an empty string value; write `""` only through `format_field`
    with a value of `""`, and an empty field (no value) for None.
    """
    if not text:
        return '""'
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_date(value: dt.datetime | dt.date) -> str:
    """A Date cell in one of Neptune's documented forms: `yyyy-MM-ddTHH:mm:ssZ` or `yyyy-MM-dd`.

    Aware datetimes are converted to UTC; naive ones are refused (their zone is unknown);
    plain dates are written `yyyy-MM-dd`. Sub-second digits are dropped: the Gremlin load
    format documents no fraction, so a cell with one may be refused by a real Neptune load.
    Keep finer precision in a Long column of epoch milliseconds (see `epoch_millis`).
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise CsvWriteError(f"naive datetime {value.isoformat()!r}: give it a time zone")
        u = value.astimezone(dt.UTC)
        # Not strftime: %Y does not pad years before 1000 to four digits on every platform.
        return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def epoch_millis(value: dt.datetime) -> int:
    """Milliseconds since the Unix epoch of an aware datetime (finer digits are cut)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise CsvWriteError(f"naive datetime {value.isoformat()!r}: give it a time zone")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _format_scalar(column: Column, value: object) -> str:
    """Field text of one scalar (before array joining and quoting)."""
    kind = column.type
    if kind is PropertyType.STRING:
        if not isinstance(value, str):
            raise CsvWriteError(f"column {column.name!r} (String): not a str: {value!r}")
        # Valid but too big for one graph property: cut, with a marker, never refused.
        return cut_text(value)
    if kind is PropertyType.BOOL:
        if not isinstance(value, bool):
            raise CsvWriteError(f"column {column.name!r} (Bool): not a bool: {value!r}")
        return "true" if value else "false"
    if kind in INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise CsvWriteError(f"column {column.name!r} ({kind.value}): not an int: {value!r}")
        low, high = INT_RANGES[kind]
        if not low <= value <= high:
            raise CsvWriteError(
                f"column {column.name!r} ({kind.value}): {value} is outside {low}..{high}"
            )
        return str(value)
    if kind in (PropertyType.FLOAT, PropertyType.DOUBLE):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise CsvWriteError(f"column {column.name!r} ({kind.value}): not a number: {value!r}")
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        if kind is PropertyType.FLOAT and abs(number) > FLOAT32_MAX:
            raise CsvWriteError(f"column {column.name!r} (Float): {value!r} overflows 32 bits")
        return repr(number)
    # Date
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, str):
        try:
            return format_date(parse_date(value))
        except ValueError as exc:
            raise CsvWriteError(f"column {column.name!r} (Date): {exc}") from exc
    raise CsvWriteError(f"column {column.name!r} (Date): not a date: {value!r}")


def encode_array(texts: Iterable[str]) -> str:
    """Join array element texts with `;`, escaping literal semicolons as `\\;`.

    Refuses elements that are empty (the reader drops empty elements) or end with a backslash
    (the format has no escape for a backslash before a separator).
    """
    parts = []
    for text in texts:
        if not text:
            raise CsvWriteError("an array cannot hold an empty string (Neptune drops it)")
        if text.endswith("\\"):
            raise CsvWriteError(f"array element {text!r} ends with a backslash, ambiguous")
        parts.append(text.replace(";", "\\;"))
    return ";".join(parts)


def format_field(column: Column, value: object) -> str:
    """The CSV field for `value` in `column`, quoted as needed.

    None (and an empty array) is an empty field: no value. `""` in a String column is written
    `""`, which Neptune loads only with `allowEmptyStrings`. Array columns take a list, tuple,
    set or frozenset (sets are sorted, so output is deterministic).
    """
    if value is None:
        return ""
    if column.is_array:
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise CsvWriteError(f"column {column.name!r} is an array: give a list, not {value!r}")
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        if not items:
            return ""
        joined = encode_array(_format_scalar(column, item) for item in items)
        return quote(joined)
    return quote(_format_scalar(column, value))


def header_line(header: Header) -> str:
    """The header line of a file with this layout, without `LINE_END`."""
    return ",".join(header.cells())
