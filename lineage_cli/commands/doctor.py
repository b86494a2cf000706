"""`lineage doctor`: why lineage does not arrive, checked the way the Spline agent itself works."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lineage.agent_gaps import AgentGap, formats_in_conf, gaps_for
from lineage.errors import LineageError
from lineage.raw_zone_layout import events_key, plan_index_key, sha256_hex
from lineage.store import read_optional
from lineage_cli.agent_jar import AGENT_JAR_ENV, locate
from lineage_cli.agent_launch import (
    ADD_OPENS,
    LEGACY_PRODUCER_URL_KEY,
    PRODUCER_URL_KEY,
    AgentLaunch,
    AgentRun,
    parse_conf,
    run_with_agent,
)
from lineage_cli.commands.spark_submit import DEFAULT_PRODUCER_URL
from lineage_cli.producer_handshake import Handshake, handshake
from lineage_cli.producer_relay import Exchange, ProducerRelay
from stores import open_store

DOCTOR_JOB = Path(__file__).resolve().parent.parent / "doctor_job.py"
JOB_TIMEOUT_S = 900.0
EXIT_NO_LINEAGE = 1
EXIT_USAGE = 2
V1_CONTENT_TYPE = "application/json"

HELP = "\n\n".join(
    [
        "What to run when lineage does not appear: checks, in order, what the Spline agent "
        "needs and stops at the first thing that would keep lineage from arriving.",
        "1. the agent jar (--agent-jar, $" + AGENT_JAR_ENV + ", or the cache of "
        "`make install`) is the agent bundle; 2. your --conf spark.driver.extraJavaOptions, if "
        f"any, keeps {ADD_OPENS} (without it the SparkSession itself fails on Java 17); "
        "3. the producer's handshake as the agent does it: HEAD URL/status must answer 2xx "
        "(anything else disables the agent), ABSA-Spline-API-Version lines (none means the "
        "agent falls back to the old v1.0 layout), gzip; OAuth settings in --conf get a token "
        "first; 4. a tiny Spark job (one CSV read, one Parquet write in a temporary folder) "
        "with the agent attached, named lineage-doctor-<id>, sent to the producer through a "
        "loopback relay that records the producer's answer to its plan and its event; "
        "5. with --lake (the producer's raw zone: a directory or s3://bucket/prefix), that "
        "the plan and the event landed there.",
        "The test job's lineage really reaches the producer: a job lineage-doctor-<id> then "
        "shows in the graph after the next rebuild.",
        "Last, when your --conf loads Iceberg or Delta Lake, a warn line per kind of write "
        "whose lineage the agent does not send at all (Iceberg MERGE/UPDATE/DELETE, ...): "
        "those writes will never show in the graph. --gaps lists them all and runs nothing.",
        "Exit code: 0 when lineage arrives, 1 when it would not (the line marked FAIL says "
        "why), 2 for bad arguments.",
    ]
)


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
        launch = AgentLaunch(jar, self.producer_url, self.user_conf)
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
                relayed = AgentLaunch(launch.jar, relay.url, own_conf)
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

    def _known_gaps(self) -> None:
        """Warn about the writes of the formats in use whose lineage the agent never sends."""
        formats = formats_in_conf(self.user_conf)
        for gap in gaps_for(formats) if formats else ():
            self._note("no lineage sent", Verdict.WARN, gap.line())


def gap_lines(gaps: tuple[AgentGap, ...]) -> list[str]:
    """`lineage doctor --gaps`: one line per kind of write the agent sends no lineage for."""
    return [f"{gap.table_format.value:<8} {gap.line()}" for gap in gaps]


def _plan_id(plan: Exchange) -> str:
    body = plan.json()
    plan_id = body.get("id") if isinstance(body, dict) else None
    return str(plan_id).lower()


def _own_plan(plans: list[Exchange], app: str) -> Exchange | None:
    for plan in plans:
        try:
            body = plan.json()
        except LineageError:
            continue
        if isinstance(body, dict) and body.get("name") == app:
            return plan
    # The old layout names plans differently; one plan in a private relay is ours anyway.
    return plans[0] if len(plans) == 1 else None


def _own_event(events: list[Exchange], plan_id: str) -> Exchange | None:
    for batch in events:
        try:
            body = batch.json()
        except LineageError:
            continue
        if isinstance(body, list) and any(
            isinstance(e, dict) and str(e.get("planId", "")).lower() == plan_id for e in body
        ):
            return batch
    return None


def register(app: typer.Typer) -> None:
    """Add `lineage doctor` to the CLI."""

    @app.command("doctor", help=HELP)
    def _command(
        producer_url: Annotated[
            str, typer.Option("--producer-url", help="Spline producer API base URL")
        ] = DEFAULT_PRODUCER_URL,
        lake: Annotated[
            str | None,
            typer.Option("--lake", help="the producer's raw zone, to check the payloads landed"),
        ] = None,
        agent_jar: Annotated[
            Path | None,
            typer.Option("--agent-jar", help=f"the agent jar (default: ${AGENT_JAR_ENV}, cache)"),
        ] = None,
        conf: Annotated[
            list[str] | None,
            typer.Option("--conf", help="a Spark setting KEY=VALUE as your jobs use (repeatable)"),
        ] = None,
        timeout: Annotated[
            float, typer.Option("--timeout", help="seconds the test job may take")
        ] = JOB_TIMEOUT_S,
        gaps: Annotated[
            bool,
            typer.Option(
                "--gaps", help="list the writes whose lineage the agent never sends, then exit"
            ),
        ] = False,
    ) -> None:
        if gaps:
            for line in gap_lines(gaps_for()):
                typer.echo(line)
            return
        try:
            user_conf = parse_conf(list(conf or []))
        except LineageError as exc:
            typer.echo(f"lineage doctor: {exc}", err=True)
            raise typer.Exit(code=EXIT_USAGE) from exc
        failures: list[Finding] = []

        def report(finding: Finding) -> None:
            typer.echo(finding.line())
            if finding.verdict is Verdict.FAIL:
                failures.append(finding)

        doctor = Doctor(producer_url, agent_jar, user_conf, lake, report, timeout)
        if doctor.run():
            typer.echo(f"lineage doctor: lineage arrives at {producer_url}")
            return
        cause = failures[0].detail if failures else "see above"
        typer.echo(f"lineage doctor: lineage would not arrive: {cause}", err=True)
        raise typer.Exit(code=EXIT_NO_LINEAGE)
