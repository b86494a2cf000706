"""The checks of `lineage doctor`, in the order the Spline agent depends on them.

`Doctor.run` locates the agent jar, checks the driver options, does the producer's handshake as
the agent does, runs a tiny Spark job with the agent attached through a recording relay, checks
the raw zone, and warns about the writes whose lineage the agent never sends. Each finding is
handed to a callback as it is made; `lineage_cli.commands.doctor` prints them and picks the exit
code.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import NoReturn

from lineage.agent_gaps import formats_in_conf, gaps_for
from lineage.errors import LineageError
from lineage.raw_zone_layout import events_key, plan_index_key, sha256_hex
from lineage.store import read_optional
from lineage_cli.agent_jar import locate
from lineage_cli.agent_launch import (
    ADD_OPENS,
    LEGACY_PRODUCER_URL_KEY,
    PRODUCER_URL_KEY,
    AgentLaunch,
    AgentRun,
    run_with_agent,
)
from lineage_cli.agent_plugin import NOT_BUILT, PLUGIN_JAR_NAME, locate_plugin
from lineage_cli.producer_handshake import Handshake, handshake
from lineage_cli.producer_relay import Exchange, ProducerRelay
from stores import open_store

__all__ = ["DOCTOR_JOB", "JOB_TIMEOUT_S", "Doctor", "Finding", "Verdict"]

DOCTOR_JOB = Path(__file__).resolve().parent / "doctor_job.py"
JOB_TIMEOUT_S = 900.0
V1_CONTENT_TYPE = "application/json"


class Verdict(Enum):
    """How one check ended."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One check and its outcome, printed as one line."""

    check: str
    verdict: Verdict
    detail: str

    def line(self) -> str:
        return f"{self.verdict.value:<4} {self.check}: {self.detail}"


class _Stop(Exception):
    """A check failed; later checks would only repeat it."""


