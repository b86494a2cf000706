"""The strict reader of Neptune Gremlin bulk-load CSV: what the local loader loads, and how.

Reads cells with Neptune's meaning (the header model and value encoding are the core's,
`lineage.neptune_csv`). Anything Neptune would reject, or would load with a different meaning
than a careless writer intended, raises `NeptuneCsvError` naming file, line, column and value.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import math
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from lineage.errors import LineageError
from lineage.neptune_csv import (
    INT_RANGES,
    Cardinality,
    Column,
    PropertyType,
    check_edge_column,
    parse_date,
)

__all__ = [
    "EdgeRecord",
    "ErrorKind",
    "FileLayout",
    "NeptuneCsvError",
    "OnError",
    "PropertyValues",
    "Record",
    "Value",
    "VertexRecord",
    "iter_records",
    "iter_text_records",
    "open_text",
    "parse_header",
    "read_layout",
    "value_parser",
]

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


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------------------------
# Typed values
# ---------------------------------------------------------------------------------------------

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


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError("not a Bool (true or false)")


def _int_parser(kind: PropertyType) -> Callable[[str], int]:
    low, high = INT_RANGES[kind]

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
    if kind in INT_RANGES:
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
            check_edge_column(column)
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
