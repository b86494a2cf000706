"""GraphBinary answers decoded in one pass over the bytes, into gremlinpython's own values.

gremlinpython's reader spends several Python calls per value (a buffer read, a null check, a
lambda, a struct unpack); a 500-job overview answer holds about 30,000 values and its decoding
took more time than the server's traversal. This reader walks the bytes by offset with one call
per value for the types answers are made of (strings, numbers, dates, lists, maps, traversers,
`T` and `Direction`) and hands every other type, at its offset, to the library's reader: the
result is the library's, value for value and type for type.

GraphSON would be decoded by the C JSON parser instead, but Gremlin Server takes several times
longer to write it (measured on the overview: about 80 ms against 20 ms).
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from typing import Any

from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.traversal import Direction, T, Traverser
from gremlin_python.structure.io.graphbinaryV1 import DataType, GraphBinaryReader
from gremlin_python.structure.io.util import HashableDict, SymbolUtil

__all__ = ["FastGraphBinarySerializer", "read_value"]

_LIBRARY = GraphBinaryReader()
_I32 = struct.Struct(">i").unpack_from
_I64 = struct.Struct(">q").unpack_from
_F64 = struct.Struct(">d").unpack_from
_I8 = struct.Struct(">b").unpack_from

_NULL = DataType.null.value
_INT = DataType.int.value
_LONG = DataType.long.value
_STRING = DataType.string.value
_DATE = DataType.date.value
_DOUBLE = DataType.double.value
_LIST = DataType.list.value
_MAP = DataType.map.value
_TRAVERSER = DataType.traverser.value
_BOOLEAN = DataType.boolean.value
_T = DataType.t.value
_DIRECTION = DataType.direction.value
# Map keys the library makes hashable (HashableDict.of); every other key is used as read.
_UNHASHABLE = (tuple, set, list, dict)


def _library_enum(code: int, name: Any) -> Any:
    """The library's own lookup of an enum value by the name the server wrote."""
    if code == _DIRECTION:
        return Direction[name]
    return T[SymbolUtil.to_snake_case(name)]


# The names the server writes for T and Direction, mapped to the members the library's lookup
# gives for them (checked here, at import, by that same lookup).
_ENUMS: dict[int, dict[str, Any]] = {
    code: {
        name: member
        for member in enum
        for name in (SymbolUtil.to_camel_case(member.name), member.name)
        if _library_enum(code, name) is member
    }
    for code, enum in ((_T, T), (_DIRECTION, Direction))
}


class _Bytes:
    """One message's bytes, and a library buffer over them made only if a value needs it."""

    __slots__ = ("buffer", "data")

    def __init__(self, data: bytes, buffer: io.BytesIO | None = None) -> None:
        self.data = data
        self.buffer = buffer  # over `data`, when the caller already has one

    def library_value(self, pos: int) -> tuple[Any, int]:
        """The value at `pos` read by the library's reader, and the offset after it."""
        if self.buffer is None:
            self.buffer = io.BytesIO(self.data)
        self.buffer.seek(pos)
        value = _LIBRARY.to_object(self.buffer)
        return value, self.buffer.tell()


def _read(src: _Bytes, pos: int) -> tuple[Any, int]:
    """The fully qualified value at `pos` (type code, value flag, value) and the offset after."""
    data = src.data
    code = data[pos]
    if code == _NULL:
        return None, pos + 2
    if code not in _FAST:
        return src.library_value(pos)
    if data[pos + 1] == 0x01:  # the value flag: null
        return None, pos + 2
    pos += 2
    if code == _STRING:
        size = _I32(data, pos)[0]
        pos += 4
        # A negative length reads to the end, as BytesIO.read does in the library.
        end = pos + size if size >= 0 else len(data)
        return data[pos:end].decode("utf-8"), end
    if code == _MAP:
        size = _I32(data, pos)[0]
        pos += 4
        out: dict[Any, Any] = {}
        for _ in range(size):
            # Keys and values are mostly non-null strings: read in place, without a call.
            if data[pos] == _STRING and data[pos + 1] == 0 and (n := _I32(data, pos + 2)[0]) >= 0:
                pos += 6 + n
                key = data[pos - n : pos].decode("utf-8")
            else:
                key, pos = _read(src, pos)
                if isinstance(key, _UNHASHABLE):
                    key = HashableDict.of(key)
            if data[pos] == _STRING and data[pos + 1] == 0 and (n := _I32(data, pos + 2)[0]) >= 0:
                pos += 6 + n
                out[key] = data[pos - n : pos].decode("utf-8")
            else:
                out[key], pos = _read(src, pos)
        return out, pos
    if code == _LIST:
        size = _I32(data, pos)[0]
        pos += 4
        items: list[Any] = []
        for _ in range(size):
            item, pos = _read(src, pos)
            items.append(item)
        return items, pos
    if code == _LONG:
        return _I64(data, pos)[0], pos + 8
    if code == _INT:
        return _I32(data, pos)[0], pos + 4
    if code in (_T, _DIRECTION):
        name, pos = _read(src, pos)
        member = _ENUMS[code].get(name) if type(name) is str else None
        return (member if member is not None else _library_enum(code, name)), pos
    if code == _TRAVERSER:
        bulk = _I64(data, pos)[0]
        value, pos = _read(src, pos + 8)
        return Traverser(value, bulk=bulk), pos
    if code == _DOUBLE:
        return _F64(data, pos)[0], pos + 8
    if code == _DATE:
        millis = _I64(data, pos)[0]
        return dt.datetime.utcfromtimestamp(millis / 1000.0), pos + 8
    # _BOOLEAN
    return _I8(data, pos)[0] == 0x01, pos + 1


_FAST = frozenset(
    {_STRING, _MAP, _LIST, _LONG, _INT, _T, _DIRECTION, _TRAVERSER, _DOUBLE, _DATE, _BOOLEAN}
)


def read_value(data: bytes) -> Any:
    """The one fully qualified GraphBinary value `data` holds, as gremlinpython reads it."""
    return _read(_Bytes(data), 0)[0]


class FastGraphBinarySerializer(GraphBinarySerializersV1):  # type: ignore[misc]
    """gremlinpython's GraphBinary message serializer whose answers' data `_read` decodes."""

    def deserialize_message(self, message: bytes | str) -> Any:
        """A response message: its header read by the library, its result data here."""
        if isinstance(message, str):
            return super().deserialize_message(message)  # HTTP's base64 text: not ours
        message = bytes(message)
        header = io.BytesIO(message)
        header.read(1)  # version
        request_id = str(_LIBRARY.to_object(header, DataType.uuid))
        status_code = _I32(header.read(4))[0]
        status_msg = _LIBRARY.to_object(header, DataType.string)
        status_attrs = _LIBRARY.to_object(header, DataType.map, nullable=False)
        meta_attrs = _LIBRARY.to_object(header, DataType.map, nullable=False)
        data, _end = _read(_Bytes(message, header), header.tell())
        return {
            "requestId": request_id,
            "status": {"code": status_code, "message": status_msg, "attributes": status_attrs},
            "result": {"meta": meta_attrs, "data": data},
        }
