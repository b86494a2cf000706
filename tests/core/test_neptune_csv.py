"""The Neptune Gremlin CSV format: header syntax, value encoding, the loader's strict reader, and
round trips of graph rows through the one writer (lineage.graph_csv) and the reader."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import math
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage import graph_schema as gs
from lineage.graph_csv import csv_files
from lineage.neptune_csv import (
    DATE_FORMS,
    Cardinality,
    Column,
    CsvWriteError,
    EdgeHeader,
    PropertyType,
    VertexHeader,
    epoch_millis,
    format_date,
    format_field,
    header_line,
    parse_date,
    quote,
)
from loader.csv_reader import (
    EdgeRecord,
    NeptuneCsvError,
    VertexRecord,
    iter_records,
    iter_text_records,
    parse_header,
)

pytestmark = pytest.mark.unit

UTC = dt.UTC


def read(text: str, **kwargs: object) -> list[VertexRecord | EdgeRecord]:
    # newline="" splits lines exactly as a file opened by the reader does (\n, \r\n, \r).
    lines = io.StringIO(text, newline="")
    return list(iter_text_records(lines, file="t.csv", **kwargs))  # type: ignore[arg-type]


def props(record: VertexRecord | EdgeRecord) -> dict[str, tuple[object, ...]]:
    return {p.column.name: p.values for p in record.properties}


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("age:Int", Column("age", PropertyType.INT)),
        ("age:int", Column("age", PropertyType.INT)),
        ("ok:Boolean", Column("ok", PropertyType.BOOL)),
        ("ok:bool", Column("ok", PropertyType.BOOL)),
        ("name", Column("name", PropertyType.STRING)),
        ("tags:String[]", Column("tags", PropertyType.STRING, None, True)),
        ("n:Long(single)", Column("n", PropertyType.LONG, Cardinality.SINGLE)),
        ("n:Long(set)", Column("n", PropertyType.LONG, Cardinality.SET)),
        ("n:Short(set)[]", Column("n", PropertyType.SHORT, Cardinality.SET, True)),
        ("a\\:b:Date", Column("a:b", PropertyType.DATE)),
    ],
)
def test_header_cells_declare_columns(cell: str, expected: Column) -> None:
    layout = parse_header(["~id", "~label", cell])
    assert layout.kind == "vertex"
    assert layout.columns == (expected,)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["~id", "n:Int(single)[]"], "contradicts an array"),
        (["~id", "n:Integer"], "unknown type 'Integer'"),
        (["~id", "n:Int(many)"], "unknown cardinality"),
        (["~label", "name"], "no ~id"),
        (["~id", "~from", "x"], "both ~from and ~to"),
        (["~id", "~from", "~to", "w:Int[]"], "cannot be arrays"),
        (["~id", "~from", "~to", "w:Int(set)"], "always single"),
        (["~id", "~weight"], "unknown system column"),
        (["~id", "a", "a:String"], "declared twice"),
        (["~id", "a", "a"], "appears twice"),
        (["~id", ""], "empty header cell"),
    ],
)
def test_bad_headers_are_refused_naming_the_cell(cells: list[str], reason: str) -> None:
    with pytest.raises(NeptuneCsvError, match=reason) as info:
        parse_header(cells, file="v.csv")
    assert info.value.file == "v.csv"
    assert info.value.line == 1


def test_edge_header_positions_can_be_in_any_order() -> None:
    layout = parse_header(["w:Double", "~to", "~label", "~id", "~from"])
    assert (layout.kind, layout.id_index, layout.from_index, layout.to_index) == ("edge", 3, 4, 1)
    assert layout.label_index == 2


def test_header_builders_write_canonical_headers() -> None:
    vertex = VertexHeader(
        (
            Column("name", PropertyType.STRING, Cardinality.SINGLE),
            Column("tags", PropertyType.STRING, is_array=True),
            Column("a:b", PropertyType.INT),
        )
    )
    assert header_line(vertex) == "~id,~label,name:String(single),tags:String[],a\\:b:Int"
    assert header_line(EdgeHeader((Column("w", PropertyType.DOUBLE),))) == (
        "~id,~from,~to,~label,w:Double"
    )
    with pytest.raises(ValueError, match="cannot be arrays"):
        EdgeHeader((Column("w", PropertyType.DOUBLE, is_array=True),))
    with pytest.raises(ValueError, match="space, comma"):
        Column("a b")


# --- writer --------------------------------------------------------------------------------


def test_quote_follows_rfc_4180() -> None:
    assert quote("plain") == "plain"
    assert quote('say "hi", then\nleave') == '"say ""hi"", then\nleave"'
    assert quote("") == '""'
    assert quote("semi;colon") == "semi;colon"


def test_fields_encode_every_type() -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678_900, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    cases: list[tuple[Column, object, str]] = [
        (Column("b", PropertyType.BOOL), True, "true"),
        (Column("b", PropertyType.BYTE), -128, "-128"),
        (Column("s", PropertyType.SHORT), 32767, "32767"),
        (Column("i", PropertyType.INT), -(2**31), "-2147483648"),
        (Column("l", PropertyType.LONG), 2**63 - 1, "9223372036854775807"),
        (Column("f", PropertyType.FLOAT), 0.5, "0.5"),
        (Column("d", PropertyType.DOUBLE), math.inf, "Infinity"),
        (Column("d", PropertyType.DOUBLE), -math.inf, "-Infinity"),
        (Column("d", PropertyType.DOUBLE), math.nan, "NaN"),
        (Column("t", PropertyType.DATE), at, "2026-01-02T01:04:05Z"),
        (Column("t", PropertyType.DATE), dt.date(2026, 1, 2), "2026-01-02"),
        (Column("x", PropertyType.STRING), "", '""'),
        (Column("x", PropertyType.STRING), None, ""),
        (Column("x", PropertyType.STRING, is_array=True), ["a;b", "c"], "a\\;b;c"),
        (Column("x", PropertyType.INT, is_array=True), [], ""),
    ]
    for column, value, expected in cases:
        assert format_field(column, value) == expected, (column, value)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (Column("b", PropertyType.BYTE), 128, "outside -128..127"),
        (Column("i", PropertyType.INT), True, "not an int"),
        (Column("i", PropertyType.INT), "5", "not an int"),
        (Column("f", PropertyType.FLOAT), 1e39, "overflows 32 bits"),
        (Column("t", PropertyType.DATE), dt.datetime(2026, 1, 1), "naive datetime"),
        (Column("t", PropertyType.DATE), "yesterday", "not a documented Neptune Date form"),
        (Column("t", PropertyType.DATE), "2026-01-02T03:04:05.678Z", "keep milliseconds"),
        (Column("x", PropertyType.STRING, is_array=True), "abc", "give a list"),
        (Column("x", PropertyType.STRING, is_array=True), ["a", ""], "empty string"),
        (Column("x", PropertyType.STRING, is_array=True), ["a\\"], "backslash"),
        (Column("x", PropertyType.BOOL), 1, "not a bool"),
    ],
)
def test_writer_refuses_values_it_cannot_represent(
    column: Column, value: object, reason: str
) -> None:
    with pytest.raises(CsvWriteError, match=reason):
        format_field(column, value)


# --- reader --------------------------------------------------------------------------------


def test_reader_types_every_value() -> None:
    text = (
        "~id,~label,b:Bool,y:Byte,s:Short,i:Int,l:Long,f:Float,d:Double,t:Date,x:String\n"
        "v1,L,TRUE,-7,300,70000,9000000000,0.1,-1.5e3,2026-01-02T01:04:05Z,hello\n"
    )
    (record,) = read(text)
    assert isinstance(record, VertexRecord)
    values = props(record)
    assert values["b"] == (True,)
    assert values["y"] == (-7,)
    assert values["s"] == (300,)
    assert values["i"] == (70000,)
    assert values["l"] == (9000000000,)
    assert values["f"] == (struct.unpack(">f", struct.pack(">f", 0.1))[0],)
    assert values["f"] != (0.1,)  # stored as Neptune stores it: 32 bits
    assert values["d"] == (-1500.0,)
    assert values["t"] == (dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC),)
    assert values["x"] == ("hello",)


def test_quoted_fields_span_lines_and_double_quotes() -> None:
    text = '~id,~label,note\nv1,L,"a ""quoted"", multi\nline"\nv2,L,plain\n'
    first, second = read(text)
    assert props(first)["note"] == ('a "quoted", multi\nline',)
    assert (first.line, second.line) == (2, 4)


def test_arrays_split_on_unescaped_semicolons_and_labels_too() -> None:
    text = "~id,~label,tags:String[],n:Int[]\nv1,A;B,x\\;y;z;,1;2\n"
    (record,) = read(text)
    assert isinstance(record, VertexRecord)
    assert record.labels == ("A", "B")
    assert props(record) == {"tags": ("x;y", "z"), "n": (1, 2)}


def test_semicolons_in_plain_string_columns_stay() -> None:
    (record,) = read("~id,~label,s\nv1,L,a;b\n")
    assert props(record) == {"s": ("a;b",)}


def test_empty_fields_are_no_value_and_quoted_empty_needs_allow_empty_strings() -> None:
    text = '~id,~label,a,b,n:Int\nv1,L,,"",""\n'
    (plain,) = read(text)
    assert props(plain) == {}
    (allowed,) = read(text, allow_empty_strings=True)
    assert props(allowed) == {"b": ("",)}


def test_missing_label_column_gives_tinkerpop_default_labels() -> None:
    (vertex,) = read("~id,x\nv1,1\n")
    assert isinstance(vertex, VertexRecord) and vertex.labels == ("vertex",)
    (edge,) = read("~id,~from,~to\ne1,a,b\n")
    assert isinstance(edge, EdgeRecord) and edge.label == "edge"


def test_crlf_and_bom_are_accepted() -> None:
    (record,) = read("\ufeff~id,~label,n:Int\r\nv1,L,5\r\n")
    assert props(record) == {"n": (5,)}


def test_bad_value_error_names_file_line_column_and_value() -> None:
    with pytest.raises(NeptuneCsvError) as info:
        read("~id,~label,age:Int\nv1,L,41\nv2,L,forty-two\n")
    error = info.value
    assert (error.file, error.line, error.column, error.value) == (
        "t.csv",
        3,
        "age:Int",
        "forty-two",
    )
    assert error.kind == "datatype"
    assert str(error) == "t.csv:3: column 'age:Int': not an integer (Int): 'forty-two'"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("v1,L,128", "outside the Byte range"),
        ("v1,L, 5", "not an integer"),
        ("v1,L,5.0", "not an integer"),
        ("v1,L,0x10", "not an integer"),
    ],
)
def test_integers_are_strict(row: str, reason: str) -> None:
    with pytest.raises(NeptuneCsvError, match=reason):
        read(f"~id,~label,n:Byte\n{row}\n")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("~id,~label,b:Bool\nv1,L,yes\n", "not a Bool"),
        ("~id,~label,f:Float\nv1,L,1e39\n", "Float"),
        ("~id,~label,f:Double\nv1,L,1_000\n", "not a number"),
        ("~id,~label,t:Date\nv1,L,2026-02-30\n", "not a valid date"),
        ("~id,~label,t:Date\nv1,L,02/01/2026\n", "not a documented Neptune Date form"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03:04:05.678Z\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03:04:05.5\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03:04:05+02:00\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03:04:05-0130\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03:04Z\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02 03:04:05\n", "not a documented"),
        ("~id,~label,t:Date\nv1,L,2026-01-02T03\n", "not a documented"),
        ('~id,~label,s\nv1,L,ab"c\n', "quote inside an unquoted field"),
        ('~id,~label,s\nv1,L,"ab"c\n', "text after a closing quote"),
        ('~id,~label,s\nv1,L,"open\n', "unterminated quoted field"),
        ("~id,~label,s\nv1,L\n", "expected 3 fields"),
        ("~id,~label,s\n,L,x\n", "empty ~id"),
        ("~id,~from,~to,~label\ne1,,b,E\n", "empty ~from"),
        ("~id,~label,s\n\nv1,L,x\n", "blank line"),
        ("", "empty file"),
    ],
)
def test_reader_refuses_what_neptune_refuses(text: str, reason: str) -> None:
    with pytest.raises(NeptuneCsvError, match=reason):
        read(text)


def test_float_special_values() -> None:
    (record,) = read("~id,~label,d:Double[]\nv1,L,NaN;Infinity;-Infinity;-INF\n")
    nan, inf, neg, neg2 = props(record)["d"]
    assert math.isnan(float(nan))  # type: ignore[arg-type]
    assert (inf, neg, neg2) == (math.inf, -math.inf, -math.inf)


def test_on_error_skips_bad_rows_and_keeps_going() -> None:
    errors: list[NeptuneCsvError] = []
    text = "~id,~label,n:Int\nv1,L,1\nv2,L,x\nv3,L\nv4,L,4\n"
    records = read(text, on_error=errors.append)
    assert [r.id for r in records] == ["v1", "v4"]
    assert [(e.line, e.kind) for e in errors] == [(3, "datatype"), (4, "parsing")]


def test_an_unterminated_quote_at_the_end_fails_even_when_skipping() -> None:
    with pytest.raises(NeptuneCsvError, match="unterminated"):
        read('~id,~label,s\nv1,L,"open\nv2,L,x\n', on_error=lambda e: None)


def test_on_error_skips_a_bad_quote_and_reads_on() -> None:
    errors: list[NeptuneCsvError] = []
    text = '~id,~label,s\nv1,L,"a"b\nv2,L,ok\n'
    records = read(text, on_error=errors.append)
    assert [r.id for r in records] == ["v2"]
    assert [(e.line, e.kind) for e in errors] == [(2, "parsing")]


def test_parse_date_reads_exactly_the_four_documented_forms() -> None:
    assert DATE_FORMS == (
        "yyyy-MM-dd",
        "yyyy-MM-ddTHH:mm",
        "yyyy-MM-ddTHH:mm:ss",
        "yyyy-MM-ddTHH:mm:ssZ",
    )
    assert parse_date("2026-01-02") == dt.datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_date("2026-01-02T03:04") == dt.datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert parse_date("2026-01-02T03:04:05") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_date("2026-01-02T03:04:05Z") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_date(parse_date("2026-01-02T03:04:05Z")) == "2026-01-02T03:04:05Z"
    for undocumented in ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05-0130", "20260102"):
        with pytest.raises(ValueError, match="not a documented Neptune Date form"):
            parse_date(undocumented)


# Neptune's documented Date forms, spelled out as regular expressions independently of the reader.
_DOCUMENTED = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}Z?)?)?")


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(
        min_value=dt.datetime(1, 1, 1, 0, 0, 1),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-9, minutes=-30))]),
    )
)
def test_every_written_date_has_a_documented_form_and_ms_survive_in_a_long(
    at: dt.datetime,
) -> None:
    text = format_field(Column("t", PropertyType.DATE), at)
    assert _DOCUMENTED.fullmatch(text), text
    assert parse_date(text) == at.astimezone(UTC).replace(microsecond=0)
    millis = epoch_millis(at)
    back = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=millis)
    assert back == at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.bz2"])
def test_files_are_read_plain_gzip_or_bzip2(tmp_path: Path, suffix: str) -> None:
    data = b"~id,~label,n:Int\nv1,L,1\n"
    path = tmp_path / f"v{suffix}"
    opener = {".csv": lambda b: b, ".csv.gz": gzip.compress, ".csv.bz2": bz2.compress}[suffix]
    path.write_bytes(opener(data))
    (record,) = list(iter_records(path))
    assert record.id == "v1" and record.file == path.name


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(b"~id,~label,s\nv1,L,ok\nv2,L,\xff\xfe\n")
    with pytest.raises(NeptuneCsvError, match="not UTF-8"):
        list(iter_records(path))


# --- round trips ---------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
MILLIS = st.integers(min_value=0, max_value=253402300799999)  # up to year 9999
INSTANT = MILLIS.map(lambda ms: dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=ms))
LONG = st.none() | st.integers(-(2**63), 2**63 - 1)


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


RUNS = st.builds(
    gs.RunVertex,
    plan_id=TEXT,
    timestamp_ms=MILLIS,
    discriminator=maybe(TEXT),
    job_name=TEXT,
    status=TEXT,
    error=maybe(TEXT),
    started_at=INSTANT,
    ended_at=INSTANT,
    duration_ms=LONG,
    rows_read=LONG,
    rows_written=LONG,
    bytes_written=LONG,
    app_id=maybe(TEXT),
    user=maybe(TEXT),
    glue_job_run_id=maybe(TEXT),
    raw_key=TEXT,
    raw_sha256=TEXT,
    rows_inserted=LONG,
    rows_updated=LONG,
    rows_deleted=LONG,
    rows_copied=LONG,
)
OPERATIONS = st.builds(
    gs.OperationVertex,
    plan_id=TEXT,
    op_id=TEXT,
    kind=TEXT,
    operator=TEXT,
    params=TEXT,
    schema=TEXT,
    level=st.integers(-(2**31), 2**31 - 1),
)
WRITES = st.builds(
    gs.WritesEdge,
    from_id=TEXT.filter(bool),
    to_id=TEXT.filter(bool),
    append=st.booleans(),
    write_mode=st.none() | st.sampled_from(gs.WriteMode),
)
DERIVES = st.builds(
    gs.DerivesFromEdge,
    from_id=TEXT.filter(bool),
    to_id=TEXT.filter(bool),
    plan_id=TEXT,
    kind=TEXT,
    expression=TEXT,
)


def expected_properties(row: gs.GraphRow) -> dict[str, tuple[object, ...]]:
    """What the reader must give back for `row`: every value present, Dates in whole seconds."""
    expected: dict[str, tuple[object, ...]] = {}
    for column, value in zip(row.COLUMNS, row.values(), strict=True):
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            value = value.astimezone(UTC).replace(microsecond=0)
        expected[column.name] = (value,)
    return expected


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(RUNS | OPERATIONS | WRITES | DERIVES, min_size=1, max_size=6))
def test_written_rows_read_back_identically(rows: list[gs.GraphRow]) -> None:
    read_back: dict[str, list[VertexRecord | EdgeRecord]] = {}
    for written in csv_files(rows):
        text = written.data.decode("utf-8")
        read_back.setdefault(written.label, []).extend(read(text, allow_empty_strings=True))
    for row in rows:
        record = read_back[row.LABEL.value].pop(0)
        assert record.id == row.id
        if isinstance(row, gs.EdgeRow):
            assert isinstance(record, EdgeRecord)
            assert (record.from_id, record.to_id, record.label) == (
                row.from_id,
                row.to_id,
                row.LABEL.value,
            )
        else:
            assert isinstance(record, VertexRecord) and record.labels == (row.LABEL.value,)
        assert props(record) == expected_properties(row)
    assert not any(read_back.values())


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(RUNS, min_size=1, max_size=40), target=st.integers(1, 3000))
def test_files_roll_at_the_size_limit_and_keep_every_row_once(
    rows: list[gs.RunVertex], target: int
) -> None:
    files = list(csv_files(rows, target_bytes=target, gzip=True))
    assert [f.path for f in files] == [
        f"csv/vertices/Run-{n:05d}.csv.gz" for n in range(len(files))
    ]
    ids: list[str] = []
    for written in files:
        text = gzip.decompress(written.data).decode("utf-8")
        records = read(text, allow_empty_strings=True)
        assert len(records) == written.rows >= 1
        # Over the limit only when one line alone does not fit.
        assert len(text) <= target or written.rows == 1
        ids.extend(r.id for r in records)
    assert ids == [r.id for r in rows]
