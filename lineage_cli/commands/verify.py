"""`lineage verify`: check a build against the raw zone: input hashes, then a re-run of the job.

The build's `manifest.json` names every raw object the build read (key, size, SHA-256), the
parameters and the code version. Verification re-reads those objects, re-runs the normalization
with the recorded parameters into a temporary folder, and compares every output with the
manifest. The comparison itself is `lineage.verification`; the job is `glue_jobs.normalize`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from glue_jobs.normalize import QUARANTINE_FILE, NormalizeParams, run_normalize
from lineage.dataset_identity import LayerRules
from lineage.errors import LineageError
from lineage.manifest import (
    MANIFEST_FILE,
    RUN_INFO_FILE,
    InputObject,
    Manifest,
    OutputFile,
    code_fingerprint,
)
from lineage.quarantine import TooManyBadPayloadsError
from lineage.raw_zone_layout import EVENTS_PREFIX, PLANS_PREFIX, SIDECAR_SUFFIX
from lineage.store import RawZoneStore, StorageError
from lineage.verification import (
    EXIT_CANNOT_VERIFY,
    Area,
    Finding,
    Problem,
    VerificationReport,
    compare_inputs,
    compare_outputs,
    integrity_finding,
    observe,
    unexpected_keys,
)
from stores import LocalStore, open_store

__all__ = ["VerifyError", "params_from_manifest", "register", "render", "run_verify"]

Progress = Callable[[str], None]
_READERS = 16  # parallel reads: S3 latency, not CPU, bounds reading many small objects


class VerifyError(LineageError):
    """The build cannot be verified at all (unreadable manifest, lake or layer rules)."""


def _quiet(_: str) -> None:
    return None


def read_manifest(build: RawZoneStore) -> tuple[Manifest, bytes]:
    """The build's manifest and its exact bytes."""
    try:
        raw = build.read(MANIFEST_FILE)
    except StorageError as exc:
        raise VerifyError(f"no readable {MANIFEST_FILE} in {build.root}: {exc}") from exc
    return Manifest.from_json(raw, f"{build.root}/{MANIFEST_FILE}"), raw


def _layer_rules(recorded: str, override: Path | None) -> LayerRules:
    if override is not None:
        return LayerRules.from_file(override)
    if recorded == "default":
        return LayerRules.default()
    # Read the way the job read them (a local path or an s3:// URI, see glue_jobs.entrypoint).
    root, _, name = recorded.rpartition("/")
    try:
        raw = open_store(root or ".").read(name)
    except StorageError as exc:
        raise VerifyError(
            f"the build used layer rules {recorded!r}, which are not readable here ({exc}): "
            "pass the same file with --layer-rules"
        ) from exc
    return LayerRules.from_json_bytes(raw, recorded)


