"""The machine a benchmark ran on: CPU, memory, versions, and how busy it was."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "cpu_seconds",
    "describe_machine",
    "listener_cpu_seconds",
    "load_average",
    "process_tree_cpu_seconds",
    "process_tree_rss",
    "process_tree_rss_by_role",
    "stop_process",
    "summary_line",
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def _java_version() -> str | None:
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else None


def _spark_version() -> str | None:
    try:
        import pyspark

        return str(pyspark.__version__)
    except ImportError:
        return None


def load_average() -> str:
    """The 1/5/15-minute load averages, e.g. `13.5 10.5 6.5`."""
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def describe_machine() -> dict[str, str | int | float | None]:
    """CPU model, logical cores, memory, OS, Python/Java/Spark versions, current load."""
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": _java_version(),
        "spark": _spark_version(),
        "load_average_start": load_average(),
    }


def summary_line() -> str:
    """One line for a standalone run's report: CPU, cores, memory, OS, Python."""
    memory = _memory_gib()
    return (
        f"{_cpu_model()}, {os.cpu_count()} logical cores"
        f"{'' if memory is None else f', {memory} GiB RAM'}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listener_pid(port: int) -> int | None:
    """The pid of the process listening on a local TCP port (Linux /proc; else None).

    A server we did not start ourselves (the Gremlin Server's JVM) is found by its socket."""
    try:
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            except OSError:
                continue
            if any(f"socket:[{inode}]" in links for inode in inodes):
                return int(proc.name)
    except OSError:
        return None
    return None


def listener_cpu_seconds(port: int) -> float | None:
    """CPU seconds used so far by the process listening on a local TCP port (Linux; else None)."""
    pid = listener_pid(port)
    if pid is None:
        return None
    try:
        return cpu_seconds(pid)
    except OSError:
        return None


def _children(pid: int) -> Iterator[int]:
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            for child in text.split():
                yield int(child)
    except OSError:
        return


def process_tree_cpu_seconds(root_pid: int) -> float:
    """CPU seconds used so far by a process and all its descendants, the exited ones included
    (each live process's own time plus what it reaped: Linux `cutime`/`cstime`; 0 elsewhere).

    A descendant that exits before its parent reaps it is lost, so short-lived workers can be
    undercounted; Spark's Python workers are reaped by their daemon."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


def _tree(root_pid: int) -> Iterator[int]:
    """`root_pid` and every descendant alive now, each once (children listed after their
    parent is yielded; a process that exited lists none)."""
    stack, seen = [root_pid], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        yield pid
        stack.extend(_children(pid))


def process_tree_rss(root_pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants (Linux; 0 elsewhere)."""
    return sum(process_tree_rss_by_role(root_pid).values())


# Where a local Spark run keeps its memory: the Python driver (`root`), the JVM (in local mode one
# process is both Spark's driver and its executor), and the Python workers that run the tasks.
DRIVER_PYTHON = "driver_python"
JVM = "jvm"
PYTHON_WORKERS = "python_workers"
OTHER = "other"


def _role(pid: int, root_pid: int) -> str:
    if pid == root_pid:
        return DRIVER_PYTHON
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return OTHER
    name = Path(argv[0].decode(errors="replace")).name if argv and argv[0] else ""
    if name == "java":
        return JVM
    if b"pyspark.daemon" in argv or b"pyspark.worker" in argv:
        return PYTHON_WORKERS
    return OTHER


def process_tree_rss_by_role(root_pid: int) -> dict[str, int]:
    """Resident memory (bytes) of a process and its descendants, by role (Linux; {} elsewhere).

    Roles: DRIVER_PYTHON (`root_pid` itself), JVM, PYTHON_WORKERS (forked from one daemon, so
    pages they share are counted once per worker), OTHER."""
    totals: dict[str, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in _tree(root_pid):
        try:
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
        role = _role(pid, root_pid)
        totals[role] = totals.get(role, 0) + rss
    return totals


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """Stop a server or stage started in the background: SIGTERM, then SIGKILL if it is still
    there after `timeout_s` (a `serve --follow` in the middle of a delta finishes its load)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)
