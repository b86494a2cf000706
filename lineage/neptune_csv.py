"""Neptune Gremlin bulk-load CSV: the header model, a writer, and a strict reader.

The one implementation of the format, shared by the normalize job (writes) and the local
loader (reads into Gremlin Server with Neptune's meaning).

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

The reader is strict: anything Neptune would reject, or would load with a different meaning
than a careless writer intended, raises `NeptuneCsvError` naming file, line, column and value.

Stable public names (other packages depend on them):
    PropertyType, Cardinality, Column, VertexHeader, EdgeHeader, Header,
    header_line, format_field, format_row, vertex_line, edge_line, quote,
    format_date, parse_date, epoch_millis, DATE_FORMS, encode_array, LINE_END,
    SPARK_CSV_WRITE_OPTIONS,
    FileLayout, PropertyValues, VertexRecord, EdgeRecord, Record, Value, OnError, ErrorKind,
    parse_header, read_layout, iter_records, iter_text_records, open_text, value_parser,
    NeptuneCsvError, CsvWriteError
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import math
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, Literal

from lineage.errors import LineageError
from lineage.limits import cut_text

__all__ = [
    "DATE_FORMS",
    "LINE_END",
    "SPARK_CSV_WRITE_OPTIONS",
    "Cardinality",
    "Column",
    "CsvWriteError",
    "EdgeHeader",
    "EdgeRecord",
    "ErrorKind",
    "FileLayout",
    "Header",
    "NeptuneCsvError",
    "OnError",
    "PropertyType",
    "PropertyValues",
    "Record",
    "Value",
    "VertexHeader",
    "VertexRecord",
    "edge_line",
    "encode_array",
    "epoch_millis",
    "format_date",
    "format_field",
    "format_row",
    "header_line",
    "iter_records",
    "iter_text_records",
    "open_text",
    "parse_date",
    "parse_header",
    "quote",
    "read_layout",
    "value_parser",
    "vertex_line",
]

LINE_END = "\n"
"""Every line the writer produces ends with this (Neptune accepts LF and CRLF)."""

# Options that make Spark's DataFrame CSV writer produce this format from columns already
# encoded with `encode_array` / `format_date`: quotes are doubled (Spark's default escape is a
# backslash, which Neptune would load literally), nulls become empty fields (no value), empty
# strings become `""`. Spark also leaves `_SUCCESS` and `.crc` files: the loaders skip them.
SPARK_CSV_WRITE_OPTIONS: Mapping[str, str] = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "escapeQuotes": "true",
    "nullValue": "",
    "emptyValue": '""',
    "encoding": "UTF-8",
    "lineSep": "\n",
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}

Value = bool | int | float | str | dt.datetime
"""A typed property value as the reader yields it (Date values are UTC-aware datetimes)."""


ErrorKind = Literal["parsing", "datatype"]
"""Neptune's two error families for bad input: syntax (parsing) and values (datatype mismatch)."""


