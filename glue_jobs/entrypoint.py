"""Thin entry point of the normalize job: AWS Glue 5.0 when `awsglue` is importable, else local.

Glue job arguments (all `--name value`): `--lake`, `--out` (required), `--date_from`, `--date_to`
(YYYY-MM-DD), `--max_bad_share` (0..1), `--gzip` (true/false), `--layer_rules` (a local path or
s3:// URI of a layer-rules JSON), `--as_of` / `--landed_before` (ISO-8601 UTC), and
`--on_built module:function`, a callable given the BuildResult (e.g. the loader's Glue hook).
With `--scheduled true`, `--out` is a build prefix: each run writes a delta build on top of the
last one into its own folder and records it in `LATEST.json` after the hook (the load)
succeeded (glue_jobs/normalize/scheduled.py); `--full true` forces a full rebuild.
The loader itself is never imported here. On Glue, a run without `--landed_before` uses its
own start time, so the build stays verifiable after more payloads land. Nothing here is
imported by the transforms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from lineage.dataset_identity import LayerRules
from stores import open_store

__all__ = ["build_params", "main", "parse_instant", "resolve_hook", "with_nightly_cutoff"]

_OPTIONAL = (
    "date_from",
    "date_to",
    "max_bad_share",
    "gzip",
    "layer_rules",
    "as_of",
    "landed_before",
    "on_built",
    "scheduled",
    "full",
)


def parse_instant(text: str) -> int:
    """Epoch milliseconds of an ISO-8601 instant (`Z` or an offset; a bare date is midnight UTC)."""
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp() * 1000)


def build_params(args: dict[str, str]) -> NormalizeParams:
    """NormalizeParams from job arguments given as strings."""
    rules, rules_source = LayerRules.default(), "default"
    if args.get("layer_rules"):
        rules_source = args["layer_rules"]
        store_root, _, name = rules_source.rpartition("/")
        raw = open_store(store_root or ".").read(name)
        rules = LayerRules.from_json_bytes(raw, rules_source)
    return NormalizeParams(
        lake=args["lake"],
        out=args["out"],
        date_from=dt.date.fromisoformat(args["date_from"]) if args.get("date_from") else None,
        date_to=dt.date.fromisoformat(args["date_to"]) if args.get("date_to") else None,
        max_bad_share=float(args.get("max_bad_share") or 0.05),
        gzip=(args.get("gzip") or "false").lower() == "true",
        layer_rules=rules,
        layer_rules_source=rules_source,
        as_of_ms=parse_instant(args["as_of"]) if args.get("as_of") else None,
        landed_before_ms=parse_instant(args["landed_before"])
        if args.get("landed_before")
        else None,
    )


def with_nightly_cutoff(args: dict[str, str], started: dt.datetime) -> dict[str, str]:
    """A scheduled run builds from what had landed when it started, unless told otherwise.

    Recording the cut-off as `landed_before` in the manifest is what lets `lineage verify`
    reproduce a nightly build later, after more payloads have landed.
    """
    if args.get("landed_before"):
        return args
    cutoff = started.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {**args, "landed_before": cutoff}


def resolve_hook(spec: str) -> Callable[[BuildResult], Any]:
    """The callable named `module:function`."""
    module_name, _, attr = spec.partition(":")
    hook = getattr(importlib.import_module(module_name), attr)
    if not callable(hook):
        raise TypeError(f"{spec} is not callable")
    return hook  # type: ignore[no-any-return]


def _glue_args(argv: Sequence[str]) -> dict[str, str] | None:
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    present = [name for name in _OPTIONAL if f"--{name}" in argv]
    resolved: dict[str, str] = getResolvedOptions(list(argv), ["lake", "out", *present])
    return resolved


LOOPBACK_SPARK_CONF: dict[str, str] = {
    # Without these the driver's RPC and block-manager ports bind to the address the machine's
    # host name resolves to, reachable from the network, and the web UI to every interface.
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
}
"""Spark settings of every local (`local[...]` master) session: it listens on loopback only."""


def local_session_conf(master: str) -> dict[str, str]:
    """The settings a session with `master` gets here: loopback binding for local masters only.

    A cluster master (`spark://`, `yarn`, `k8s://`) needs a driver address the executors can
    reach, so it is left alone.
    """
    return dict(LOOPBACK_SPARK_CONF) if master.startswith("local") else {}


def _local_args(argv: Sequence[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(description="Run the normalize job locally.")
    parser.add_argument("--lake", required=True)
    parser.add_argument("--out", required=True)
    for name in _OPTIONAL:
        parser.add_argument(f"--{name}")
    return {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job with arguments from Glue (or the command line locally)."""
    from pyspark.sql import SparkSession

    argv = list(sys.argv[1:] if argv is None else argv)
    glue_args = _glue_args(sys.argv)
    args = glue_args or _local_args(argv)
    builder = SparkSession.builder.appName("lineage-normalize")
    if glue_args is not None:
        args = with_nightly_cutoff(args, dt.datetime.now(dt.UTC))
    else:
        from pyspark import SparkConf, SparkContext

        # The master `spark-submit` was given is known only to the JVM it launched.
        SparkContext._ensure_initialized()
        master = SparkConf().get("spark.master", "local[*]") or "local[*]"
        for key, value in local_session_conf(master).items():
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    params = build_params(args)
    if _flag(args, "scheduled"):
        return _scheduled(spark, args, params)
    result = run_normalize(spark, open_store(params.lake), open_store(params.out), params, print)
    if args.get("on_built"):
        resolve_hook(args["on_built"])(result)
    return 0


def _flag(args: dict[str, str], name: str) -> bool:
    return (args.get(name) or "false").lower() == "true"


def _scheduled(spark: Any, args: dict[str, str], params: NormalizeParams) -> int:
    """A scheduled run: delta (or full) build under the prefix, load, then record the pointer."""
    from glue_jobs.normalize.scheduled import record_pointer, run_scheduled

    if params.landed_before_ms is None:
        args = with_nightly_cutoff(args, dt.datetime.now(dt.UTC))
        params = build_params(args)
    lake = open_store(params.lake)
    result, pointer = run_scheduled(
        spark, lake, params.out, params, full=_flag(args, "full"), progress=print
    )
    if not any(o.kind in ("vertex", "edge") for o in result.manifest.outputs):
        print(f"{pointer.build}: nothing new to load")
    elif args.get("on_built"):
        resolve_hook(args["on_built"])(result)
    record_pointer(params.out, pointer)
    print(f"recorded {pointer.kind.value} build {pointer.build} in {params.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
