"""Start, stop and inspect the local Gremlin Server process.

`start` returns only once the server has answered a traversal; a server that dies, refuses to
bind or never answers is killed and reported with its log. `stop` asks the JVM to shut down
(which writes the persistence file) and kills it only if it does not exit in time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from local_neptune.config import (
    ALLOWED_ORIGINS_PROPERTY,
    ServerLayout,
    ServerSettings,
    render_graph_properties,
    render_server_yaml,
    validate_origin,
)
from local_neptune.errors import (
    GraphServerError,
    PortInUseError,
    PrerequisiteError,
    ServerStartError,
    ServerStopError,
)
from local_neptune.extension import extension_jar, server_jars
from local_neptune.ports import free_port, port_problem
from local_neptune.probe import GraphCounts, ProbeFailed, port_accepts, query_counts
from local_neptune.state import ServerState, clear_state, read_state, write_state

__all__ = ["ServerStatus", "StartResult", "StopResult", "start", "status", "stop"]

MAIN_CLASS = "org.apache.tinkerpop.gremlin.server.GremlinServer"
LOG_TAIL_LINES = 20
HEAP = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")
# Printed by Gremlin Server when it cannot bind; the JVM then hangs instead of exiting.
UNABLE_TO_START = "Gremlin Server was unable to start"
# Logged (as a warning) when closing the graph could not write the persistence file.
SAVE_FAILED = re.compile(r"Could not save graph at .*")
LOG_ENTRY = re.compile(r"^\S+ \[[^\]]*\] (?P<level>[A-Z]+) \S+ - (?P<message>.*)$")
STACK_FRAME = re.compile(r"^\s+(at |\.\.\. \d+ more)")

Progress = Callable[[str], None]

# Servers launched by this Python process, so `stop` can reap them instead of leaving zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class StartResult:
    """The running server and what its graph held when it first answered."""

    state: ServerState
    counts: GraphCounts
    already_running: bool
    startup_s: float


@dataclass(frozen=True)
class StopResult:
    """What `stop` found and did."""

    state: ServerState | None
    """The server that was stopped, or None when none was running."""
    forced: bool
    """True when the JVM ignored SIGTERM and was killed (the persistence file was not written)."""
    stale: bool
    """True when the recorded process was already gone."""
    save_error: str | None = None
    """Why the persistence file could not be written, when the server logged that."""


@dataclass(frozen=True)
class ServerStatus:
    """The recorded server, whether its process lives, and whether it answers."""

    state: ServerState | None
    alive: bool
    counts: GraphCounts | None
    problem: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@contextlib.contextmanager
def _locked(layout: ServerLayout) -> Iterator[None]:
    """Serialize start/stop of one state folder across processes."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    with layout.lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        # Reaps the process if it is our child (a zombie would otherwise look alive).
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(state: ServerState) -> bool:
    """True when the recorded pid still runs the server we launched (pids get reused)."""
    if not _alive(state.pid):
        return False
    cmdline = Path(f"/proc/{state.pid}/cmdline")
    if not cmdline.parent.exists():
        return True  # no /proc (macOS): trust the pid
    try:
        return state.config_path in cmdline.read_bytes().decode(errors="replace")
    except OSError:
        return False


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        # The server leads its own process group (start_new_session), so this reaches only it.
        os.killpg(pid, signum)


def _wait_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _terminate(pid: int, timeout_s: float) -> bool:
    """SIGTERM, then SIGKILL after `timeout_s`; returns True when SIGKILL was needed."""
    _signal(pid, signal.SIGTERM)
    if _wait_exit(pid, timeout_s):
        forced = False
    else:
        _signal(pid, signal.SIGKILL)
        if not _wait_exit(pid, 10.0):
            raise ServerStopError(f"Gremlin Server (pid {pid}) survived SIGKILL")
        forced = True
    _children.pop(pid, None)
    return forced


def _check_port_free(host: str, port: int) -> None:
    problem = port_problem(host, port)
    if problem is not None:
        raise PortInUseError(
            f"port {port} on {host} is {problem} (choose another with --port)"
            if problem.startswith("already")
            else f"cannot listen on {host}:{port}: {problem}"
        )


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> tuple[str, ...]:
    """The last lines of the log, without Java stack frames (they would crowd out the causes)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    kept = [
        line.rstrip() for line in text.splitlines() if line.strip() and not STACK_FRAME.match(line)
    ]
    return tuple(kept[-lines:])


def _log_cause(path: Path) -> str:
    """What the log says went wrong, in one line.

    The first ERROR (else WARN) entry, told by the exceptions chained under it: the outermost
    one that says something, and the root cause. Without such an entry (the JVM itself failed),
    the last line the JVM printed.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log written"
    for level in ("ERROR", "WARN"):
        for index, line in enumerate(lines):
            entry = LOG_ENTRY.match(line)
            if entry is not None and entry["level"] == level:
                return _describe(entry["message"].strip(), lines[index + 1 :])
    meaningful = [line.strip() for line in lines if line.strip() and not STACK_FRAME.match(line)]
    return meaningful[-1] if meaningful else "the log is empty"


