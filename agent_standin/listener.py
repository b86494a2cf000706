"""The py4j-side `QueryExecutionListener` and its registration on a Spark session."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from agent_standin.config import AGENT_NAME, AGENT_VERSION, AgentConfig
from agent_standin.dispatcher import HttpDispatcher
from agent_standin.errors import ProducerUnavailableError
from agent_standin.harvester import LineageHarvester
from agent_standin.jvm import JavaObject

log = logging.getLogger("agent_standin")

# Same session flag the agent sets so that lineage tracking is enabled once per session.
INIT_FLAG_KEY = "spline.initializedFlag"


class StandinQueryExecutionListener:
    """Implements the JVM interface `QueryExecutionListener`; Spark calls it after every action.

    Calls arrive on Spark's listener-bus thread through py4j's callback server. Any error is
    logged and swallowed, as the agent does: lineage must never fail the user's job.
    """

    def __init__(self, harvester: LineageHarvester, dispatcher: HttpDispatcher) -> None:
        self._harvester = harvester
        self._dispatcher = dispatcher
        self.plans_sent = 0
        self.events_sent = 0

    def onSuccess(self, funcName: str, qe: JavaObject, durationNs: int) -> None:
        self._handle(funcName, qe, int(durationNs), None)

    def onFailure(self, funcName: str, qe: JavaObject, exception: JavaObject) -> None:
        self._handle(funcName, qe, None, exception)

    def _handle(
        self, func_name: str, qe: JavaObject, duration_ns: int | None, error: JavaObject | None
    ) -> None:
        started = time.monotonic()
        try:
            harvested = self._harvester.harvest(func_name, qe, duration_ns, error)
            if harvested is None:
                return
            plan, event = harvested
            self._dispatcher.send_plan(plan)
            self.plans_sent += 1
            self._dispatcher.send_event(event)
            self.events_sent += 1
            log.info(
                "lineage sent: plan %s -> %s (%.2f s)",
                plan.id,
                plan.write.output_source,
                time.monotonic() - started,
            )
        except Exception:
            log.exception("Unexpected error occurred during lineage processing")

    class Java:
        implements: ClassVar[list[str]] = ["org.apache.spark.sql.util.QueryExecutionListener"]


@dataclass
class LineageTracking:
    """Handle on an enabled listener; `disable()` unregisters it from the session."""

    session: Any
    listener: StandinQueryExecutionListener

    def disable(self) -> None:
        self.session._jsparkSession.listenerManager().unregister(self.listener)
        self.session.conf.set(INIT_FLAG_KEY, "false")


def enable_lineage_tracking(
    session: Any, config: AgentConfig | None = None
) -> LineageTracking | None:
    """Register the stand-in listener on a PySpark `SparkSession`; None when lineage stays off.

    Without `config`, settings come from the session's conf (`spark.spline.producer.url`) or the
    `SPLINE_PRODUCER_URL` environment variable. An unreachable or incompatible producer disables
    lineage with one log line and the job runs on, exactly like the agent.
    """
    from pyspark.java_gateway import ensure_callback_server_started

    log.info("Initializing Spline Agent (Python stand-in %s)...", AGENT_VERSION)
    config = config or AgentConfig.from_session(session)
    if config is None or not config.enabled:
        log.info("Spline is disabled or has no producer URL: initialization aborted")
        return None
    if session.conf.get(INIT_FLAG_KEY, "false") == "true":
        log.warning("Spline lineage tracking is already initialized!")
        return None
    try:
        dispatcher = HttpDispatcher(config)
    except ProducerUnavailableError as exc:
        log.error("Spline initialization failed! Spark Lineage tracking is DISABLED. %s", exc)
        return None
    context = session.sparkContext
    gateway = context._gateway
    ensure_callback_server_started(gateway)  # type: ignore[no-untyped-call]
    harvester = LineageHarvester(session._jsparkSession, gateway.jvm, (AGENT_NAME, AGENT_VERSION))
    listener = StandinQueryExecutionListener(harvester, dispatcher)
    session._jsparkSession.listenerManager().register(listener)
    session.conf.set(INIT_FLAG_KEY, "true")
    log.info("Spline successfully initialized. Spark Lineage tracking is ENABLED.")
    return LineageTracking(session, listener)
