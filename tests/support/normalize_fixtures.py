"""Loaders for the hand-built Spline v1.2 payloads under tests/events/normalize/."""

from __future__ import annotations

from pathlib import Path

from lineage import spline as sm

NORMALIZE_EVENTS = Path(__file__).resolve().parents[1] / "events" / "normalize"
SALES_PLAN = "plan_sales_by_country.v1_2.json"
REPORT_PLAN = "plan_country_report.v1_2.json"


def payload(name: str) -> bytes:
    """The bytes of one fixture payload."""
    return (NORMALIZE_EVENTS / name).read_bytes()


def plan(name: str) -> sm.ExecutionPlan:
    """One fixture plan, parsed by the shared payload model."""
    return sm.load_execution_plan(payload(name), sm.ApiVersion.V1_2)


def events(name: str) -> tuple[sm.ExecutionEvent, ...]:
    """One fixture event batch, parsed by the shared payload model."""
    return sm.load_execution_events(payload(name), sm.ApiVersion.V1_2)
