"""The stand-in agent's HTTP side: version negotiation, status probe, gzip, recorded fixtures.

The dispatcher tests talk to the in-process loopback producer of `spline_capture.py`; nothing
leaves the test process and no Spark is needed.
"""

from __future__ import annotations

import gzip
import uuid

import pytest
from spline_capture import CaptureServer

from agent_standin.config import AgentConfig
from agent_standin.dispatcher import GZIP_THRESHOLD_CHARS, HttpDispatcher
from agent_standin.errors import DispatchError, ProducerUnavailableError
from agent_standin.harvester import DataTypeRegistry, simple_type_name
from agent_standin.model import (
    DataOperation,
    ExecutionEvent,
    ExecutionPlan,
    WriteOperation,
)
from agent_standin.versions import V1_1, V1_2, ApiVersion, content_type, negotiate

pytestmark = pytest.mark.unit

V12_TYPE = "application/vnd.absa.spline.producer.v1.2+json"


def _plan(padding: int = 0) -> ExecutionPlan:
    write = WriteOperation(
        "op-0",
        "InsertIntoHadoopFsRelationCommand",
        "file:/lake/out",
        False,
        ("op-1",),
        {"path": "/lake/out"},
        {"destinationType": "parquet"},
    )
    project = DataOperation("op-1", "Project", (), (), {"note": "x" * padding}, {})
    return ExecutionPlan(
        name="job",
        write=write,
        reads=(),
        other=(project,),
        attributes=(),
        functions=(),
        constants=(),
        system_info=("spark", "3.5.4"),
        agent_info=("spline-agent-standin", "0"),
        extra_info={"appName": "job"},
        id=str(uuid.uuid4()),
    )


def _event(plan: ExecutionPlan, error: str | None = None) -> ExecutionEvent:
    assert plan.id is not None
    return ExecutionEvent(plan.id, 1_700_000_000_000, None if error else 5, error, {"appId": "a"})


def test_negotiation_picks_the_highest_supported_version() -> None:
    assert negotiate(["1", "1.1", "1.2"]) == V1_2
    assert negotiate(["1.1", "1", "2.0"]) == V1_1
    assert negotiate([], forced="LATEST") == V1_2


def test_comma_joined_versions_disable_lineage_like_the_agent() -> None:
    # One header line "1.2, 1.1, 1" compares above 1.2 (string components outrank numbers).
    assert ApiVersion("1.2, 1.1, 1") > V1_2
    with pytest.raises(ProducerUnavailableError, match="don't match"):
        negotiate(["1.2, 1.1, 1"])


def test_a_server_without_versions_means_v1_which_the_standin_does_not_speak() -> None:
    with pytest.raises(ProducerUnavailableError, match="only implements"):
        negotiate([])


def test_content_types_select_the_version() -> None:
    assert content_type(V1_2) == V12_TYPE
    assert content_type(ApiVersion("1")) == "application/json"


def test_simple_type_names_follow_spark() -> None:
    assert simple_type_name("integer") == "int"
    assert simple_type_name("long") == "bigint"
    assert simple_type_name("decimal(10,2)") == "decimal(10,2)"
    nested = {
        "type": "struct",
        "fields": [
            {"name": "a", "type": "integer", "nullable": True, "metadata": {}},
            {
                "name": "b",
                "type": {"type": "array", "elementType": "string", "containsNull": True},
                "nullable": True,
                "metadata": {},
            },
        ],
    }
    assert simple_type_name(nested) == "struct<a:int,b:array<string>>"


def test_data_types_get_one_uuid5_id_per_type_and_nullability() -> None:
    registry = DataTypeRegistry()
    first = registry.id_for_json("integer", True)
    assert registry.id_for_json("integer", True) == first
    assert registry.id_for_json("integer", False) != first
    struct = {
        "type": "struct",
        "fields": [{"name": "x", "type": "integer", "nullable": True, "metadata": {}}],
    }
    struct_id = registry.id_for_json(struct, True)
    entries = {t.id: t.to_json() for t in registry.values}
    assert entries[struct_id]["fields"] == [{"name": "x", "dataTypeId": first}]
    assert entries[first] == {
        "_typeHint": "dt.Simple",
        "id": first,
        "name": "int",
        "nullable": True,
    }
    assert uuid.UUID(first).version == 5


def test_empty_collections_are_left_out_of_the_json() -> None:
    body = _plan().to_json()
    assert "reads" not in body["operations"]
    assert "childIds" not in body["operations"]["other"][0]
    assert body["expressions"] == {}
    assert body["operations"]["write"]["childIds"] == ["op-1"]


def test_status_probe_then_small_plan_plain_and_large_plan_gzipped() -> None:
    with CaptureServer() as server:
        dispatcher = HttpDispatcher(AgentConfig(server.url))
        small, large = _plan(), _plan(padding=GZIP_THRESHOLD_CHARS)
        dispatcher.send_plan(small)
        dispatcher.send_plan(large)
        dispatcher.send_event(_event(small))
    head, plain, zipped, events = server.requests
    assert (head.method, head.path) == ("HEAD", "/producer/status")
    assert plain.headers["Content-Type"] == V12_TYPE
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.raw_body) == zipped.body
    assert zipped.json()["id"] == large.id
    assert events.path == "/producer/execution-events"
    assert events.json() == [_event(small).to_json()]


def test_no_gzip_unless_the_server_advertises_it() -> None:
    with CaptureServer(gzip=False) as server:
        HttpDispatcher(AgentConfig(server.url)).send_plan(_plan(padding=3 * GZIP_THRESHOLD_CHARS))
    assert "Content-Encoding" not in server.posts("execution-plans")[0].headers


@pytest.mark.parametrize("status", [404, 503])
def test_a_failing_status_probe_disables_lineage(status: int) -> None:
    with (
        CaptureServer(status_code=status) as server,
        pytest.raises(ProducerUnavailableError, match=str(status)),
    ):
        HttpDispatcher(AgentConfig(server.url))


def test_an_unreachable_producer_disables_lineage() -> None:
    with CaptureServer() as server:
        url = server.url
    with pytest.raises(ProducerUnavailableError, match="establish connection"):
        HttpDispatcher(AgentConfig(url, connect_timeout_s=0.5))


def test_v11_servers_get_no_failed_run_events() -> None:
    with CaptureServer(versions=("1.1", "1")) as server:
        dispatcher = HttpDispatcher(AgentConfig(server.url))
        plan = _plan()
        dispatcher.send_event(_event(plan, error="boom"))
        dispatcher.send_event(_event(plan))
    (sent,) = server.posts("execution-events")
    assert sent.headers["Content-Type"] == "application/vnd.absa.spline.producer.v1.1+json"
    assert "error" not in sent.json()[0]


def test_a_rejected_post_raises_with_the_url_and_status() -> None:
    with CaptureServer(post_status=500) as server:
        dispatcher = HttpDispatcher(AgentConfig(server.url))
        with pytest.raises(DispatchError, match=r"execution-plans\. HTTP Response: 500 rejected"):
            dispatcher.send_plan(_plan())
    # The agent never retries.
    assert len(server.posts("execution-plans")) == 1


def test_a_vanished_producer_raises_on_post() -> None:
    with CaptureServer() as server:
        dispatcher = HttpDispatcher(AgentConfig(server.url))
    with pytest.raises(DispatchError, match="Cannot send lineage data"):
        dispatcher.send_plan(_plan())
