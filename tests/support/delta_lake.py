"""A raw zone that grows over three UTC days, from the real agent's recorded payloads.

For the delta-build tests: every recorded job (tests/events/spline/) lands its plan and then its
events at its own instant, and the lake also holds what makes deltas hard: a rerun of a job
whose plan landed days earlier (the agent resends the plan; the producer stores only the new
events), an event batch that lands before its plan, the same event batch posted again on a
later day (one `Run`, two raw keys), and another body under a known plan id (a variant).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raw_zone_builder import put

SPLINE = Path(__file__).resolve().parents[1] / "events" / "spline"
START = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(hours=3)


@dataclass(frozen=True)
class Landed:
    """One stored payload and when it landed."""

    key: str
    received_at: dt.datetime

    @property
    def ms(self) -> int:
        """The receive instant in epoch milliseconds."""
        return int(self.received_at.timestamp() * 1000)


def _jobs() -> list[str]:
    return sorted(p.name[: -len(".plan.json")] for p in SPLINE.glob("*.plan.json"))


def _shifted(events: Any, days: int) -> bytes:
    moved = json.loads(json.dumps(events))
    for event in moved:
        event["timestamp"] = int(event["timestamp"]) + days * 86_400_000
    return json.dumps(moved).encode()


def build_growing_lake(root: Path) -> list[Landed]:
    """Write the lake under `root`; every payload with its receive instant, in landing order."""
    landed: list[Landed] = []

    def land(body: bytes, kind: str, at: dt.datetime, **extra: Any) -> None:
        key = put(root, body, kind=kind, received_at=at, **extra)  # type: ignore[arg-type]
        landed.append(Landed(key, at))

    jobs = _jobs()
    for index, job in enumerate(jobs):
        at = START + index * STEP
        plan = (SPLINE / f"{job}.plan.json").read_bytes()
        events = (SPLINE / f"{job}.events.json").read_bytes()
        if index == 1:  # the events land before their plan
            land(events, "events", at)
            land(plan, "plan", at + STEP * 4)
            continue
        land(plan, "plan", at)
        land(events, "events", at + dt.timedelta(minutes=5))
        if index == 0:  # the same batch posted again two days later
            land(events, "events", at + dt.timedelta(days=2))
        if index == 2:  # a rerun a day later: the agent resends the plan, only events are new
            land(_shifted(json.loads(events), 1), "events", at + dt.timedelta(days=1))
        if index == 3:  # another body under the same plan id, a day later
            doc = json.loads(plan)
            doc.setdefault("extraInfo", {})["note"] = "a different body"
            land(json.dumps(doc).encode(), "plan", at + dt.timedelta(days=1), variant=True)
    return sorted(landed, key=lambda item: (item.received_at, item.key))
