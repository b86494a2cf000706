"""Run a PySpark script with the stand-in agent: `python -m agent_standin.run SCRIPT ARGS...`.

Like the agent's codeless initialization, the script needs no lineage code: the runner wraps
`SparkSession.Builder.getOrCreate` so the listener is registered on the session the script builds
(its app name and settings kept), runs the script with `runpy`, then drains Spark's listener bus so
lineage of the last write is sent before the process exits. The exit code is the script's.
"""

from __future__ import annotations

import logging
import os
import runpy
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("agent_standin")


def _install_hook() -> None:
    from pyspark.sql import SparkSession

    from agent_standin.listener import INIT_FLAG_KEY, enable_lineage_tracking

    original: Callable[..., Any] = SparkSession.Builder.getOrCreate

    def get_or_create(self: Any) -> Any:
        session = original(self)
        # getOrCreate is often called again for the same session; attach once, quietly.
        if session.conf.get(INIT_FLAG_KEY, "false") != "true":
            enable_lineage_tracking(session)
        return session

    SparkSession.Builder.getOrCreate = get_or_create  # type: ignore[method-assign]


def _drain() -> None:
    """Let pending listener calls finish, then stop the context the script left running."""
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    if context is None:
        return
    try:
        context._jsc.sc().listenerBus().waitUntilEmpty()
    finally:
        context.stop()


def main(argv: list[str]) -> int:
    """Run `argv[0]` as `__main__` with `argv[1:]` as its arguments; return its exit code."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 0 if argv else 2
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.setLevel(logging.INFO)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    _install_hook()
    script = argv[0]
    sys.argv = list(argv)
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        log.exception("%s failed", script)
        code = 1
    finally:
        _drain()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
