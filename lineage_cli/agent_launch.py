"""How a PySpark script is started with the real Spline agent attached, and how it is watched.

One `AgentLaunch` builds the virtualenv's `spark-submit` command line (the agent jar and the
project's agent plugin, its listener, the producer URL, the Java 17 `--add-opens` the agent's
constructor needs, a driver bound to loopback) merged with the user's own `--conf` settings;
`run_with_agent` runs it while the agent's log lines are scanned. `lineage spark-submit` and
`lineage doctor` share both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from lineage.errors import LineageError
from lineage_cli.agent_jar import LISTENER_CLASS
from lineage_cli.agent_log import AgentLogReport, AgentLogScanner

PRODUCER_URL_KEY = "spark.spline.lineageDispatcher.http.producer.url"
LEGACY_PRODUCER_URL_KEY = "spark.spline.producer.url"
LISTENERS_KEY = "spark.sql.queryExecutionListeners"
JARS_KEY = "spark.jars"
DRIVER_OPTIONS_KEY = "spark.driver.extraJavaOptions"
# Java 17: without it the agent's listener constructor throws and the SparkSession itself fails
# to build (the job dies, not only its lineage).
ADD_OPENS = "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED"
# Everything here is local: a driver bound to the host's external address would make Spark warn
# and reach its own block manager through that interface.
LOOPBACK_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


class AgentLaunchError(LineageError):
    """A launch that cannot work as configured; the message names the setting and the fix."""


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` strings (repeatable `--conf`) as a mapping; later keys win, as in Spark."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AgentLaunchError(f"--conf {pair!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    return conf


def _merged_list(ours: str | Sequence[str], theirs: str | None) -> str:
    mine = [ours] if isinstance(ours, str) else list(ours)
    items = [*mine, *(item.strip() for item in (theirs or "").split(",") if item.strip())]
    return ",".join(dict.fromkeys(items))


def venv_tool(name: str) -> str:
    """A console script of this virtualenv (next to the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise AgentLaunchError(f"`{name}` not found next to {sys.executable} nor on PATH")
    return found


@dataclass(frozen=True)
class AgentLaunch:
    """The Spark settings that attach the Spline agent, with the user's `--conf` on top."""

    jar: Path
    producer_url: str
    user_conf: Mapping[str, str] = field(default_factory=dict)
    # Agent plugins (the project's, lineage_cli.agent_plugin): on spark.jars beside the agent,
    # which discovers them on the classpath by itself.
    plugins: tuple[Path, ...] = ()

    @property
    def effective_producer_url(self) -> str:
        """The URL the agent will use: a user's own producer-URL `--conf` wins over ours."""
        return (
            self.user_conf.get(PRODUCER_URL_KEY)
            or self.user_conf.get(LEGACY_PRODUCER_URL_KEY)
            or self.producer_url
        )

    def driver_options_problem(self) -> str | None:
        """Why the user's own driver Java options would break the SparkSession, or None."""
        options = self.user_conf.get(DRIVER_OPTIONS_KEY)
        if options is None or ADD_OPENS in options.split():
            return None
        return (
            f"your --conf {DRIVER_OPTIONS_KEY}={options!r} replaces ours and lacks {ADD_OPENS}: "
            "on Java 17 the Spline agent's listener cannot be built without it and the "
            "SparkSession itself fails; add it to your options"
        )

    def conf(self) -> dict[str, str]:
        """Every Spark setting passed to spark-submit, in a stable order."""
        merged: dict[str, str] = {
            **LOOPBACK_CONF,
            DRIVER_OPTIONS_KEY: ADD_OPENS,
            **self.user_conf,
        }
        merged[JARS_KEY] = _merged_list(
            [str(self.jar), *map(str, self.plugins)], self.user_conf.get(JARS_KEY)
        )
        merged[LISTENERS_KEY] = _merged_list(LISTENER_CLASS, self.user_conf.get(LISTENERS_KEY))
        merged[PRODUCER_URL_KEY] = self.effective_producer_url
        return merged

    def command(self, script: Path, args: Sequence[str]) -> list[str]:
        """The `spark-submit` command line that runs `script` with the agent attached."""
        command = [venv_tool("spark-submit")]
        for key, value in self.conf().items():
            command += ["--conf", f"{key}={value}"]
        return [*command, str(script), *args]


def launch_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: Spark's Python workers and its driver run this interpreter."""
    env = dict(os.environ if base is None else base)
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def _pump(source: IO[bytes], copy: BinaryIO | None, scanner: AgentLogScanner) -> None:
    for raw in source:
        if copy is not None:
            copy.write(raw)
            copy.flush()
        scanner.feed(raw.decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class AgentRun:
    """How a script run with the agent ended: its exit code and what the agent's log said."""

    exit_code: int
    agent: AgentLogReport


def run_with_agent(
    command: Sequence[str],
    *,
    stdout_copy: BinaryIO | None,
    stderr_copy: BinaryIO | None,
    env: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> AgentRun:
    """Run `command`, copying its stdout and stderr line by line while scanning both.

    Both are scanned: Spark logs (the agent's lines among them) go to stderr, but a PySpark
    script's own traceback, with the JVM's cause, reaches spark-submit's stdout. A copy of None
    drops that stream after scanning. A signal kill is reported the way shells do (128 + signal).
    """
    child = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else launch_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    # One scanner per stream: their lines interleave arbitrarily.
    scanners = (AgentLogScanner(), AgentLogScanner())
    pumps = [
        threading.Thread(target=_pump, args=(source, copy, scanner), daemon=True)
        for source, copy, scanner in zip(
            (child.stdout, child.stderr), (stdout_copy, stderr_copy), scanners, strict=True
        )
    ]
    for pump in pumps:
        pump.start()
    try:
        code = child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise AgentLaunchError(f"{command[0]} gave no result in {timeout_s:.0f} s") from None
    finally:
        for pump in pumps:
            pump.join(timeout=30)
        child.stdout.close()
        child.stderr.close()
    report = scanners[1].report().merged(scanners[0].report())
    return AgentRun(128 - code if code < 0 else code, report)


__all__ = [
    "ADD_OPENS",
    "AgentLaunch",
    "AgentLaunchError",
    "AgentRun",
    "launch_env",
    "parse_conf",
    "run_with_agent",
]
