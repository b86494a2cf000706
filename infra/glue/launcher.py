"""Glue job script: runs the normalize job's entrypoint module from the project's extra-py-files.

Glue needs a script file; the job itself lives in the `glue_jobs` package shipped with
`--extra-py-files`. Which module to run is the `--lineage-entry-module` job argument
(see `RuntimeNames` in infra/lineage_infra/config.py), so renaming it needs no new script.
"""

from __future__ import annotations

import runpy
import sys

_FLAG = "--lineage-entry-module"


def main(argv: list[str]) -> None:
    """Remove our flag from argv and run the named module as `__main__`."""
    if _FLAG not in argv:
        raise SystemExit(f"missing job argument {_FLAG}")
    at = argv.index(_FLAG)
    if at + 1 >= len(argv):
        raise SystemExit(f"job argument {_FLAG} has no value")
    module = argv[at + 1]
    sys.argv = argv[:at] + argv[at + 2 :]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(list(sys.argv))
