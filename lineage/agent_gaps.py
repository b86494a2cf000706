"""Writes whose lineage the Spline agent 2.2.0 does not send: the gaps a user must know about.

Checked with the real agent on Spark 3.5 (tests/events/lake_formats, recorded by
tests/support/record_lake_format_fixtures.py). For these statements the agent sends no plan and no
event, so nothing downstream can show that the write happened; `lineage doctor` names them and
docs/graph-model.md explains why ("What the agent does not send, and the plugin that sends it").

The project's agent plugin (`agent_plugin/`, attached by `lineage spark-submit` once `make install`
built it) closes the Iceberg gaps: a gap it closes remains only for jobs run without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AGENT_GAPS", "AgentGap", "TableFormat", "formats_in_conf", "gaps_for"]


class TableFormat(StrEnum):
    """A table format a Spark session can write."""

    ICEBERG = "iceberg"
    DELTA = "delta"


@dataclass(frozen=True, slots=True)
class AgentGap:
    """One kind of statement the agent sends no lineage for, and what it does instead."""

    table_format: TableFormat
    statements: str
    spark_node: str
    agent_behaviour: str
    # True when the project's agent plugin reports these writes: a gap only without it.
    closed_by_plugin: bool = False

    def line(self) -> str:
        """One line for a report: the statements, Spark's node and what the agent does."""
        return f"{self.statements} ({self.spark_node}): {self.agent_behaviour}"


AGENT_GAPS: tuple[AgentGap, ...] = (
    AgentGap(
        TableFormat.ICEBERG,
        "Iceberg MERGE INTO, UPDATE and DELETE FROM ... WHERE (copy-on-write)",
        "ReplaceData",
        "without the project's agent plugin the agent logs 'Write extraction failed for: ... "
        "ReplaceData' (it looks for a writeOptions field Spark 3.5's row-level writes do not "
        "have) and sends nothing, not even a failed event",
        closed_by_plugin=True,
    ),
    AgentGap(
        TableFormat.ICEBERG,
        "Iceberg MERGE INTO, UPDATE and DELETE FROM ... WHERE (merge-on-read tables)",
        "WriteDelta",
        "without the project's agent plugin nothing is sent: WriteDelta is a row-level "
        "write like ReplaceData and lacks the same field",
        closed_by_plugin=True,
    ),
    AgentGap(
        TableFormat.ICEBERG,
        "Iceberg DELETE FROM without a WHERE clause (or one on partition columns only)",
        "DeleteFromTable, run as a metadata-only delete",
        "without the project's agent plugin nothing is sent: no built-in handler knows "
        "DeleteFromTable, and the agent logs nothing",
        closed_by_plugin=True,
    ),
)

# Settings that show a session uses a format: extensions, catalog implementations, jars.
_MARKERS: dict[TableFormat, tuple[str, ...]] = {
    TableFormat.ICEBERG: ("org.apache.iceberg", "iceberg-spark-runtime"),
    TableFormat.DELTA: ("io.delta", "org.apache.spark.sql.delta", "delta-spark"),
}
_FORMAT_KEYS = ("spark.sql.extensions", "spark.jars", "spark.jars.packages", "spark.sql.catalog.")


def formats_in_conf(conf: Mapping[str, str]) -> frozenset[TableFormat]:
    """The table formats a job's Spark settings load (extensions, catalogs, jars)."""
    found: set[TableFormat] = set()
    for key, value in conf.items():
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in _FORMAT_KEYS):
            continue
        lowered = value.lower()
        for table_format, markers in _MARKERS.items():
            if any(marker in lowered for marker in markers):
                found.add(table_format)
    return frozenset(found)


def gaps_for(
    formats: frozenset[TableFormat] | None = None, *, plugin_attached: bool = False
) -> tuple[AgentGap, ...]:
    """The gaps that concern jobs using `formats` (every format when None); with the project's
    agent plugin attached, only those it does not close."""
    return tuple(
        g
        for g in AGENT_GAPS
        if (formats is None or g.table_format in formats)
        and not (plugin_attached and g.closed_by_plugin)
    )