def _describe(message: str, following: list[str]) -> str:
    causes: list[str] = []
    for line in following:
        if LOG_ENTRY.match(line):
            break
        if line.startswith("Caused by: ") and ": " in line[len("Caused by: ") :]:
            # "Caused by: java.lang.X: text" -> "text"
            causes.append(line[len("Caused by: ") :].split(": ", 1)[1].strip())
    if not causes:
        return message
    outer, root = causes[0], causes[-1]
    return outer if root in outer else f"{outer} ({root})"


# Gryo (Kryo) reflects into java.base when it saves or loads the graph; on Java 17 that needs
# the same opens TinkerPop's own build passes to its tests.
JAVA_OPENS = tuple(
    f"--add-opens=java.base/{package}=ALL-UNNAMED"
    for package in (
        "java.io",
        "java.nio",
        "sun.nio.cs",
        "java.lang",
        "java.lang.invoke",
        "java.lang.reflect",
        "java.util",
        "java.util.concurrent",
        "java.util.concurrent.atomic",
        "java.net",
    )
)


# The graph is long-lived data filling most of the heap (7.2 GiB of a 10 GiB heap at 100k
# plans). G1's adaptive threshold starts a concurrent marking cycle once the heap is about 45 %
# full, so it marked over and over, 20-30 s per cycle on one of two cores, and the mixed
# collections after a cycle paused reads for up to a second. Marking from 80 % on leaves the
# settled graph alone and still starts in time during a load (at 100k plans: no marking cycle
# during the load or the reads after it; docs/benchmarks.md, "Read API").
GC_OPTIONS = ("-XX:-G1UseAdaptiveIHOP", "-XX:InitiatingHeapOccupancyPercent=80")


def _java_command(
    java: str, settings: ServerSettings, classpath: list[Path], yaml: Path
) -> list[str]:
    return [
        java,
        f"-Xmx{settings.heap}",
        *GC_OPTIONS,
        *JAVA_OPENS,
        f"-D{ALLOWED_ORIGINS_PROPERTY}={','.join(settings.allowed_origins)}",
        "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.logFile=System.out",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "-cp",
        os.pathsep.join(str(entry) for entry in classpath),
        MAIN_CLASS,
        str(yaml),
    ]


def _running(layout: ServerLayout) -> ServerState | None:
    """The recorded server if its process still runs; forgets a stale record."""
    state = read_state(layout)
    if state is None:
        return None
    if _is_ours(state):
        return state
    clear_state(layout)
    return None


def start(
    settings: ServerSettings,
    layout: ServerLayout,
    progress: Progress | None = None,
) -> StartResult:
    """Launch the server and return once it answers a traversal.

    Idempotent: when this layout's server already runs on the same port it is returned as is.
    Raises PrerequisiteError, PortInUseError, ServerStartError or GraphServerError.
    """
    say = progress or (lambda _message: None)
    if not HEAP.match(settings.heap):
        raise GraphServerError(f"invalid heap size {settings.heap!r}: use a number with k, m or g")
    try:
        origins = tuple(validate_origin(origin) for origin in settings.allowed_origins)
    except ValueError as exc:
        raise GraphServerError(str(exc)) from None
    settings = replace(settings, allowed_origins=origins)
    if settings.persist_path is not None and settings.persist_path.is_dir():
        raise GraphServerError(f"--persist {settings.persist_path} is a directory, not a file")
    began = time.monotonic()
    with _locked(layout):
        current = _running(layout)
        if current is not None:
            if settings.port not in (0, current.port):
                raise GraphServerError(
                    f"a local Gremlin Server already runs on port {current.port} "
                    f"(pid {current.pid}); stop it before starting one on port {settings.port}"
                )
            try:
                counts = query_counts(current.endpoint, timeout_s=10.0)
            except ProbeFailed as exc:
                raise GraphServerError(
                    f"the local Gremlin Server (pid {current.pid}) runs but does not answer: {exc}"
                ) from exc
            return StartResult(current, counts, already_running=True, startup_s=0.0)

        java = shutil.which("java")
        if java is None:
            raise PrerequisiteError("java not found: install a Java 17 JDK and retry")
        if settings.port == 0:
            settings = replace(settings, port=free_port(settings.host))
        _check_port_free(settings.host, settings.port)
        jars = server_jars(layout)
        say("compiling the Neptune-compatibility extension (first start only)")
        extension = extension_jar(layout)

        layout.graph_properties.write_text(render_graph_properties(settings), encoding="utf-8")
        layout.server_yaml.write_text(
            render_server_yaml(settings, layout.graph_properties), encoding="utf-8"
        )
        # The extension goes first: its script engine factory must shadow the Groovy one.
        command = _java_command(java, settings, [extension, *jars], layout.server_yaml.resolve())
        say(f"launching Gremlin Server on {settings.host}:{settings.port}")
        with layout.log_file.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=layout.state_dir,
                start_new_session=True,  # survives the CLI; stopped by `lineage graph stop`
            )
        _children[process.pid] = process
        state = ServerState(
            pid=process.pid,
            port=settings.port,
            endpoint=settings.endpoint,
            log_path=str(layout.log_file.resolve()),
            config_path=str(layout.server_yaml.resolve()),
            persist_path=str(settings.persist_path.resolve()) if settings.persist_path else None,
            started_at=_now(),
        )
        # Recorded before the wait, so an interrupted start can still be stopped.
        write_state(layout, state)
        try:
            counts = _await_answer(process, settings, layout, say)
        except BaseException:
            _terminate(process.pid, 5.0)
            clear_state(layout)
            raise
        return StartResult(state, counts, already_running=False, startup_s=time.monotonic() - began)


