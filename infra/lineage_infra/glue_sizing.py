"""How many Glue workers the nightly rebuild gets: a rule of thumb from the measured figures.

The job's work grows with the plans it reads (docs/benchmarks.md, "Sizing the Glue job"): per
plan, about `CPU_MS_PER_PLAN` of one core for the whole job (events pass, plan pass, shuffle,
sort and CSV write, measured on 100k generated plans), or the time to fetch its raw objects
(`OBJECTS_PER_PLAN` payloads and sidecars, small GETs of which a task keeps `GETS_IN_FLIGHT`
going while it parses the ones already read), whichever is longer. Tasks
are independent until the one shuffle, so task slots divide that time. Glue runs the Spark
driver on one of the workers; the driver holds only the key listing and one small account per
payload, so it never needs more than one worker.
"""

from __future__ import annotations

import math

__all__ = [
    "CPU_MS_PER_PLAN",
    "GETS_IN_FLIGHT",
    "GET_MS_PER_OBJECT",
    "OBJECTS_PER_PLAN",
    "SLOTS_PER_WORKER",
    "glue_workers_for",
]

# Measured: 100k generated plans in 158.6 s on 2 cores (about 317 core-seconds, all stages).
CPU_MS_PER_PLAN = 3.2
# Measured: the generated 100k-plan lake holds 534,370 payloads and sidecars.
OBJECTS_PER_PLAN = 5.3
# Assumed, not measured here (no S3 on the build machine): one small S3 GET from a Glue worker.
GET_MS_PER_OBJECT = 50.0
# The job's concurrent reads per task (`glue_jobs.normalize.prefetch.READ_THREADS`).
GETS_IN_FLIGHT = 8
# Task slots (vCPUs) per worker type.
SLOTS_PER_WORKER = {"G.1X": 4, "G.2X": 8, "G.4X": 16, "G.8X": 32}
MIN_WORKERS = 2  # the driver's worker and one executor


def glue_workers_for(plans: int, worker_type: str, target_minutes: int) -> int:
    """Workers (driver included) to rebuild `plans` plans in about `target_minutes`."""
    if plans < 1 or target_minutes < 1:
        raise ValueError(f"need plans >= 1 and minutes >= 1, got {plans} and {target_minutes}")
    slots_per_worker = SLOTS_PER_WORKER[worker_type]
    fetch_ms = OBJECTS_PER_PLAN * GET_MS_PER_OBJECT / GETS_IN_FLIGHT
    seconds_per_plan = max(CPU_MS_PER_PLAN, fetch_ms) / 1000
    slots = math.ceil(plans * seconds_per_plan / (target_minutes * 60))
    return max(MIN_WORKERS, math.ceil(slots / slots_per_worker) + 1)
