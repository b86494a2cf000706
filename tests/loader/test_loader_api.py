"""Neptune's loader HTTP API as the local Gremlin Server serves it, driven by the real boto3 client.

The same `neptunedata` calls the nightly job makes against Amazon Neptune (start, status with
details and error pages, list, cancel, fast reset) go to the local server's port, unsigned.
"""

from __future__ import annotations

import gzip
import http.client
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions
import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal

from loader.neptune_bulk import LOCAL_IAM_ROLE, local_client

pytestmark = pytest.mark.graph


def endpoint(ws_url: str) -> str:
    parts = urlsplit(ws_url)
    return f"http://127.0.0.1:{parts.port}"


@pytest.fixture
def client(clean_graph: str) -> Any:
    return local_client(endpoint(clean_graph))


def start(client: Any, source: Path | str, **extra: Any) -> str:
    uri = source.resolve().as_uri() if isinstance(source, Path) else source
    response = client.start_loader_job(
        source=uri, format="csv", s3BucketRegion="local", iamRoleArn=LOCAL_IAM_ROLE, **extra
    )
    assert response["status"] == "200 OK"
    return str(response["payload"]["loadId"])


def wait(client: Any, load_id: str, **params: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        payload: dict[str, Any] = client.get_loader_job_status(loadId=load_id, **params)["payload"]
        status = payload["overallStatus"]["status"]
        if status not in ("LOAD_NOT_STARTED", "LOAD_IN_QUEUE", "LOAD_IN_PROGRESS"):
            return payload
        assert time.monotonic() < deadline, payload
        time.sleep(0.05)


def count(url: str, what: str = "V") -> int:
    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        return int((g.V() if what == "V" else g.E()).count().next())
    finally:
        connection.close()


def test_a_load_reports_neptunes_status_shape_and_counts(
    client: Any, clean_graph: str, tmp_path: Path
) -> None:
    (tmp_path / "v.csv").write_text("~id,~label,n:Int\na,L,1\nb,L,2\na,L,1\n")
    (tmp_path / "e.csv.gz").write_bytes(gzip.compress(b"~id,~from,~to,~label\ne1,a,b,E\n"))
    load_id = start(client, tmp_path)
    payload = wait(client, load_id, details=True)
    overall = payload["overallStatus"]
    assert overall["status"] == "LOAD_COMPLETED"
    assert overall["fullUri"] == tmp_path.resolve().as_uri()
    assert (overall["totalRecords"], overall["totalDuplicates"]) == (4, 1)
    assert (overall["parsingErrors"], overall["datatypeMismatchErrors"]) == (0, 0)
    assert overall["insertErrors"] == 0
    assert payload["failedFeeds"] == [] and payload["feedCount"] == [{"LOAD_COMPLETED": 2}]
    assert (count(clean_graph), count(clean_graph, "E")) == (2, 1)
    listed = client.list_loader_jobs()["payload"]["loadIds"]
    assert listed[0] == load_id


def test_errors_are_paged_with_file_and_record_number(client: Any, tmp_path: Path) -> None:
    rows = "".join(f"r{i},Run,x{i}\n" for i in range(25))
    (tmp_path / "runs.csv").write_text("~id,~label,n:Long\n" + rows)
    load_id = start(client, tmp_path, failOnError=False)
    payload = wait(client, load_id, details=True)
    assert payload["overallStatus"]["status"] == "LOAD_COMPLETED"
    assert payload["overallStatus"]["datatypeMismatchErrors"] == 25
    (feed,) = payload["failedFeeds"]
    assert feed["fullUri"].endswith("/runs.csv") and feed["datatypeMismatchErrors"] == 25
    pages = [
        client.get_loader_job_status(
            loadId=load_id, details=True, errors=True, page=page, errorsPerPage=10
        )["payload"]["errors"]
        for page in (1, 2, 3, 4)
    ]
    assert [len(p["errorLogs"]) for p in pages] == [10, 10, 5, 0]
    assert (pages[1]["startIndex"], pages[1]["endIndex"]) == (11, 20)
    first = pages[0]["errorLogs"][0]
    assert first["errorCode"] == "DATA_TYPE_CONVERSION_FAIL"
    assert first["recordNum"] == 2 and first["fileName"].endswith("/runs.csv")
    assert "'n:Long'" in first["errorMessage"] and "'x0'" in first["errorMessage"]


def test_a_missing_source_fails_as_an_unreadable_source(client: Any, tmp_path: Path) -> None:
    load_id = start(client, tmp_path / "nothing-here")
    payload = wait(client, load_id, errors=True)
    assert payload["overallStatus"]["status"] == "LOAD_FAILED"
    (entry,) = payload["errors"]["errorLogs"]
    assert entry["errorCode"] == "LOAD_S3_READ_ERROR" and "does not exist" in entry["errorMessage"]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("s3://bucket/prefix/", "Amazon Neptune reads s3://"),
        ("relative/folder", "relative path"),
        ("file://otherhost/data", "must be local"),
        ("http://example.com/x.csv", "file:// URIs"),
    ],
)
def test_a_source_the_local_loader_cannot_read_is_refused_as_neptune_refuses(
    client: Any, source: str, words: str
) -> None:
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        start(client, source)
    assert words in caught.value.response["detailedMessage"]