def params_from_manifest(
    manifest: Manifest, lake: str, out: str, layer_rules: Path | None = None
) -> NormalizeParams:
    """The job parameters the build recorded, for a run from `lake` into `out`.

    The reconstruction is checked: its `manifest_parameters()` must equal the recorded ones, so
    a parameter this code does not know (or layer rules with other content) is an error.
    """
    p = manifest.parameters
    try:
        date_from, date_to = p.get("date_from"), p.get("date_to")
        params = NormalizeParams(
            lake=lake,
            out=out,
            date_from=dt.date.fromisoformat(str(date_from)) if date_from else None,
            date_to=dt.date.fromisoformat(str(date_to)) if date_to else None,
            max_bad_share=float(p["max_bad_share"]),  # type: ignore[arg-type]
            gzip=bool(p["gzip"]),
            target_file_bytes=int(p["target_file_bytes"]),  # type: ignore[arg-type]
            layer_rules=_layer_rules(str(p["layer_rules"]), layer_rules),
            layer_rules_source=str(p["layer_rules"]),
            as_of_ms=int(p["as_of_ms"]) if p.get("as_of_ms") is not None else None,  # type: ignore[arg-type]
            landed_before_ms=(
                int(p["landed_before_ms"])  # type: ignore[arg-type]
                if p.get("landed_before_ms") is not None
                else None
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyError(f"the manifest's parameters cannot be read: {exc!r}") from exc
    rebuilt = params.manifest_parameters()
    differing = sorted(k for k in rebuilt.keys() | p.keys() if rebuilt.get(k) != p.get(k))
    if differing:
        detail = ", ".join(
            f"{k}: recorded {p.get(k)!r}, here {rebuilt.get(k)!r}" for k in differing
        )
        raise VerifyError(f"cannot reproduce the build's parameters ({detail})")
    return params


def _read_inputs(
    lake: RawZoneStore, expected: Iterable[InputObject], quarantined: set[str], progress: Progress
) -> tuple[dict[str, InputObject], list[Finding]]:
    """What the named objects are now, by key (absent keys are left out), and the payloads
    among them that disagree with their sidecar or key (unless the build quarantined them)."""
    present: set[str] = set()
    try:
        for prefix in (PLANS_PREFIX, EVENTS_PREFIX):
            present.update(key for key, _ in lake.list(prefix))
    except StorageError as exc:
        raise VerifyError(f"cannot list the raw zone: {exc}") from exc
    keys = [i.key for i in expected if i.key in present]
    progress(f"hashing {len(keys)} raw objects in {lake.root}")

    def one(key: str) -> tuple[InputObject, Finding | None]:
        try:
            data = lake.read(key)
            sidecar = key + SIDECAR_SUFFIX
            if key.endswith(SIDECAR_SUFFIX) or key in quarantined or sidecar not in present:
                return observe(key, data), None
            return observe(key, data), integrity_finding(key, data, lake.read(sidecar))
        except StorageError as exc:  # listed a moment ago: a read failure is not "missing"
            raise VerifyError(str(exc)) from exc

    with ThreadPoolExecutor(_READERS) as pool:
        results = list(pool.map(one, keys))
    return {o.key: o for o, _ in results}, sorted(f for _, f in results if f is not None)


def _build_files(build: RawZoneStore) -> list[OutputFile]:
    """Every file of the build folder except the manifest and the wall-clock run info."""
    found = []
    try:
        for key, _ in build.list(""):
            if key not in (MANIFEST_FILE, RUN_INFO_FILE):
                seen = observe(key, build.read(key))  # one file in memory at a time
                found.append(OutputFile(key, "", "", 0, seen.size, seen.sha256))
    except StorageError as exc:
        raise VerifyError(f"cannot read the build: {exc}") from exc
    return found


def _quarantined_keys(build: RawZoneStore) -> set[str]:
    """Keys the build's quarantine report lists (unknown keys are named only there)."""
    try:
        doc = orjson.loads(build.read(QUARANTINE_FILE))
        return {str(e["key"]) for e in doc["entries"]}
    except (StorageError, orjson.JSONDecodeError, KeyError, TypeError):
        return set()  # a missing or altered report is itself a build finding


def run_verify(
    spark: Callable[[], Any],
    lake: str,
    build: str,
    *,
    layer_rules: Path | None = None,
    rerun: bool = True,
    progress: Progress = _quiet,
) -> VerificationReport:
    """Verify the build folder `build` against the raw zone `lake`.

    `spark` gives the SparkSession for the re-run; it is called only when one is needed, after
    the manifest and its parameters proved readable.
    """
    lake_store, build_store = open_store(lake), open_store(build)
    manifest, manifest_bytes = read_manifest(build_store)
    findings: list[Finding] = []
    # Parameters first: a build this code cannot re-run fails before any reading.
    params = params_from_manifest(manifest, lake, "", layer_rules) if rerun else None

    # Same bytes as at build time is not enough: they must also be what was acknowledged.
    observed, inconsistent = _read_inputs(
        lake_store, manifest.inputs, _quarantined_keys(build_store), progress
    )
    findings += compare_inputs(manifest.inputs, observed)
    altered = {f.key for f in findings}
    findings += [f for f in inconsistent if f.key not in altered]  # one finding per object

    progress(f"comparing the files of {build_store.root} with the manifest")
    findings += compare_outputs(manifest.outputs, _build_files(build_store), Area.BUILD)

    identical: bool | None = None
    if params is not None:
        with tempfile.TemporaryDirectory(prefix="lineage-verify-") as tmp:
            # The share check only decides whether a run fails, never what it writes: run to
            # the end whatever is bad now, then apply the recorded limit here.
            tolerant = replace(params, out=tmp, max_bad_share=1.0)
            progress(f"re-running the normalization into {tmp}")
            try:
                again = run_normalize(spark(), lake_store, LocalStore(tmp), tolerant, progress)
            except StorageError as exc:
                raise VerifyError(f"the re-run could not read or write: {exc}") from exc
            findings += compare_outputs(manifest.outputs, again.manifest.outputs, Area.RERUN)
            named = {i.key for i in manifest.inputs} | _quarantined_keys(build_store)
            selected = {i.key for i in again.manifest.inputs}
            selected |= {e.key for e in again.report.entries}
            findings += unexpected_keys(named, selected)
            try:
                again.report.check_share(params.max_bad_share)
            except TooManyBadPayloadsError as exc:
                findings.append(Finding(Area.RERUN, Problem.FAILED, QUARANTINE_FILE, str(exc)))
            recorded = replace(again.manifest, parameters=params.manifest_parameters())
            identical = recorded.to_json() == manifest_bytes
    return VerificationReport(
        manifest=manifest,
        current_code_version=code_fingerprint(["lineage", "glue_jobs"]),
        inputs_checked=len(manifest.inputs),
        outputs_checked=len(manifest.outputs),
        rerun=rerun,
        manifest_identical=identical,
        findings=tuple(sorted(findings)),
    )


_VERDICT = {
    0: "[bold green]VERIFIED[/]: the raw zone holds exactly what the build read, and the "
    "re-run reproduced every output byte for byte",
    1: "[bold red]RAW ZONE DIFFERS[/] from what the build read",
    3: "[bold red]OUTPUTS DIFFER[/]: the raw zone matches, the build's files do not",
    4: "[bold red]OUTPUTS DIFFER[/] and the code version differs from the build's: "
    "re-run verify with the build's code version",
}


def _shown(name: str, value: object) -> str:
    """Instants in milliseconds are shown as ISO-8601 UTC too: auditors read dates, not epochs."""
    if name.endswith("_ms") and isinstance(value, int):
        stamp = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        return f"{value} ({stamp.isoformat(timespec='milliseconds').replace('+00:00', 'Z')})"
    return str(value)


def render(report: VerificationReport, lake: str, build: str, console: Console) -> None:
    """Print the report: what was checked, every finding by key, and the verdict."""
    m = report.manifest
    console.print(f"[bold]build[/]    {escape(build)}", soft_wrap=True)
    console.print(f"[bold]raw zone[/] {escape(lake)}", soft_wrap=True)
    params = ", ".join(f"{k}={_shown(k, v)}" for k, v in m.parameters.items() if v is not None)
    console.print(f"[bold]parameters[/] {escape(params)}", soft_wrap=True)
    same = "same as this code" if not report.code_changed else "[yellow]differs from this code[/]"
    console.print(f"[bold]code version[/] {m.code_version[:16]}… ({same})", soft_wrap=True)
    bad = {f.key for f in report.of(Area.RAW_ZONE) if f.problem is not Problem.UNEXPECTED}
    console.print(
        f"inputs:  {report.inputs_checked - len(bad)} of {report.inputs_checked} raw objects "
        "match size and SHA-256",
        soft_wrap=True,
    )
    build_bad = len(report.of(Area.BUILD))
    console.print(
        f"build:   {report.outputs_checked} files in the manifest, {build_bad} differences",
        soft_wrap=True,
    )
    if report.rerun:
        rerun_bad = len(report.of(Area.RERUN))
        same_manifest = {True: "byte-identical", False: "differs", None: "not produced"}[
            report.manifest_identical
        ]
        console.print(
            f"re-run:  {rerun_bad} output differences; manifest.json {same_manifest}",
            soft_wrap=True,
        )
    else:
        console.print("re-run:  skipped (--skip-rerun): outputs and unexpected objects unchecked")
    for f in report.findings:
        console.print(
            f"[red]{f.problem.value.upper():<10}[/] {f.area.value:<8} {escape(f.key)}  "
            f"[dim]{escape(f.detail)}[/]",
            soft_wrap=True,
        )
    if report.exit_code == 0 and not report.rerun:
        console.print(
            "[bold green]VERIFIED[/] (hashes only, --skip-rerun): the raw zone holds exactly "
            "what the build read and agrees with its sidecars and keys; the outputs were not "
            "re-run",
            soft_wrap=True,
        )
        return
    console.print(_VERDICT[report.exit_code], soft_wrap=True)


_HELP = (
    "Verify a build against the raw zone. Re-reads every raw object the build's manifest.json "
    "names and checks its size and SHA-256 (altered, missing objects); checks the build "
    "folder's files against the manifest; re-runs the normalization with the manifest's "
    "recorded parameters into a temporary folder and compares every output file's SHA-256 "
    "with the manifest. Objects the re-run reads that the manifest does not name are "
    "reported as unexpected. Every difference is named by its key.\n\n"
    "Exit codes:\n"
    "0 verified;\n"
    "1 the raw zone differs (altered, missing or unexpected objects);\n"
    "2 cannot verify (bad arguments, unreadable manifest, raw zone or layer rules);\n"
    "3 the raw zone matches but the build's files or the re-run's outputs differ;\n"
    "4 as 3, and this code is not the code version that made the build;\n"
    "5 (--graph) the loaded graph differs from the build.\n\n"
    "With --graph URL (the Gremlin endpoint of the local graph) the loaded graph is compared "
    "with what the build's CSVs say: counts per label and a SHA-256 digest over every vertex "
    "and edge with its properties; each difference is named. Without --lake only the graph "
    "is checked."
)

EXIT_GRAPH_DIFFERS = 5


def _verify_graph(graph: str, build: str) -> int:
    """Compare the graph with the build, print the verdict, return the exit code."""
    from loader.errors import LoaderError
    from loader.graph_check import check_graph

    try:
        result = check_graph(graph, Path(build))
    except LoaderError as exc:
        typer.echo(f"lineage verify: {exc}", err=True)
        return EXIT_CANNOT_VERIFY
    labels = sorted(result.expected_counts.keys() | result.actual_counts.keys())
    for label in labels:
        want, have = result.expected_counts.get(label, 0), result.actual_counts.get(label, 0)
        mark = "" if want == have else "  <- differs"
        kind, _, name = label.partition(":")
        typer.echo(
            f"{'vertices' if kind == 'v' else 'edges'} {name}: {have} in the graph, "
            f"{want} in the build{mark}"
        )
    typer.echo(f"build digest {result.expected_digest}")
    typer.echo(f"graph digest {result.actual_digest}")
    if result.matches:
        typer.echo("GRAPH VERIFIED: the graph holds exactly what the build says")
        return 0
    for text in result.differences:
        typer.echo(f"  {text}")
    if result.difference_count > len(result.differences):
        typer.echo(f"  ... {result.difference_count - len(result.differences)} more differences")
    typer.echo(f"GRAPH DIFFERS: {result.difference_count} differences from the build")
    return EXIT_GRAPH_DIFFERS


def register(app: typer.Typer) -> None:
    """Add `lineage verify` to the CLI."""

    @app.command("verify", help=_HELP)
    def _command(
        lake: str | None = typer.Option(
            None, "--lake", help="Raw zone: a directory or s3://bucket/prefix."
        ),
        build: str = typer.Option(
            ..., "--build", help="Build folder holding manifest.json: a directory or s3://…"
        ),
        layer_rules: str | None = typer.Option(
            None,
            "--layer-rules",
            help="The layer-rules file the build used, when not the packaged default "
            "(its content must match the manifest's hash).",
        ),
        skip_rerun: bool = typer.Option(
            False, "--skip-rerun", help="Only check hashes: no Spark, no output comparison."
        ),
        master: str = typer.Option("local[*]", "--master", help="Spark master for the re-run."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
        graph: str | None = typer.Option(
            None,
            "--graph",
            help="Also compare this loaded graph (ws://HOST:PORT/gremlin) with the build.",
        ),
    ) -> None:
        from glue_jobs.local_spark import local_spark

        if lake is None and graph is None:
            typer.echo(
                "lineage verify: give --lake (raw zone), --graph (loaded graph) or both", err=True
            )
            raise typer.Exit(code=EXIT_CANNOT_VERIFY)
        if lake is None:
            assert graph is not None
            raise typer.Exit(code=_verify_graph(graph, build))

        errors = Console(stderr=True, log_path=False)

        def progress(message: str) -> None:
            if not quiet:
                errors.log(escape(message))

        started: list[Any] = []

        def session() -> Any:
            started.append(local_spark(master))
            return started[-1]

        try:
            report = run_verify(
                session,
                lake,
                build,
                layer_rules=Path(layer_rules) if layer_rules else None,
                rerun=not skip_rerun,
                progress=progress,
            )
        except LineageError as exc:
            typer.echo(f"lineage verify: {exc}", err=True)
            raise typer.Exit(code=EXIT_CANNOT_VERIFY) from None
        finally:
            for spark in started:
                spark.stop()
        render(report, lake, build, Console(soft_wrap=True))
        code = report.exit_code
        if graph is not None:
            graph_code = _verify_graph(graph, build)
            code = code or graph_code
        raise typer.Exit(code=code)