def _await_answer(
    process: subprocess.Popen[bytes],
    settings: ServerSettings,
    layout: ServerLayout,
    say: Progress,
) -> GraphCounts:
    say("waiting for the server to answer a traversal")
    deadline = time.monotonic() + settings.start_timeout_s
    while True:
        code = process.poll()
        if code is not None:
            cause = _log_cause(layout.log_file)
            raise ServerStartError(
                f"Gremlin Server exited with code {code} during start-up: {cause}",
                _log_tail(layout.log_file),
            )
        log_text = layout.log_file.read_text(encoding="utf-8", errors="replace")
        if UNABLE_TO_START in log_text:
            raise ServerStartError(
                f"Gremlin Server could not start: {_log_cause(layout.log_file)}",
                _log_tail(layout.log_file),
            )
        # Probe only once our JVM says it listens: whatever else answered on the port before
        # (a process that took it after our check) is not the server.
        if f"Channel started at port {settings.port}." in log_text:
            try:
                return query_counts(settings.endpoint, timeout_s=10.0)
            except ProbeFailed as exc:
                # Our server refused the traversal: the graph or `g` failed to initialize, which
                # waiting will not fix. No answer at all (a busy machine) is worth a retry.
                if exc.answered or time.monotonic() > deadline:
                    raise ServerStartError(
                        f"Gremlin Server cannot run a traversal: {_log_cause(layout.log_file)}",
                        _log_tail(layout.log_file),
                    ) from exc
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"Gremlin Server did not answer a traversal within {settings.start_timeout_s:g} s",
                _log_tail(layout.log_file),
            )
        time.sleep(0.2)


def stop(layout: ServerLayout, timeout_s: float = 60.0) -> StopResult:
    """Stop the recorded server and wait until its port is free.

    SIGTERM lets the JVM close the graph, which writes the persistence file; after `timeout_s`
    the process is killed and the result says so.
    """
    with _locked(layout):
        state = read_state(layout)
        if state is None:
            return StopResult(None, forced=False, stale=False)
        if not _is_ours(state):
            clear_state(layout)
            return StopResult(state, forced=False, stale=True)
        forced = _terminate(state.pid, timeout_s)
        deadline = time.monotonic() + 10.0
        while port_accepts("127.0.0.1", state.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        clear_state(layout)
        save_error = None
        if state.persist_path is not None:
            log_text = Path(state.log_path).read_text(encoding="utf-8", errors="replace")
            found = SAVE_FAILED.search(log_text)
            if forced:
                save_error = "the server was killed before it could save"
            elif found is not None:
                save_error = _save_cause(log_text, found.group(0))
        return StopResult(state, forced=forced, stale=False, save_error=save_error)


def _save_cause(log_text: str, headline: str) -> str:
    """The save failure and its root cause (the last `Caused by:` of the trace)."""
    after = log_text[log_text.index(headline) :]
    causes = re.findall(r"Caused by: (.*)", after.split(" WARN ", 1)[0])
    return f"{headline}: {causes[-1]}" if causes else headline


def status(layout: ServerLayout, timeout_s: float = 5.0) -> ServerStatus:
    """Whether the recorded server runs and answers, with its element counts when it does."""
    state = read_state(layout)
    if state is None:
        return ServerStatus(None, alive=False, counts=None, problem=None)
    if not _is_ours(state):
        return ServerStatus(state, alive=False, counts=None, problem="the process has exited")
    try:
        counts = query_counts(state.endpoint, timeout_s=timeout_s)
    except ProbeFailed as exc:
        return ServerStatus(state, alive=True, counts=None, problem=str(exc))
    return ServerStatus(state, alive=True, counts=counts, problem=None)