class NeptuneCsvError(LineageError):
    """A file breaks the Neptune Gremlin CSV format; names file, line, column and value.

    `kind` is "parsing" for syntax and structure, "datatype" for a value its column type refuses.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str,
        line: int,
        column: str | None = None,
        value: str | None = None,
        kind: ErrorKind = "parsing",
    ) -> None:
        self.reason = reason
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        where = f"{file}:{line}"
        if column is not None:
            where += f": column {column!r}"
        text = f"{where}: {reason}"
        if value is not None:
            text += f": {_clip(value)!r}"
        super().__init__(text)


class CsvWriteError(LineageError, ValueError):
    """A value cannot be written in the declared column type; names the column and the value."""


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


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

_INT_RANGES: dict[PropertyType, tuple[int, int]] = {
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
            _check_edge_column(column)

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


def _check_edge_column(column: Column) -> None:
    if column.is_array:
        raise ValueError(f"edge property {column.name!r}: edge properties cannot be arrays")
    if column.cardinality is Cardinality.SET:
        raise ValueError(f"edge property {column.name!r}: edge properties are always single")


# ---------------------------------------------------------------------------------------------
# Writer
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
    if kind in _INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise CsvWriteError(f"column {column.name!r} ({kind.value}): not an int: {value!r}")
        low, high = _INT_RANGES[kind]
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
        if kind is PropertyType.FLOAT and abs(number) > _FLOAT32_MAX:
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


def format_row(fields: Iterable[str]) -> str:
    """Join already formatted fields (see `format_field`) into one line, without `LINE_END`."""
    return ",".join(fields)


def header_line(header: Header) -> str:
    """The header line of a file with this layout, without `LINE_END`."""
    return ",".join(header.cells())


def _labels_field(labels: str | Sequence[str]) -> str:
    if isinstance(labels, str):
        labels = [labels]
    if not labels:
        raise CsvWriteError("a vertex needs at least one label")
    return quote(encode_array(labels))


def _property_fields(columns: Sequence[Column], properties: Mapping[str, object]) -> list[str]:
    unknown = set(properties) - {c.name for c in columns}
    if unknown:
        raise CsvWriteError(f"properties not in the header: {sorted(unknown)}")
    return [format_field(c, properties.get(c.name)) for c in columns]


def _require_id(kind: str, value: str) -> str:
    if not value:
        raise CsvWriteError(f"{kind} must not be empty")
    return quote(value)


def vertex_line(
    header: VertexHeader,
    vertex_id: str,
    labels: str | Sequence[str],
    properties: Mapping[str, object],
) -> str:
    """One vertex line (without `LINE_END`); `properties` maps column names to values."""
    return format_row(
        [
            _require_id("~id", vertex_id),
            _labels_field(labels),
            *_property_fields(header.columns, properties),
        ]
    )


def edge_line(
    header: EdgeHeader,
    edge_id: str,
    from_id: str,
    to_id: str,
    label: str,
    properties: Mapping[str, object],
) -> str:
    """One edge line (without `LINE_END`); `properties` maps column names to values."""
    if not label:
        raise CsvWriteError("an edge needs a label")
    return format_row(
        [
            _require_id("~id", edge_id),
            _require_id("~from", from_id),
            _require_id("~to", to_id),
            quote(label),
            *_property_fields(header.columns, properties),
        ]
    )


# ---------------------------------------------------------------------------------------------
# Typed values
# ---------------------------------------------------------------------------------------------

_FLOAT32_MAX = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOATS = {
    "nan": math.nan,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-infinity": -math.inf,
    "inf": math.inf,
    "+inf": math.inf,
    "-inf": -math.inf,
}
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


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError("not a Bool (true or false)")


def _int_parser(kind: PropertyType) -> Callable[[str], int]:
    low, high = _INT_RANGES[kind]

    def parse(text: str) -> int:
        if _INT_TEXT.fullmatch(text) is None:
            raise ValueError(f"not an integer ({kind.value})")
        number = int(text)
        if not low <= number <= high:
            raise ValueError(f"outside the {kind.value} range {low}..{high}")
        return number

    return parse


def _float_parser(kind: PropertyType) -> Callable[[str], float]:
    def parse(text: str) -> float:
        special = _SPECIAL_FLOATS.get(text.lower())
        if special is not None:
            return special
        if _DECIMAL_TEXT.fullmatch(text) is None:
            raise ValueError(f"not a number ({kind.value})")
        number = float(text)
        if math.isinf(number):
            raise ValueError(f"outside the {kind.value} range")
        if kind is PropertyType.FLOAT:
            try:
                # Neptune stores a 32-bit float: keep exactly the value it would keep.
                number = float(struct.unpack(">f", struct.pack(">f", number))[0])
            except OverflowError as exc:
                raise ValueError("outside the Float (32-bit) range") from exc
        return number

    return parse


def _parse_string(text: str) -> str:
    return text


def _parse_date_value(text: str) -> dt.datetime:
    return parse_date(text)


def value_parser(kind: PropertyType) -> Callable[[str], Value]:
    """The strict text-to-value function for one type; it raises ValueError with a reason."""
    if kind is PropertyType.STRING:
        return _parse_string
    if kind is PropertyType.BOOL:
        return _parse_bool
    if kind in _INT_RANGES:
        return _int_parser(kind)
    if kind in (PropertyType.FLOAT, PropertyType.DOUBLE):
        return _float_parser(kind)
    return _parse_date_value


# ---------------------------------------------------------------------------------------------
# Reader
# ---------------------------------------------------------------------------------------------

_SYSTEM_COLUMNS = frozenset({"~id", "~label", "~from", "~to"})
_COLUMN_SPEC = re.compile(
    r"(?P<name>(?:[^:\\]|\\.)+?)"
    r"(?::(?P<type>[A-Za-z]+)(?:\((?P<card>[A-Za-z]+)\))?(?P<array>\[\])?)?"
)


@dataclass(frozen=True, slots=True)
class FileLayout:
    """What a file's header says: kind, where the system columns are, the property columns."""

    file: str
    kind: Literal["vertex", "edge"]
    width: int
    id_index: int
    label_index: int | None
    from_index: int | None
    to_index: int | None
    properties: tuple[tuple[int, Column], ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        """The property columns in file order."""
        return tuple(column for _, column in self.properties)


@dataclass(frozen=True, slots=True)
class PropertyValues:
    """The values one row gives one column (several for arrays), already typed."""

    column: Column
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class VertexRecord:
    """One vertex row: id, labels, property values; `line` is where the row starts (1-based)."""

    id: str
    labels: tuple[str, ...]
    properties: tuple[PropertyValues, ...]
    line: int
    file: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """One edge row: id, endpoints, label, property values; `line` is where the row starts."""

    id: str
    from_id: str
    to_id: str
    label: str
    properties: tuple[PropertyValues, ...]
    line: int
    file: str = field(default="", compare=False)


Record = VertexRecord | EdgeRecord


def _parse_column(cell: str, *, file: str, edge: bool) -> Column:
    """The Column a header cell declares; NeptuneCsvError on any syntax the format lacks."""
    match = _COLUMN_SPEC.fullmatch(cell)
    if match is None:
        raise NeptuneCsvError("malformed property column header", file=file, line=1, value=cell)
    name = re.sub(r"\\(.)", r"\1", match["name"])
    try:
        kind = PropertyType.parse(match["type"]) if match["type"] else PropertyType.STRING
    except ValueError as exc:
        raise NeptuneCsvError(
            f"{exc}; use Bool, Byte, Short, Int, Long, Float, Double, String or Date",
            file=file,
            line=1,
            value=cell,
        ) from exc
    cardinality: Cardinality | None = None
    if match["card"]:
        try:
            cardinality = Cardinality(match["card"].lower())
        except ValueError as exc:
            raise NeptuneCsvError(
                "unknown cardinality (single or set)", file=file, line=1, value=cell
            ) from exc
    try:
        column = Column(name, kind, cardinality, match["array"] is not None)
        if edge:
            _check_edge_column(column)
    except ValueError as exc:
        raise NeptuneCsvError(str(exc), file=file, line=1, value=cell) from exc
    return column


def parse_header(cells: Sequence[str], *, file: str = "<csv>") -> FileLayout:
    """The layout a header row declares; NeptuneCsvError naming the bad cell otherwise."""
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if not cell:
            raise NeptuneCsvError(f"empty header cell at position {index + 1}", file=file, line=1)
        if cell.startswith("~") and cell not in _SYSTEM_COLUMNS:
            raise NeptuneCsvError(
                "unknown system column (use ~id, ~label, ~from, ~to)", file=file, line=1, value=cell
            )
        if cell in seen:
            raise NeptuneCsvError("header cell appears twice", file=file, line=1, value=cell)
        seen[cell] = index
    if "~id" not in seen:
        raise NeptuneCsvError("header has no ~id column", file=file, line=1, value=",".join(cells))
    has_from, has_to = "~from" in seen, "~to" in seen
    if has_from != has_to:
        raise NeptuneCsvError(
            "an edge file needs both ~from and ~to", file=file, line=1, value=",".join(cells)
        )
    edge = has_from
    properties: list[tuple[int, Column]] = []
    names: set[str] = set()
    for index, cell in enumerate(cells):
        if cell in _SYSTEM_COLUMNS:
            continue
        column = _parse_column(cell, file=file, edge=edge)
        if column.name in names:
            raise NeptuneCsvError("property declared twice", file=file, line=1, value=cell)
        names.add(column.name)
        properties.append((index, column))
    return FileLayout(
        file=file,
        kind="edge" if edge else "vertex",
        width=len(cells),
        id_index=seen["~id"],
        label_index=seen.get("~label"),
        from_index=seen.get("~from"),
        to_index=seen.get("~to"),
        properties=tuple(properties),
    )


def open_text(path: Path) -> IO[str]:
    """Open a CSV file as UTF-8 text, decompressing `.gz` and `.bz2` by their names."""
    # The wrapper owns the binary stream and closes it; the caller closes the wrapper.
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    if suffix == ".bz2":
        return io.TextIOWrapper(bz2.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


class _NeedMoreLines(Exception):
    """A quoted field is still open at the end of the text: it continues on the next line."""


def _split_quoted(text: str, *, file: str, line: int) -> tuple[list[str], set[int]]:
    """Split one record holding quotes (RFC 4180); also return the indexes of `""` fields."""
    fields: list[str] = []
    empty_quoted: set[int] = set()
    pos, end = 0, len(text)
    while True:
        if pos < end and text[pos] == '"':
            parts: list[str] = []
            cursor = pos + 1
            while True:
                closing = text.find('"', cursor)
                if closing < 0:
                    raise _NeedMoreLines
                parts.append(text[cursor:closing])
                if closing + 1 < end and text[closing + 1] == '"':
                    parts.append('"')
                    cursor = closing + 2
                    continue
                pos = closing + 1
                break
            value = "".join(parts)
            if not value:
                empty_quoted.add(len(fields))
            fields.append(value)
            if pos == end:
                return fields, empty_quoted
            if text[pos] != ",":
                raise NeptuneCsvError(
                    "text after a closing quote (quotes inside a field must be doubled)",
                    file=file,
                    line=line,
                    value=text[max(0, pos - 20) : pos + 20],
                )
            pos += 1
        else:
            comma = text.find(",", pos)
            stop = end if comma < 0 else comma
            value = text[pos:stop]
            if '"' in value:
                raise NeptuneCsvError(
                    "quote inside an unquoted field (quote the field and double the quote)",
                    file=file,
                    line=line,
                    value=value,
                )
            fields.append(value)
            if comma < 0:
                return fields, empty_quoted
            pos = comma + 1


def _strip_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


RawRecord = tuple[int, list[str], set[int]]
"""(first line number, fields, indexes of the fields written `""`) of one CSV record."""

OnError = Callable[[NeptuneCsvError], None]
"""Called with each bad row when the caller keeps going (Neptune's failOnError=FALSE)."""


def _physical_records(
    lines: Iterable[str], file: str, on_error: OnError | None = None
) -> Iterator[RawRecord]:
    """The raw records of a CSV text; quoted fields may span lines."""

    def split(text: str, line: int) -> RawRecord | None:
        try:
            fields, empty_quoted = _split_quoted(text, file=file, line=line)
        except NeptuneCsvError as exc:
            if on_error is None:
                raise
            on_error(exc)
            return None
        return line, fields, empty_quoted

    number = 0
    pending: list[str] = []
    start = 0
    iterator = iter(lines)
    while True:
        try:
            raw = next(iterator)
        except StopIteration:
            break
        except UnicodeDecodeError as exc:
            # Undecodable bytes leave no reliable line boundary: the rest of the file is lost.
            raise NeptuneCsvError(f"not UTF-8 ({exc.reason})", file=file, line=number + 1) from exc
        number += 1
        if number == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]
        if not pending and '"' not in raw:
            yield number, _strip_newline(raw).split(","), set()
            continue
        if not pending:
            start = number
        pending.append(raw)
        try:
            record = split(_strip_newline("".join(pending)), start)
        except _NeedMoreLines:
            continue  # a quoted field holds a line break: read on
        pending = []
        if record is not None:
            yield record
    if pending:
        raise NeptuneCsvError(
            "unterminated quoted field at end of file", file=file, line=start, value=pending[0]
        )


def _split_array(text: str) -> list[str]:
    if "\\;" not in text:
        return [part for part in text.split(";") if part]
    parts = re.split(r"(?<!\\);", text)
    return [part.replace("\\;", ";") for part in parts if part]


def _header(records: Iterator[RawRecord], file: str) -> FileLayout:
    try:
        _, cells, _ = next(records)
    except StopIteration:
        raise NeptuneCsvError("empty file: no header row", file=file, line=1) from None
    return parse_header(cells, file=file)


def iter_text_records(
    lines: Iterable[str],
    *,
    file: str = "<csv>",
    allow_empty_strings: bool = False,
    on_error: OnError | None = None,
) -> Iterator[Record]:
    """Typed records of one CSV text given as lines (newlines kept); the header comes first.

    Without `on_error`, the first row that breaks the format raises NeptuneCsvError naming
    file, line, column and value (rows before it have been yielded). With `on_error`, each bad
    row is handed to it and skipped. A bad header, an unterminated quote at the end of the file
    or undecodable bytes always raise: nothing after them can be trusted.
    """
    records = _physical_records(lines, file, on_error)
    layout = _header(records, file)
    yield from _typed_records(layout, records, allow_empty_strings, on_error)


def _typed_records(
    layout: FileLayout,
    records: Iterator[RawRecord],
    allow_empty_strings: bool,
    on_error: OnError | None,
) -> Iterator[Record]:
    converters = [
        (index, column, value_parser(column.type), column.type is PropertyType.STRING)
        for index, column in layout.properties
    ]
    for raw in records:
        try:
            yield _typed_record(layout, converters, raw, allow_empty_strings)
        except NeptuneCsvError as exc:
            if on_error is None:
                raise
            on_error(exc)


_Converter = tuple[int, Column, Callable[[str], Value], bool]


def _typed_record(
    layout: FileLayout,
    converters: Sequence[_Converter],
    raw: RawRecord,
    allow_empty_strings: bool,
) -> Record:
    file = layout.file
    line, fields, empty_quoted = raw
    if len(fields) != layout.width:
        if len(fields) == 1 and not fields[0]:
            raise NeptuneCsvError("blank line", file=file, line=line)
        raise NeptuneCsvError(
            f"expected {layout.width} fields as in the header, found {len(fields)}",
            file=file,
            line=line,
            value=",".join(fields),
        )
    element_id = fields[layout.id_index]
    if not element_id:
        raise NeptuneCsvError("empty ~id", file=file, line=line, column="~id")
    properties: list[PropertyValues] = []
    for index, column, parse, is_string in converters:
        text = fields[index]
        if not text:
            if is_string and allow_empty_strings and index in empty_quoted:
                properties.append(PropertyValues(column, ("",)))
            continue
        try:
            if column.is_array:
                values = tuple([parse(part) for part in _split_array(text)])
                if not values:
                    continue
            else:
                values = (parse(text),)
        except ValueError as exc:
            raise NeptuneCsvError(
                str(exc),
                file=file,
                line=line,
                column=column.header(),
                value=text,
                kind="datatype",
            ) from exc
        properties.append(PropertyValues(column, values))
    label_text = fields[layout.label_index] if layout.label_index is not None else ""
    if layout.kind == "vertex":
        labels = tuple(_split_array(label_text)) if label_text else ("vertex",)
        return VertexRecord(element_id, labels, tuple(properties), line, file)
    assert layout.from_index is not None and layout.to_index is not None
    from_id, to_id = fields[layout.from_index], fields[layout.to_index]
    for name, value in (("~from", from_id), ("~to", to_id)):
        if not value:
            raise NeptuneCsvError(f"empty {name}", file=file, line=line, column=name)
    return EdgeRecord(
        element_id, from_id, to_id, label_text or "edge", tuple(properties), line, file
    )


def read_layout(path: Path, *, name: str | None = None) -> FileLayout:
    """The header layout of one CSV file (plain, .gz or .bz2)."""
    with open_text(path) as stream:
        return _header(_physical_records(stream, name or path.name), name or path.name)


def iter_records(
    path: Path,
    *,
    allow_empty_strings: bool = False,
    name: str | None = None,
    on_error: OnError | None = None,
) -> Iterator[Record]:
    """Typed records of one CSV file (plain, .gz or .bz2); see `iter_text_records`."""
    with open_text(path) as stream:
        yield from iter_text_records(
            stream,
            file=name or path.name,
            allow_empty_strings=allow_empty_strings,
            on_error=on_error,
        )
