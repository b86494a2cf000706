"""Benchmark of the producer: requests/s and p50/p99 latency for gzip-compressed plans.

Starts `lineage serve` (one uvicorn worker, local raw zone in a temporary directory) as its own
process, then drives it from this process over loopback with a small keep-alive HTTP/1.1 client
on asyncio (cheap per request, so the client is not what is measured). Every request carries a
different plan (a fresh plan id: the full write path of payload, sidecar and index entry) unless
`--same-plan` makes every request a repeat (the daily rerun case: one index lookup).

    .venv/bin/python -m lineage_bench.producer [--plan-kb 40] [--seconds 10] [--connections 8]

Prints the input sizes, the machine and the figures; checks that every plan landed.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lineage.spline import ApiVersion, load_execution_plan
from lineage_bench.errors import StageError
from lineage_bench.machine import cpu_seconds, summary_line
from local_neptune.ports import free_port

CONTENT_TYPE = "application/vnd.absa.spline.producer.v1.2+json"


def synthetic_plan(plan_id: str, target_bytes: int) -> bytes:
    """A valid v1.2 plan of about `target_bytes`: reads, a chain of transforms, many columns."""
    width = 12  # columns per operation
    n_ops = 1
    while True:
        doc = _plan_doc(plan_id, n_ops, width)
        body = orjson.dumps(doc)
        if len(body) >= target_bytes:
            return body
        n_ops += 1


def _plan_doc(plan_id: str, n_ops: int, width: int) -> dict[str, Any]:
    attributes: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    string_type = "e63adadc-648a-56a0-9424-3289858cf0bb"

    def new_attr(name: str, refs: list[dict[str, str]]) -> str:
        attr_id = f"attr-{len(attributes)}"
        attr: dict[str, Any] = {"id": attr_id, "dataType": string_type, "name": name}
        if refs:
            attr["childRefs"] = refs
        attributes.append(attr)
        return attr_id

    read_output = [new_attr(f"source_column_{i}", []) for i in range(width)]
    reads = [
        {
            "inputSources": [f"s3://acme-lake/raw/orders/part-{i:05d}.snappy.parquet"],
            "id": f"op-{n_ops + 1}",
            "name": "LogicalRelation",
            "output": read_output,
            "params": {"path": "s3://acme-lake/raw/orders"},
            "extra": {"sourceType": "parquet"},
        }
        for i in range(1)
    ]
    other: list[dict[str, Any]] = []
    previous = read_output
    for op in range(n_ops, 0, -1):
        output = []
        for col, source in enumerate(previous):
            expr_id = f"expr-{len(functions)}"
            functions.append(
                {
                    "id": expr_id,
                    "dataType": string_type,
                    "childRefs": [{"__attrId": source}],
                    "extra": {"simpleClassName": "Upper", "_typeHint": "expr.Generic"},
                    "name": "upper",
                }
            )
            output.append(new_attr(f"step_{op}_column_{col}", [{"__exprId": expr_id}]))
        other.append(
            {
                "id": f"op-{op}",
                "name": "Project",
                "childIds": [f"op-{op + 1}"],
                "output": output,
                "params": {"projectList": [{"__attrId": a} for a in output]},
            }
        )
        previous = output
    return {
        "id": plan_id,
        "name": "benchmark_job",
        "operations": {
            "write": {
                "outputSource": "s3://acme-lake/curated/orders_clean",
                "append": False,
                "id": "op-0",
                "name": "InsertIntoHadoopFsRelationCommand",
                "childIds": ["op-1"],
                "params": {"path": "s3://acme-lake/curated/orders_clean"},
                "extra": {"destinationType": "parquet"},
            },
            "reads": reads,
            "other": other,
        },
        "attributes": attributes,
        "expressions": {"functions": functions},
        "systemInfo": {"name": "spark", "version": "3.5.4"},
        "agentInfo": {"name": "spline", "version": "2.2.1"},
        "extraInfo": {
            "appName": "benchmark_job",
            "dataTypes": [
                {"_typeHint": "dt.Simple", "id": string_type, "name": "string", "nullable": True}
            ],
        },
    }


def request_bytes(port: int, body: bytes) -> bytes:
    head = (
        f"POST /producer/execution-plans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(body)}\r\nUser-Agent: producer-bench\r\n\r\n"
    )
    return head.encode() + body


@dataclass(frozen=True, slots=True)
class ProducerFigures:
    """What one producer run measured, with the size of its input."""

    plan_bytes: int  # one plan's JSON
    gzip_bytes: int  # the same plan gzip-compressed, as sent
    connections: int
    requests: int
    seconds: float
    requests_per_s: float
    errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_ms_per_request: float


@dataclass
class Result:
    latencies: list[float]
    errors: int
    elapsed: float = 0.0


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int, requests: list[bytes], start: int, step: int, until: float, result: Result
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = start
    try:
        while time.perf_counter() < until and index < len(requests):
            began = time.perf_counter()
            writer.write(requests[index])
            await writer.drain()
            status = await _read_response(reader)
            result.latencies.append(time.perf_counter() - began)
            if status != 201:
                result.errors += 1
            index += step
    finally:
        writer.close()


async def drive(port: int, requests: list[bytes], connections: int, seconds: float) -> Result:
    result = Result([], 0)
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(
        *(_connection(port, requests, i, connections, until, result) for i in range(connections))
    )
    result.elapsed = time.perf_counter() - began
    return result


def wait_ready(port: int, process: subprocess.Popen[bytes], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StageError("lineage serve exited before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                # A loopback Host: lineage serve answers only the names it trusts.
                probe = f"HEAD /producer/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
                sock.sendall(probe.encode())
                answer = sock.recv(64)
                if answer.startswith(b"HTTP/1.1 200"):
                    return
                if answer.startswith(b"HTTP/"):  # up, but refusing: waiting will not help
                    status = answer.split(b"\r\n", 1)[0].decode("latin-1")
                    raise StageError(f"lineage serve answered the status probe with {status}")
        except OSError:
            time.sleep(0.1)
    raise StageError("lineage serve did not answer within 30 s")


def run(argv: list[str] | None = None) -> ProducerFigures:
    """Run the benchmark with these command-line arguments; return the figures it printed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-kb", type=float, default=40, help="plan JSON size before gzip")
    parser.add_argument("--seconds", type=float, default=10, help="measured duration")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--same-plan", action="store_true", help="repeat one plan (no new writes)")
    parser.add_argument("--max-requests", type=int, default=20000, help="plans to pre-build")
    parser.add_argument("--fsync", action="store_true", help="serve with --fsync")
    args = parser.parse_args(argv)

    target = int(args.plan_kb * 1024)
    template = synthetic_plan(str(uuid.uuid4()), target)
    load_execution_plan(template, ApiVersion.V1_2)  # the benchmark input must be a valid plan
    old_id = orjson.loads(template)["id"].encode()
    count = 1 if args.same_plan else args.max_requests
    bodies = [
        gzip.compress(template.replace(old_id, str(uuid.uuid4()).encode(), 1), compresslevel=6)
        for _ in range(count)
    ]
    print(f"machine: {summary_line()}")
    print(
        f"input: v1.2 plan of {len(template):,} bytes JSON, {len(bodies[0]):,} bytes gzip; "
        f"{'one plan repeated' if args.same_plan else 'a new plan id per request'}; "
        f"{args.connections} keep-alive connections for {args.seconds:g} s; "
        f"fsync {'on' if args.fsync else 'off'}"
    )

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="producer-bench-") as lake:
        server = subprocess.Popen(
            [sys.executable, "-m", "lineage_cli.main", "serve", "--lake", lake,
             "--port", str(port), "--no-access-log", "--workers", "1",
             *(["--fsync"] if args.fsync else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_ready(port, server)
            requests = [request_bytes(port, b) for b in bodies]
            warm = asyncio.run(drive(port, requests[-50:], 2, 2.0))  # warm-up, not measured
            requests = requests * 200_000 if args.same_plan else requests[: len(requests) - 50]
            cpu_before = cpu_seconds(server.pid)
            result = asyncio.run(drive(port, requests, args.connections, args.seconds))
            server_cpu = cpu_seconds(server.pid) - cpu_before
            stored = len(list(Path(lake).glob("plans/date=*/*.json")))
        finally:
            server.terminate()
            server.wait(timeout=10)

    lat = sorted(result.latencies)
    n = len(lat)
    if n == 0:
        raise StageError("no request completed")
    elapsed = result.elapsed
    p50 = lat[n // 2] * 1000
    p99 = lat[min(n - 1, int(n * 0.99))] * 1000
    print(
        f"requests: {n:,} in {elapsed:.1f} s = {n / elapsed:,.0f} req/s; errors: {result.errors}; "
        f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, mean {statistics.fmean(lat) * 1000:.1f} ms, "
        f"max {lat[-1] * 1000:.1f} ms"
    )
    print(
        f"server CPU: {server_cpu * 1000 / n:.2f} ms per request "
        f"(one fully used core would serve about {n / server_cpu:,.0f} req/s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    expected = 1 if args.same_plan else n + len(warm.latencies)
    print(f"plans stored: {stored:,} (expected {expected:,})")
    if result.errors or warm.errors or stored != expected:
        raise StageError(
            f"producer benchmark: {result.errors + warm.errors} errors, "
            f"{stored:,} of {expected:,} plans stored"
        )
    return ProducerFigures(
        plan_bytes=len(template),
        gzip_bytes=len(bodies[0]),
        connections=args.connections,
        requests=n,
        seconds=elapsed,
        requests_per_s=n / elapsed,
        errors=result.errors,
        p50_ms=p50,
        p99_ms=p99,
        server_cpu_ms_per_request=server_cpu * 1000 / n,
    )


def main() -> None:
    """Run with this process's arguments."""
    run()


if __name__ == "__main__":
    try:
        main()
    except StageError as exc:  # a failed run ends with its message, not a traceback
        raise SystemExit(str(exc)) from None
