"""A small raw zone with known event and landing times, for the auditing tests.

Timeline on 2025-11-22 (UTC), from the fixtures under tests/events/normalize/:

| payload | event time | landed |
|---|---|---|
| sales plan, sales run | 00:00 | 00:00:05 |
| report plan, report run | 01:00 | 01:00:05 |
| report run that failed | 02:00 | 02:00:05 |
| a sales run that landed late (the agent's host was cut off) | 00:30 | 03:00 |
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from normalize_fixtures import REPORT_PLAN, SALES_PLAN, payload
from raw_zone_builder import put

from loader.csv_reader import VertexRecord, iter_records

SALES_ID = "6a1f8f3e-2d9b-5c1e-9f00-111111111111"
REPORT_ID = "6a1f8f3e-2d9b-5c1e-9f00-222222222222"


def at(hhmmss: str) -> dt.datetime:
    """An instant on 2025-11-22 UTC."""
    return dt.datetime.fromisoformat(f"2025-11-22T{hhmmss}+00:00")


def ms(hhmmss: str) -> int:
    """Epoch milliseconds of an instant on 2025-11-22 UTC."""
    return int(at(hhmmss).timestamp() * 1000)


def events_at(name: str, hhmmss: str) -> bytes:
    """A fixture event batch with its one event moved to another event time."""
    doc = json.loads(payload(name))
    doc[0]["timestamp"] = ms(hhmmss)
    return json.dumps(doc, indent=1).encode()


@dataclass(frozen=True)
class TimedLake:
    """Where the lake is and the key of each payload."""

    root: Path
    sales: str
    sales_run: str
    report: str
    report_run: str
    report_failed: str
    sales_late: str

    def sha256(self, key: str) -> str:
        """SHA-256 of the stored object now."""
        return hashlib.sha256((self.root / key).read_bytes()).hexdigest()


def build_timed_lake(root: Path) -> TimedLake:
    """Write the timeline above in the producer's layout (payloads and sidecars)."""
    return TimedLake(
        root=root,
        sales=put(root, payload(SALES_PLAN), kind="plan", received_at=at("00:00:05")),
        sales_run=put(
            root,
            payload("events_sales_by_country.v1_2.json"),
            kind="events",
            received_at=at("00:00:05"),
        ),
        report=put(root, payload(REPORT_PLAN), kind="plan", received_at=at("01:00:05")),
        report_run=put(
            root,
            payload("events_country_report.v1_2.json"),
            kind="events",
            received_at=at("01:00:05"),
        ),
        report_failed=put(
            root,
            payload("events_country_report_failed.v1_2.json"),
            kind="events",
            received_at=at("02:00:05"),
        ),
        sales_late=put(
            root,
            events_at("events_sales_by_country.v1_2.json", "00:30:00"),
            kind="events",
            received_at=at("03:00:00"),
        ),
    )


def vertices(out: Path, label: str) -> dict[str, dict[str, str]]:
    """The `label` vertices of a build folder: id -> {property: first value as text}."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted((out / "csv" / "vertices").glob(f"{label}-*.csv*")):
        for record in iter_records(path):
            assert isinstance(record, VertexRecord)
            found[record.id] = {p.column.name: str(p.values[0]) for p in record.properties}
    return found
