"""A job's flow edges in the overview and job views: a MERGE target makes no 2-cycle."""

from __future__ import annotations

import pytest

from lambdas.consumer.vis import job_flows

pytestmark = pytest.mark.unit


def test_a_dataset_read_and_written_by_one_job_gets_one_marked_writes_edge() -> None:
    edges = job_flows("job:merge", ["ds:history", "ds:book"], ["ds:book"])
    assert [(e["label"], e["from"], e["to"], e.get("reads_too")) for e in edges] == [
        ("READS", "ds:history", "job:merge", None),
        ("WRITES", "job:merge", "ds:book", True),
    ]


def test_plain_flows_are_one_edge_each_way() -> None:
    edges = job_flows("job:j", ["ds:a", "ds:b"], ["ds:c"])
    assert [(e["from"], e["to"]) for e in edges] == [
        ("ds:a", "job:j"),
        ("ds:b", "job:j"),
        ("job:j", "ds:c"),
    ]
    assert not any("reads_too" in e for e in edges)
