"""The benchmarks: a deterministic workload generator and every pipeline stage measured.

`lineage bench` (the CLI) only parses options and calls `runner.run_bench`. The package:
`workload` (with `plan_builder` and `plan_shapes`) writes a raw zone of realistic Spline plans;
one module per measured stage (`producer`, `normalize`, `load`, `read_api`), each also runnable
alone with `python -m lineage_bench.<stage>`; `stages` turns their figures into `results`;
`runner` orders a run; `graph` starts throwaway Gremlin Servers; `graph_lake` writes a CSV
build straight from graph rows for the read API alone; `machine` describes where it ran;
`report_view` prints a report.
"""
