"""What the Spline agent's own log lines say about a run: enabled, disabled, or refused.

The agent reports everything through Spark's log (the driver's stderr): one INFO line when it is
enabled, one ERROR line followed by the exception when its start-up failed (lineage is then off
for the whole session while the job carries on), and an ERROR with the HTTP answer when a POST
failed (it never retries). Scanning those lines turns them into a one-line cause. Messages are
matched, not the line prefix, so a custom log4j pattern does not hide them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ENABLED_MARK = "Spark Lineage tracking is ENABLED"
DISABLED_MARK = "Spark Lineage tracking is DISABLED"
SEND_FAILED_MARK = "Cannot send lineage data to"
API_VERSION_MARK = "Using Producer API version:"
# The JDK's refusal when `--add-opens=java.base/sun.net.www.protocol.jar` is missing.
ADD_OPENS_MARKS = ('does not "opens sun.net.www.protocol.jar"',)
_LOG_RECORD = re.compile(r"^\S+ \S+ (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ")
_EXCEPTION = re.compile(r"^(?:Caused by: )?([\w$.]+(?:Exception|Error))(?::\s*(.*))?$")
_MAX_CAUSE = 400


def _exception_text(line: str) -> str | None:
    """`Message (cause)` of an exception line, without the exception's package name."""
    match = _EXCEPTION.match(line.strip())
    if match is None:
        return None
    name, message = match.group(1), (match.group(2) or "").strip()
    return message or name.rsplit(".", 1)[-1]


@dataclass
class AgentLogReport:
    """What the agent's log lines of one run said."""

    enabled: bool = False
    api_version: str | None = None
    disabled: bool = False
    disable_cause: str | None = None
    send_failures: list[str] = field(default_factory=list)
    missing_add_opens: bool = False

    def merged(self, other: AgentLogReport) -> AgentLogReport:
        """This report with what `other` (another stream of the same run) saw added."""
        return AgentLogReport(
            enabled=self.enabled or other.enabled,
            api_version=self.api_version or other.api_version,
            disabled=self.disabled or other.disabled,
            disable_cause=self.disable_cause or other.disable_cause,
            send_failures=[*self.send_failures, *other.send_failures],
            missing_add_opens=self.missing_add_opens or other.missing_add_opens,
        )

    def problems(self) -> list[str]:
        """One line per reason the run's lineage did not (all) arrive; empty when none showed."""
        found: list[str] = []
        if self.missing_add_opens:
            found.append(
                "the Spline agent's listener could not be built: Java 17 needs "
                "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED in "
                "spark.driver.extraJavaOptions (without it the SparkSession itself fails)"
            )
        if self.disabled:
            cause = self.disable_cause or "see the ERROR above"
            found.append(f"the Spline agent was disabled, this job sent no lineage: {cause}")
        if self.send_failures:
            count = len(self.send_failures)
            found.append(
                f"the Spline agent could not deliver {count} lineage request(s) and does not "
                f"retry: {self.send_failures[0]}"
            )
        return found


@dataclass
class AgentLogScanner:
    """Feed it the driver's stderr line by line; `report()` says what the agent logged."""

    _report: AgentLogReport = field(default_factory=AgentLogReport)
    _collecting: str | None = None
    _exceptions: list[str] = field(default_factory=list)

    def feed(self, line: str) -> None:
        """Take one line of the driver's stderr."""
        line = line.rstrip("\r\n")
        if _LOG_RECORD.match(line):
            self._finish()
        report = self._report
        if any(mark in line for mark in ADD_OPENS_MARKS):
            report.missing_add_opens = True
        if ENABLED_MARK in line:
            report.enabled = True
        elif API_VERSION_MARK in line:
            report.api_version = line.split(API_VERSION_MARK, 1)[1].strip() or None
        elif DISABLED_MARK in line:
            report.disabled = True
            self._collecting = "disabled"
        elif SEND_FAILED_MARK in line:
            self._collecting = "send"
            self._exceptions = [line[line.index(SEND_FAILED_MARK) :].strip()]
        elif self._collecting is not None:
            text = _exception_text(line)
            if text is not None:
                self._exceptions.append(text)
            elif not line[:1].isspace():
                # Past the stack trace (frames and "... N more" are indented).
                self._finish()

    def _finish(self) -> None:
        # A cause is the exception's message plus its root cause, once the record ends.
        if self._collecting is None:
            return
        parts = list(dict.fromkeys(self._exceptions))
        cause = parts[0] if parts else None
        if cause is not None and len(parts) > 1:
            cause = f"{cause} ({parts[-1]})"
        if cause is not None:
            cause = " ".join(cause.split())[:_MAX_CAUSE]
        if self._collecting == "disabled":
            self._report.disable_cause = self._report.disable_cause or cause
        elif cause is not None:
            self._report.send_failures.append(cause)
        self._collecting = None
        self._exceptions = []

    def report(self) -> AgentLogReport:
        """What the lines fed so far said."""
        self._finish()
        return self._report


__all__ = ["AgentLogReport", "AgentLogScanner"]