def test_bad_parameters_are_refused_with_the_parameter_named(client: Any, tmp_path: Path) -> None:
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        start(client, tmp_path, mode="SOMETIMES")
    assert "mode must be NEW, RESUME or AUTO" in caught.value.response["detailedMessage"]
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        start(client, tmp_path, parserConfiguration={"baseUri": "http://x"})
    assert "baseUri" in caught.value.response["detailedMessage"]
    with pytest.raises(client.exceptions.BadRequestException):
        start(client, tmp_path, dependencies=["not-a-load"])


def test_an_unknown_load_id_is_neptunes_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.BulkLoadIdNotFoundException):
        client.get_loader_job_status(loadId="0a237328-afd5-4574-a0bc-c29ce5f54802")
    with pytest.raises(client.exceptions.BulkLoadIdNotFoundException):
        client.cancel_loader_job(loadId="0a237328-afd5-4574-a0bc-c29ce5f54802")


def test_a_cancelled_load_stops_and_says_so(client: Any, clean_graph: str, tmp_path: Path) -> None:
    rows = "".join(f"v{i},L\n" for i in range(400_000))
    (tmp_path / "big.csv").write_text("~id,~label\n" + rows)
    load_id = start(client, tmp_path)
    client.cancel_loader_job(loadId=load_id)
    payload = wait(client, load_id)
    assert payload["overallStatus"]["status"] == "LOAD_CANCELLED_BY_USER"
    assert count(clean_graph) < 400_000
    with pytest.raises(client.exceptions.BadRequestException):
        client.cancel_loader_job(loadId=load_id)  # already ended


def test_queued_loads_run_in_order_and_refuse_without_queue_request(
    client: Any, clean_graph: str, tmp_path: Path
) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir()
    small.mkdir()
    (big / "v.csv").write_text("~id,~label\n" + "".join(f"v{i},L\n" for i in range(200_000)))
    (small / "e.csv").write_text("~id,~from,~to,~label\ne1,v1,v2,E\n")
    first = start(client, big)
    second = start(client, small, queueRequest=True, dependencies=[first])
    with pytest.raises(client.exceptions.BadRequestException) as caught:
        start(client, small, queueRequest=False)
    assert "concurrent load" in caught.value.response["detailedMessage"]
    assert wait(client, second)["overallStatus"]["status"] == "LOAD_COMPLETED"
    assert wait(client, first)["overallStatus"]["status"] == "LOAD_COMPLETED"
    assert count(clean_graph, "E") == 1


def test_fast_reset_needs_the_token_and_empties_the_graph(
    client: Any, clean_graph: str, tmp_path: Path
) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\na,L\n")
    wait(client, start(client, tmp_path))
    assert count(clean_graph) == 1
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.execute_fast_reset(action="performDatabaseReset", token="guessed")
    token = client.execute_fast_reset(action="initiateDatabaseReset")["payload"]["token"]
    client.execute_fast_reset(action="performDatabaseReset", token=token)
    deadline = time.monotonic() + 30
    while client.get_engine_status()["status"] != "healthy":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert count(clean_graph) == 0
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.execute_fast_reset(action="performDatabaseReset", token=token)  # used once


def _raw(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_browser_pages_and_rebound_hosts_cannot_use_the_loader(clean_graph: str) -> None:
    port = urlsplit(clean_graph).port
    status, body = _raw(clean_graph, "GET", "/loader", {"Origin": "https://evil.example"})
    assert status == 403 and b"origin" in body
    status, body = _raw(clean_graph, "POST", "/system", {"Host": f"evil.example:{port}"})
    assert status == 403 and b"Host" in body
    status, body = _raw(clean_graph, "GET", "/loader", {"Host": f"localhost:{port}"})
    assert status == 200 and b"loadIds" in body
    # Every other HTTP path stays refused, scripts above all.
    status, _ = _raw(clean_graph, "GET", "/gremlin?gremlin=g.V()", {})
    assert status == 400


def test_an_unsigned_client_never_needs_credentials(
    monkeypatch: pytest.MonkeyPatch, clean_graph: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    client = local_client(endpoint(clean_graph))
    try:
        assert client.get_engine_status()["status"] == "healthy"
    except botocore.exceptions.NoCredentialsError:  # pragma: no cover - the failure mode
        pytest.fail("the local client looked for AWS credentials")
