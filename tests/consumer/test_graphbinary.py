"""The consumer's GraphBinary decoding gives what gremlinpython's own reader gives.

Values come from gremlinpython's GraphBinary writer (the encoding a server's answer uses), whole
response messages are framed as Gremlin Server frames them, and damaged copies of both probe the
corners: whatever the library reads, ours must read to the same values of the same types.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import uuid
from typing import Any

import pytest
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.traversal import Direction, T, Traverser
from gremlin_python.statics import long
from gremlin_python.structure.io.graphbinaryV1 import (
    GraphBinaryReader,
    GraphBinaryWriter,
    MapIO,
    StringIO,
    UuidIO,
    int32_pack,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.consumer.graphbinary import FastGraphBinarySerializer, read_value

pytestmark = pytest.mark.unit

_LIBRARY = GraphBinaryReader()


def same(a: Any, b: Any) -> bool:
    """Equal values of identical types, all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Traverser):
        return same(a.object, b.object) and same(a.bulk, b.bulk)
    if type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        # Library values without equality of their own (BigDecimal): compare their fields.
        return same(vars(a), vars(b))
    return bool(a == b)


def encode(value: Any) -> bytes:
    """`value` as gremlinpython's writer writes it (a fully qualified value)."""
    out = bytearray()
    GraphBinaryWriter().to_dict(value, out)
    return bytes(out)


def library_read(data: bytes) -> Any:
    return _LIBRARY.read_object(bytearray(data))


enums = st.sampled_from([T.id, T.label, T.key, T.value, *Direction])
keys = st.one_of(st.text(max_size=8), st.integers(-(2**31), 2**31 - 1), enums)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=20),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1).map(long),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1)),
    st.uuids(),
    enums,
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(keys, inner, max_size=5),
        st.sets(st.one_of(st.text(max_size=5), st.integers(-1000, 1000)), max_size=4),
        st.builds(Traverser, inner, st.integers(1, 5).map(long)),
    ),
    max_leaves=40,
)


@given(values)
@settings(max_examples=500, deadline=None)
def test_values_written_by_gremlinpython_read_as_the_library_reads_them(value: Any) -> None:
    data = encode(value)
    assert same(read_value(data), library_read(data))


def response(data: bytes, code: int = 200, message: str = "") -> bytes:
    """A response frame as Gremlin Server writes it: version, request id, status, meta, data."""
    writer = GraphBinaryWriter()
    out = bytearray([0x81])
    UuidIO.dictify(uuid.UUID(int=7), writer, out, as_value=True, nullable=True)
    out += int32_pack(code)
    StringIO.dictify(message, writer, out, as_value=True, nullable=True)
    MapIO.dictify({}, writer, out, as_value=True, nullable=False)
    MapIO.dictify({"host": "/127.0.0.1:8182"}, writer, out, as_value=True, nullable=False)
    return bytes(out) + data


@given(st.lists(st.tuples(values, st.integers(1, 3).map(long)), max_size=5))
@settings(max_examples=200, deadline=None)
def test_a_server_response_reads_as_the_library_reads_it(results: list[tuple[Any, int]]) -> None:
    data = encode([Traverser(v, b) for v, b in results])
    message = response(data, 206 if results else 204)
    ours = FastGraphBinarySerializer().deserialize_message(message)
    theirs = GraphBinarySerializersV1().deserialize_message(message)
    assert same(ours, theirs)


@given(values, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4))
@settings(max_examples=800, deadline=None)
def test_a_damaged_value_the_library_still_reads_reads_the_same(
    value: Any, damage: list[tuple[int, int]]
) -> None:
    data = bytearray(encode(value))
    for at, byte in damage:
        data[at % len(data)] = byte
    try:
        theirs = library_read(bytes(data))
    except Exception:  # the library refuses it: nothing to agree with
        return
    assert same(read_value(bytes(data)), theirs)


@given(values, st.integers(0, 10_000))
@settings(max_examples=300, deadline=None)
def test_a_cut_value_the_library_still_reads_reads_the_same(value: Any, cut: int) -> None:
    data = encode(value)
    data = data[: cut % (len(data) + 1)]
    try:
        theirs = library_read(data)
    except Exception:  # the library refuses it: nothing to agree with
        return
    assert same(read_value(data), theirs)


def test_an_element_map_keeps_its_t_keys_and_typed_values() -> None:
    element_map = {T.id: "ds:s3://lake/a", T.label: "Dataset", "rows": long(2**40), "x": 1.5}
    read = read_value(encode(element_map))
    assert read == element_map
    assert list(read) == [T.id, T.label, "rows", "x"]


def test_a_type_read_by_the_library_only_keeps_the_offset_right() -> None:
    # A UUID inside a list, followed by a string: the library reads the UUID at its offset and
    # this reader goes on after it.
    value = [uuid.UUID(int=5), "after", {"k": uuid.UUID(int=6)}]
    data = encode(value)
    assert read_value(data) == value
    assert io.BytesIO(data).read(1) == bytes([0x09])  # a list, as written
