"""The Glue job's load step: `--on_built loader.glue_hook:load_build` (see infra/ and glue_jobs).

The normalize entrypoint calls `load_build(result)` once the build is written; this reads the
Neptune settings from the Glue job's own arguments, runs the bulk load and, on failure, logs the
marker line the CloudWatch "failed load" alarm counts before raising. The loader never imports
`glue_jobs`: the build is taken by its shape (`BuiltFiles`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from lineage.graph_csv import LOAD_PREFIX
from lineage.manifest import Manifest
from loader.errors import LoaderError
from loader.run import NeptuneTarget, run_load

__all__ = ["LOAD_FAILED_MARKER", "BuiltFiles", "load_build", "neptune_target_from_args"]

# Counted by a CloudWatch metric filter (infra/lineage_infra/config.py `load_failed_marker`).
LOAD_FAILED_MARKER = "LINEAGE_LOAD_FAILED"

log = logging.getLogger("loader.glue_hook")


class BuiltFiles(Protocol):
    """What the hook needs of the normalize job's BuildResult."""

    @property
    def load_source(self) -> str: ...

    @property
    def marker_source(self) -> str: ...

    @property
    def manifest(self) -> Manifest: ...


def neptune_target_from_args(argv: Sequence[str]) -> NeptuneTarget:
    """Read `--neptune_endpoint`, `--loader_role_arn` and the region from Glue job arguments."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--neptune_endpoint")
    parser.add_argument("--loader_role_arn")
    parser.add_argument("--region")
    known, _ = parser.parse_known_args(list(argv))
    region = known.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    missing = [
        name
        for name, value in (
            ("--neptune_endpoint", known.neptune_endpoint),
            ("--loader_role_arn", known.loader_role_arn),
            ("--region (or AWS_REGION)", region),
        )
        if not value
    ]
    if missing:
        raise LoaderError(f"the Glue job lacks the load arguments: {', '.join(missing)}")
    assert region is not None  # checked above; narrows the type
    return NeptuneTarget(
        endpoint=known.neptune_endpoint, iam_role_arn=known.loader_role_arn, region=region
    )


def load_build(result: BuiltFiles, argv: Sequence[str] | None = None) -> None:
    """Bulk-load a finished build into Neptune; log the alarm marker and raise on failure.

    The graph files load first; the build marker (`marker_source`) is queued behind them and
    loaded only once they completed (`run_load`). A build that wrote no graph file loads its
    marker alone.
    """
    try:
        target = neptune_target_from_args(sys.argv[1:] if argv is None else argv)
        if any(out.path.startswith(LOAD_PREFIX) for out in result.manifest.outputs):
            report = run_load(result.load_source, target, marker=result.marker_source)
        else:
            report = run_load(result.marker_source, target)
    except LoaderError as exc:
        log.error("%s: %s", LOAD_FAILED_MARKER, exc)
        raise
    if not report.succeeded:
        message = f"{LOAD_FAILED_MARKER}: load of {result.load_source} ended {report.status}"
        if report.errors:
            first = report.errors[0]
            message += f" ({first.code}: {first.message})"
        log.error(message)
        raise LoaderError(message)
    log.info("loaded %s: %s", result.load_source, report.status)
