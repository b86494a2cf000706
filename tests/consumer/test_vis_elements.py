"""Element maps as the views read them: id, label and properties split out of decoded answers.

The maps are written by gremlinpython's GraphBinary writer and decoded by the consumer's reader,
as a server's answer is, so the `T` keys are the members the reader hands out.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from gremlin_python.process.traversal import Direction, T
from gremlin_python.statics import long
from gremlin_python.structure.io.graphbinaryV1 import GraphBinaryWriter
from hypothesis import given
from hypothesis import strategies as st

from lambdas.consumer.graphbinary import read_value
from lambdas.consumer.vis import element_props, node

pytestmark = pytest.mark.unit

# Names read specially (JSON text, Long twins of dates) have an example test of their own below.
_SPECIAL = frozenset({"params", "schema", "started_at_ms", "ended_at_ms"})
keys = st.text(min_size=1, max_size=16).filter(lambda k: k not in _SPECIAL)
values = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.lists(st.text(max_size=5), max_size=3),
)


def decoded(element_map: dict[Any, Any]) -> dict[Any, Any]:
    """`element_map` after a round trip through GraphBinary bytes, as an answer arrives."""
    out = bytearray()
    GraphBinaryWriter().to_dict(element_map, out)
    result: dict[Any, Any] = read_value(bytes(out))
    return result


@given(
    vid=st.text(min_size=1, max_size=30),
    label=st.sampled_from(["Job", "Dataset", "Run", "Column"]),
    props=st.dictionaries(keys, values, max_size=6),
    edge=st.booleans(),
)
def test_id_label_and_every_property_come_out(
    vid: str, label: str, props: dict[str, Any], edge: bool
) -> None:
    element_map: dict[Any, Any] = {T.id: vid, T.label: label, **props}
    if edge:
        element_map[Direction.OUT] = {T.id: "a", T.label: "Plan"}
    got_id, got_label, got = element_props(decoded(element_map))
    assert (got_id, got_label) == (vid, label)
    assert got == props


def test_json_text_is_parsed_dates_are_iso_and_millis_twins_win() -> None:
    element_map = decoded(
        {
            T.id: "run:1",
            T.label: "Run",
            "params": json.dumps({"a": [1, 2]}),
            "schema": "not json",
            "started_at": dt.datetime(2026, 1, 2, 3, 4, 5),
            "started_at_ms": long(1_767_323_045_123),
        }
    )
    vid, label, props = element_props(element_map)
    assert (vid, label) == ("run:1", "Run")
    assert props["params"] == {"a": [1, 2]}
    assert props["schema"] == "not json"
    assert props["started_at"] == "2026-01-02T03:04:05.123Z"


def test_a_map_without_tokens_is_refused_by_the_missing_token() -> None:
    with pytest.raises(KeyError):
        element_props({"name": "x"})


def test_a_property_named_like_a_node_key_is_renamed_not_lost() -> None:
    out = node("ds:a", "Dataset", {"name": "a", "id": "own", "from": "b"})
    assert (out["id"], out["prop_id"], out["prop_from"], out["name"]) == ("ds:a", "own", "b", "a")
    assert node("ds:a", "Dataset", {"name": "a"}) == {
        "id": "ds:a",
        "label": "a",
        "group": "dataset:unknown",
        "type": "Dataset",
        "name": "a",
    }
