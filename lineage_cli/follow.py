"""`lineage serve --follow BUILDS`: keep the graph a few seconds behind the raw zone.

A background thread looks at the raw zone every `interval_s`. When payloads landed after the last
build (`LATEST.json` under BUILDS, the pointer a scheduled Glue run keeps too), it builds a delta
on top of that build with one warm Spark session (a full rebuild the first time, or when only
one reflects the raw zone), loads it into the local graph and records the new pointer: the same
steps as the scheduled Glue job (`glue_jobs.normalize.scheduled`), composed here because only
the CLI may wire the normalize job to the loader. Looking costs a listing of the partitions
since the last cut-off; Spark starts only when something landed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glue_jobs.normalize import NormalizeParams
from glue_jobs.normalize.delta import prepare_delta
from glue_jobs.normalize.scheduled import read_pointer, record_pointer, run_scheduled
from lineage.delta_selection import ParentBuild, any_landed_before, read_parent
from lineage.delta_state import FullRebuildNeededError
from lineage.errors import LineageError
from lineage.store import RawZoneStore
from stores import open_store

__all__ = ["SETTLE_MS", "FollowStep", "Follower"]

log = logging.getLogger("lineage.follow")

# Payloads received in the last moments may still be being written (body, sidecar, index):
# a cut-off this far behind the clock never excludes an object that is then written below it.
SETTLE_MS = 2_000


@dataclass(frozen=True, slots=True)
class FollowStep:
    """One build the follower made and loaded."""

    build: str
    kind: str
    landed_before_ms: int
    seconds: float


class Follower:
    """The background thread of `serve --follow` (start it, then `stop` it)."""

    def __init__(
        self,
        lake: str,
        builds: str,
        graph_url: str,
        interval_s: float = 5.0,
        master: str = "local[2]",
        on_step: Callable[[FollowStep], None] = lambda _step: None,
        spark: Any = None,
    ) -> None:
        """`spark`: a session to use (left running); by default one is started when first
        needed and stopped with the follower."""
        self.lake, self.builds, self.graph_url = lake, builds.rstrip("/"), graph_url
        self.interval_s, self.master, self.on_step = interval_s, master, on_step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lineage-follow", daemon=True)
        self._spark: Any = spark
        self._owns_spark = spark is None
        self._parent: ParentBuild | None = None

    def _read_parent(self, store: RawZoneStore) -> ParentBuild:
        """The last build, read once per pointer: every look and the build it starts continue
        from it, and a build of a long history is costly to read (its plan index, its recent
        objects). A build folder is written once, so its root names its content."""
        if self._parent is None or self._parent.store.root != store.root:
            self._parent = read_parent(store)
        return self._parent

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self, timeout_s: float = 120.0) -> None:
        """Stop after the current step and stop Spark."""
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.step()
                except LineageError as exc:  # logged; the next look tries again
                    log.error("follow: %s", exc)
                self._stop.wait(self.interval_s)
        finally:
            if self._spark is not None and self._owns_spark:
                from glue_jobs.local_spark import stop_local_spark

                stop_local_spark(self._spark)

    def _landed(self, params: NormalizeParams, cutoff_ms: int) -> bool:
        """Whether anything landed since the last build and before `cutoff_ms` (a listing and
        the new objects' sidecars; no Spark)."""
        pointer = read_pointer(self.builds)
        if pointer is None:
            return any(True for _ in open_store(self.lake).list("events/"))
        try:
            _, selection, _ = prepare_delta(
                open_store(self.lake),
                open_store(f"{self.builds}/{pointer.build}"),
                open_store(self.builds),
                params,
                read=self._read_parent,
            )
        except FullRebuildNeededError:
            return True
        if selection.pending_keys:
            return True
        # The listing also sees payloads landing right now, after this look's cut-off; a
        # build of only those would read nothing.
        return any_landed_before(
            open_store(self.lake), (*selection.plan_keys, *selection.event_keys), cutoff_ms
        )

    def step(self) -> FollowStep | None:
        """Build and load what landed since the last build; None when nothing did."""
        cutoff = int(time.time() * 1000) - SETTLE_MS
        params = NormalizeParams(self.lake, self.builds, landed_before_ms=cutoff)
        if not self._landed(params, cutoff):
            return None
        began = time.perf_counter()
        if self._spark is None:
            from glue_jobs.local_spark import local_spark

            self._spark = local_spark(self.master)
        result, pointer = run_scheduled(
            self._spark,
            open_store(self.lake),
            self.builds,
            params,
            progress=log.info,
            read=self._read_parent,
        )
        if any(o.kind in ("vertex", "edge") for o in result.manifest.outputs):
            from loader import LocalTarget, run_load

            # The build folder: its graph files, then its marker in a load that waits for them.
            report = run_load(result.out, LocalTarget(url=self.graph_url))
            if not report.succeeded:
                raise LineageError(f"follow: loading {pointer.build} failed: {report.summary()}")
        record_pointer(self.builds, pointer)
        step = FollowStep(
            pointer.build, pointer.kind.value, cutoff, round(time.perf_counter() - began, 2)
        )
        log.info("follow: loaded %s build %s in %.1f s", step.kind, step.build, step.seconds)
        self.on_step(step)
        return step
