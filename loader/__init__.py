"""Loading Neptune Gremlin CSV folders: into Amazon Neptune (bulk loader) or a local Gremlin Server.

`run_load` is the one entry point shared by the CLI (`lineage load`) and the nightly Glue job.
"""

from loader.report import LoadReport
from loader.run import LocalTarget, NeptuneTarget, run_load

__all__ = ["LoadReport", "LocalTarget", "NeptuneTarget", "run_load"]
