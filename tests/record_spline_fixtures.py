"""Re-record `tests/events/spline/`: run every example job through the stand-in agent.

Usage: .venv/bin/python tests/record_spline_fixtures.py [--lake /tmp/lineage-example-lake]

Each job runs as `python -m agent_standin.run examples/JOB.py --lake LAKE ...` against the
capturing producer of `tests/spline_capture.py`; every plan and every event array it POSTs is
saved (decompressed, re-indented) as one file. A fixed lake path keeps the plan ids stable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from spline_capture import CaptureServer

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "events" / "spline"
sys.path.insert(0, str(REPO / "examples"))

# (fixture name, script, extra args, expected exit code)
JOBS: list[tuple[str, str, list[str], int]] = [
    ("ingest_orders", "ingest_orders.py", [], 0),
    ("ingest_customers", "ingest_customers.py", [], 0),
    ("enrich_orders", "enrich_orders.py", [], 0),
    ("aggregate_sales", "aggregate_sales.py", [], 0),
    ("append_daily_orders_day21", "append_daily_orders.py", ["--day", "21"], 0),
    ("append_daily_orders_day22", "append_daily_orders.py", ["--day", "22"], 0),
    ("ingest_payments_strict_failed", "ingest_payments_strict.py", [], 1),
    ("ingest_orders_rerun", "ingest_orders.py", [], 0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, default=Path("/tmp/lineage-example-lake"))
    lake = parser.parse_args().lake
    from generate_raw_data import generate

    shutil.rmtree(lake, ignore_errors=True)
    generate(lake)
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(REPO)}
    index = []
    with CaptureServer() as capture:
        env["SPLINE_PRODUCER_URL"] = capture.url
        for name, script, args, expected in JOBS:
            before = len(capture.requests)
            started = time.monotonic()
            command = [sys.executable, "-m", "agent_standin.run", str(REPO / "examples" / script)]
            done = subprocess.run([*command, "--lake", str(lake), *args], env=env, check=False)
            if done.returncode != expected:
                raise SystemExit(f"{script} exited {done.returncode}, expected {expected}")
            requests = capture.requests[before:]
            plans = [r for r in requests if r.path.endswith("/execution-plans")]
            events = [r for r in requests if r.path.endswith("/execution-events")]
            if len(plans) != 1 or len(events) != 1:
                raise SystemExit(f"{script}: {len(plans)} plans and {len(events)} event arrays")
            for suffix, request in (("plan", plans[0]), ("events", events[0])):
                path = OUT / f"{name}.{suffix}.json"
                path.write_text(json.dumps(request.json(), indent=2, ensure_ascii=False) + "\n")
                index.append(
                    (
                        path.name,
                        script,
                        request.headers.get("Content-Type", ""),
                        request.headers.get("Content-Encoding", "identity"),
                        len(request.raw_body),
                        len(request.body),
                    )
                )
            print(f"{name}: recorded in {time.monotonic() - started:.1f} s", file=sys.stderr)
    (OUT / "transcript.json").write_text(
        json.dumps(
            [
                dict(
                    zip(
                        ("file", "job", "content_type", "encoding", "wire_bytes", "bytes"),
                        row,
                        strict=True,
                    )
                )
                for row in index
            ],
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
