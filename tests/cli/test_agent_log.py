"""Reading the Spline agent's log lines: excerpts of what agent 2.2.0 printed in real runs.

Each excerpt is the agent's and Spark's own output (stack frames shortened), captured from
`spark-submit` runs of the real agent against producers that answered 200, 404, nothing, a 400
to every POST, and versions joined into one header line; the add-opens one is the PySpark
traceback that reaches stdout when the Java option is missing.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage_cli.agent_log import AgentLogReport, AgentLogScanner

pytestmark = pytest.mark.unit

ENABLED = """\
26/12/01 21:25:40 INFO SparkLineageInitializer: Initializing Spline Agent...
26/12/01 21:25:40 INFO SparkLineageInitializer: Spline Version: 2.2.0 (rev. unknown)
26/12/01 21:25:41 INFO HttpLineageDispatcher: Producer URL: http://127.0.0.1:38181/producer
26/12/01 21:25:43 INFO HttpLineageDispatcher: Using Producer API version: 1.2
26/12/01 21:27:10 INFO SparkLineageInitializer: Spline successfully initialized. Spark Lineage \
tracking is ENABLED.
"""

STATUS_404 = """\
26/12/01 21:30:25 INFO SparkLineageInitializer: Initializing Spline Agent...
26/12/01 21:30:29 ERROR SparkLineageInitializer: Spline initialization failed! Spark Lineage \
tracking is DISABLED.
za.co.absa.spline.harvester.exception.SplineInitializationException: Spark Agent was not able \
to establish connection to Spline Gateway. HTTP Response: 404\x20
\tat za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher$.$anonfun$getServerHeaders$2\
(HttpLineageDispatcher.scala:129)
\tat scala.util.Success.$anonfun$map$1(Try.scala:255)
26/12/01 21:30:30 INFO SparkContext: Invoking stop() from shutdown hook
"""

REFUSED_CONNECTION = """\
26/12/01 21:32:47 ERROR SparkLineageInitializer: Spline initialization failed! Spark Lineage \
tracking is DISABLED.
za.co.absa.spline.harvester.exception.SplineInitializationException: Spark Agent was not able \
to establish connection to Spline Gateway
\tat za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher$.$anonfun$getServerHeaders$1\
(HttpLineageDispatcher.scala:126)
\tat java.base/java.lang.Thread.run(Thread.java:840)
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)
\t... 75 more
{
  "type" : "struct",
"""

JOINED_VERSIONS = """\
26/12/01 21:35:56 WARN HttpLineageDispatcher: UPGRADE SPLINE AGENT! Producer API version 1.2 \
is deprecated
26/12/01 21:35:56 ERROR SparkLineageInitializer: Spline initialization failed! Spark Lineage \
tracking is DISABLED.
za.co.absa.spline.harvester.exception.SplineInitializationException: Spline Agent and Server \
versions don't match. Agent supports API versions 1 to 1.2, but the server only provides: \
1.2, 1.1, 1
"""

POSTS_REFUSED = """\
26/12/01 21:34:58 WARN CompositeLineageDispatcher: Proceeding after an error occurred in an \
underlying dispatcher: za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher
java.lang.RuntimeException: Cannot send lineage data to \
http://127.0.0.1:39585/producer/execution-plans. HTTP Response: 400 rejected by the capture server
\tat za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher.sendJson\
(HttpLineageDispatcher.scala:96)
26/12/01 21:34:59 WARN CompositeLineageDispatcher: Proceeding after an error occurred in an \
underlying dispatcher: za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher
java.lang.RuntimeException: Cannot send lineage data to \
http://127.0.0.1:39585/producer/execution-events. HTTP Response: 400 rejected by the capture server
\tat za.co.absa.spline.harvester.dispatcher.HttpLineageDispatcher.sendJson\
(HttpLineageDispatcher.scala:96)
26/12/01 21:35:00 INFO SparkContext: Invoking stop() from shutdown hook
"""

NO_ADD_OPENS = """\
pyspark.errors.exceptions.captured.IllegalArgumentException: Error while instantiating \
'org.apache.spark.sql.internal.SessionStateBuilder':

JVM stacktrace:
java.lang.IllegalArgumentException: Error while instantiating \
'org.apache.spark.sql.internal.SessionStateBuilder':
\tat org.apache.spark.sql.SparkSession$.org$apache$spark$sql$SparkSession$$instantiateSessionState\
(SparkSession.scala:1322)
Caused by: java.lang.reflect.InaccessibleObjectException: Unable to make public void \
sun.net.www.protocol.jar.JarURLConnection$JarURLInputStream.close() throws java.io.IOException \
accessible: module java.base does not "opens sun.net.www.protocol.jar" to unnamed module @6c6cb480
"""


def _scan(text: str) -> AgentLogReport:
    scanner = AgentLogScanner()
    for line in text.splitlines(keepends=True):
        scanner.feed(line)
    return scanner.report()


def test_an_enabled_agent_reports_no_problem() -> None:
    report = _scan(ENABLED)
    assert report.enabled
    assert report.api_version == "1.2"
    assert report.problems() == []


def test_a_404_status_reply_is_reported_as_disabled_with_its_cause() -> None:
    report = _scan(STATUS_404)
    assert report.disabled and not report.enabled
    assert report.problems() == [
        "the Spline agent was disabled, this job sent no lineage: Spark Agent was not able to "
        "establish connection to Spline Gateway. HTTP Response: 404"
    ]


def test_a_refused_connection_names_the_root_cause() -> None:
    (problem,) = _scan(REFUSED_CONNECTION).problems()
    assert problem.endswith(
        "not able to establish connection to Spline Gateway (Connection refused)"
    )


def test_joined_versions_are_reported_as_a_version_mismatch() -> None:
    (problem,) = _scan(JOINED_VERSIONS).problems()
    assert "versions don't match. Agent supports API versions 1 to 1.2, but the server only " in (
        problem
    )


def test_refused_posts_are_counted_and_the_first_answer_quoted() -> None:
    report = _scan(POSTS_REFUSED)
    assert not report.disabled
    assert report.send_failures == [
        "Cannot send lineage data to http://127.0.0.1:39585/producer/execution-plans. "
        "HTTP Response: 400 rejected by the capture server",
        "Cannot send lineage data to http://127.0.0.1:39585/producer/execution-events. "
        "HTTP Response: 400 rejected by the capture server",
    ]
    (problem,) = report.problems()
    assert problem.startswith("the Spline agent could not deliver 2 lineage request(s) and does")


def test_a_missing_add_opens_is_named_with_the_option() -> None:
    (problem,) = _scan(NO_ADD_OPENS).problems()
    assert "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED" in problem
    assert "the SparkSession itself fails" in problem


def test_reports_of_two_streams_merge() -> None:
    merged = _scan(ENABLED).merged(_scan(POSTS_REFUSED))
    assert merged.enabled and merged.api_version == "1.2"
    assert len(merged.send_failures) == 2


@given(st.lists(st.text(max_size=200), max_size=30))
def test_any_output_is_scanned_without_error(lines: list[str]) -> None:
    scanner = AgentLogScanner()
    for line in lines:
        scanner.feed(line)
    report = scanner.report()
    for problem in report.problems():
        assert "\n" not in problem