@dataclass
class Doctor:
    """Runs the checks in order, reporting each finding as it is made."""

    producer_url: str
    agent_jar: Path | None
    user_conf: Mapping[str, str]
    lake: str | None
    report: Callable[[Finding], None]
    job_timeout_s: float = JOB_TIMEOUT_S

    def _note(self, check: str, verdict: Verdict, detail: str) -> None:
        self.report(Finding(check, verdict, detail))

    def _fail(self, check: str, detail: str) -> NoReturn:
        self.report(Finding(check, Verdict.FAIL, detail))
        raise _Stop

    def run(self) -> bool:
        """True when lineage arrives; False after the first failing check."""
        try:
            launch = self._launch()
            answer = self._handshake(launch)
            plan, event = self._test_job(launch, answer)
            if self.lake is not None:
                self._raw_zone(self.lake, plan, event)
            self._known_gaps()
        except _Stop:
            return False
        return True

    def _launch(self) -> AgentLaunch:
        try:
            jar = locate(self.agent_jar)
        except LineageError as exc:
            self._fail("agent jar", str(exc))
        self._note("agent jar", Verdict.OK, str(jar))
        plugin = locate_plugin()
        if plugin is None:
            self._note("agent plugin", Verdict.WARN, f"{PLUGIN_JAR_NAME} {NOT_BUILT}")
        else:
            self._note("agent plugin", Verdict.OK, str(plugin))
        plugins = () if plugin is None else (plugin,)
        launch = AgentLaunch(jar, self.producer_url, self.user_conf, plugins)
        problem = launch.driver_options_problem()
        if problem is not None:
            self._fail("driver options", problem)
        self._note("driver options", Verdict.OK, f"spark.driver.extraJavaOptions has {ADD_OPENS}")
        return launch

    def _handshake(self, launch: AgentLaunch) -> Handshake:
        url = launch.effective_producer_url
        try:
            answer = handshake(url, conf=launch.conf())
        except LineageError as exc:
            self._fail("producer handshake", str(exc))
        verdict = Verdict.WARN if answer.legacy_layout else Verdict.OK
        self._note("producer handshake", verdict, answer.summary())
        return answer

    def _test_job(self, launch: AgentLaunch, answer: Handshake) -> tuple[Exchange, Exchange]:
        app = f"lineage-doctor-{uuid.uuid4().hex[:12]}"
        own_conf = {
            k: v
            for k, v in self.user_conf.items()
            if k not in (PRODUCER_URL_KEY, LEGACY_PRODUCER_URL_KEY)
        }
        handle, name = tempfile.mkstemp(prefix=f"{app}-", suffix=".log")
        log = Path(name)
        with tempfile.TemporaryDirectory(prefix="lineage-doctor-") as tmp:
            work = Path(tmp)
            (work / "input").mkdir()
            (work / "input" / "part-0.csv").write_text("id,name\n1,doctor\n", encoding="utf-8")
            with ProducerRelay(launch.effective_producer_url) as relay, open(handle, "wb") as out:
                relayed = AgentLaunch(launch.jar, relay.url, own_conf, launch.plugins)
                try:
                    run = run_with_agent(
                        relayed.command(DOCTOR_JOB, [app, str(work)]),
                        stdout_copy=out,
                        stderr_copy=out,
                        timeout_s=self.job_timeout_s,
                    )
                except LineageError as exc:
                    self._fail(f"test job {app}", f"{exc} (log: {log})")
                heads = relay.requests("HEAD")
                plans = relay.requests("POST", "/execution-plans")
                events = relay.requests("POST", "/execution-events")
        check = f"test job {app}"
        self._job_outcome(check, run, log, bool(heads))
        plan = self._delivered(check, "plan", _own_plan(plans, app), answer)
        plan_id = _plan_id(plan)
        event = self._delivered(check, "event", _own_event(events, plan_id), answer)
        log.unlink(missing_ok=True)
        self._note(
            check,
            Verdict.OK,
            f"the producer accepted plan {plan_id} (HTTP {plan.status}) and its event "
            f"(HTTP {event.status}), sent as {plan.content_type}",
        )
        return plan, event

    def _job_outcome(self, check: str, run: AgentRun, log: Path, asked_status: bool) -> None:
        problems = run.agent.problems()
        if run.agent.missing_add_opens:
            self._fail(check, f"{problems[0]} (log: {log})")
        if run.exit_code != 0:
            self._fail(check, f"the Spark job failed with exit {run.exit_code} (log: {log})")
        if run.agent.disabled:
            self._fail(check, f"{problems[0]} (log: {log})")
        if not asked_status:
            self._fail(
                check,
                "the agent never sent its status request: it did not start (a --conf that "
                f"replaces spark.sql.queryExecutionListeners or spark.jars?) (log: {log})",
            )

    def _delivered(
        self, check: str, what: str, exchange: Exchange | None, answer: Handshake
    ) -> Exchange:
        if exchange is None:
            self._fail(check, f"the agent sent no {what} for the test job's write")
        if exchange.status is None:
            self._fail(
                check, f"the producer could not be reached for the {what}: {exchange.reply_line()}"
            )
        if not exchange.accepted:
            hint = ""
            if answer.legacy_layout or exchange.content_type == V1_CONTENT_TYPE:
                hint = (
                    "; the agent sent the old v1.0 layout because the status reply had no "
                    "ABSA-Spline-API-Version header"
                )
            self._fail(
                check,
                f"the producer refused the {what}: HTTP {exchange.status} "
                f"{exchange.reply_line()}{hint}; the agent drops it and does not retry",
            )
        return exchange

    def _raw_zone(self, lake: str, plan: Exchange, event: Exchange) -> None:
        try:
            store = open_store(lake)
            plan_id = _plan_id(plan)
            plan_there = read_optional(store, plan_index_key(plan_id)) is not None
            digest = sha256_hex(event.body)
            today = datetime.now(UTC)
            event_there = any(
                read_optional(store, events_key(digest, day)) is not None
                for day in (today, today - timedelta(days=1))
            )
        except LineageError as exc:
            self._fail("raw zone", f"{lake}: {exc}")
        if not (plan_there and event_there):
            missing = " and ".join(
                what for what, there in (("plan", plan_there), ("event", event_there)) if not there
            )
            self._fail(
                "raw zone",
                f"the producer accepted them but the {missing} is not in {lake}: is --lake "
                "the raw zone this producer writes to?",
            )
        self._note("raw zone", Verdict.OK, f"plan {plan_id} and its event are in {lake}")

    def _known_gaps(self, plugin_attached: bool | None = None) -> None:
        """Warn about the writes of the formats in use whose lineage the agent never sends
        (with the project's agent plugin attached, by default when it is built, fewer)."""
        if plugin_attached is None:
            plugin_attached = locate_plugin() is not None
        formats = formats_in_conf(self.user_conf)
        for gap in gaps_for(formats, plugin_attached=plugin_attached) if formats else ():
            self._note("no lineage sent", Verdict.WARN, gap.line())


def _plan_id(plan: Exchange) -> str:
    body = plan.json()
    plan_id = body.get("id") if isinstance(body, dict) else None
    return str(plan_id).lower()


def _decoded(exchanges: list[Exchange]) -> Iterator[tuple[Exchange, object]]:
    """Each exchange with its JSON body; a body that is not JSON is nobody's payload."""
    for exchange in exchanges:
        try:
            yield exchange, exchange.json()
        except LineageError:
            continue


def _own_plan(plans: list[Exchange], app: str) -> Exchange | None:
    for plan, body in _decoded(plans):
        if isinstance(body, dict) and body.get("name") == app:
            return plan
    # The old layout names plans differently; one plan in a private relay is ours anyway.
    return plans[0] if len(plans) == 1 else None


def _own_event(events: list[Exchange], plan_id: str) -> Exchange | None:
    for batch, body in _decoded(events):
        if isinstance(body, list) and any(
            isinstance(e, dict) and str(e.get("planId", "")).lower() == plan_id for e in body
        ):
            return batch
    return None
