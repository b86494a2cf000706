"""Run by test_worker_loss.py in its own process: a build whose Python worker is killed mid-task.

Usage: python worker_loss_run.py LAKE OUT_PLAIN OUT_KILLED MARKER KEY. Builds LAKE twice on
`local[2,2]` (a failed task is retried once): first plainly, then with a store whose first read
of KEY kills the Python worker reading it (SIGKILL, as the OOM killer would). Prints one JSON
line: {"attempts_killed": n, "driver_pid": pid}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from glue_jobs.local_spark import local_spark, stop_local_spark
from glue_jobs.normalize import NormalizeParams, run_normalize
from stores import LocalStore


class KillingStore(LocalStore):
    """A LocalStore whose first read of one key kills the process reading it."""

    def __init__(self, path: str, key: str, marker: str) -> None:
        super().__init__(path)
        self.key = key
        self.marker = marker

    def read(self, key: str) -> bytes:
        """Read `key`; the first time it is `self.key`, leave a marker and die instead."""
        if key == self.key and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().read(key)


def main() -> int:
    lake, plain, killed, marker, key = sys.argv[1:6]
    spark = local_spark("local[2,2]", "1g")
    try:
        for out, store in ((plain, LocalStore(lake)), (killed, KillingStore(lake, key, marker))):
            params = NormalizeParams(lake=lake, out=out, max_bad_share=0.9)
            run_normalize(spark, store, LocalStore(out), params)
    finally:
        stop_local_spark(spark)
    killed_count = 1 if os.path.exists(marker) else 0
    print(json.dumps({"attempts_killed": killed_count, "driver_pid": os.getpid()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
