"""Job identity: which `Job` a plan belongs to, and the Glue job run it came from.

The rule (documented in docs/graph-model.md, "Job identity"):

1. A Glue job name given as a plan or event label (`glue_job_name`, `glue.job_name` or `JOB_NAME`,
   keys compared case-insensitively) names the job; `glue_job_run_id`/`glue.job_run_id`/
   `JOB_RUN_ID` names the run. Labels come from the agent's user-metadata filter (Spline v1.2).
2. Otherwise an application name of the form Glue gives its Spark applications,
   `nativespark-<job name>-<jr_... run id>`, yields the Glue job name and run id.
3. Otherwise the job is the Spark application name: the plan `name` (v1.1+) or
   `extraInfo.appName` (v1); a plan with neither belongs to the job `unnamed`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["UNNAMED_JOB", "JobIdentity", "identify_job"]

UNNAMED_JOB = "unnamed"
_GLUE_APP_NAME = re.compile(r"^nativespark-(?P<job>.+)-(?P<run>jr_[0-9A-Za-z]+)$")
_JOB_LABELS = ("glue_job_name", "glue.job_name", "job_name")
_RUN_LABELS = ("glue_job_run_id", "glue.job_run_id", "job_run_id")

Labels = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class JobIdentity:
    """The job a plan belongs to; Glue fields are None off Glue."""

    name: str
    glue_job_name: str | None
    glue_job_run_id: str | None


def _label(labels: Labels | None, keys: tuple[str, ...]) -> str | None:
    if not labels:
        return None
    folded = {k.lower(): v for k, v in labels.items()}
    for key in keys:
        values = folded.get(key)
        if values:
            # Several values are possible in Spline labels; the first sorted one is stable.
            first = sorted(str(v).strip() for v in values if str(v).strip())
            if first:
                return first[0]
    return None


def identify_job(
    app_name: str | None, labels: Labels | None = None, event_labels: Labels | None = None
) -> JobIdentity:
    """Apply the job identity rule to a plan's application name and labels."""
    glue_job = _label(labels, _JOB_LABELS) or _label(event_labels, _JOB_LABELS)
    glue_run = _label(event_labels, _RUN_LABELS) or _label(labels, _RUN_LABELS)
    if glue_job:
        return JobIdentity(glue_job, glue_job, glue_run)
    name = (app_name or "").strip()
    match = _GLUE_APP_NAME.match(name)
    if match:
        return JobIdentity(match.group("job"), match.group("job"), glue_run or match.group("run"))
    return JobIdentity(name or UNNAMED_JOB, None, glue_run)
