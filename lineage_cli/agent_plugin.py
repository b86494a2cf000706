"""The project's Spline agent plugin (`agent_plugin/`): built by `make install`, used at run time.

The agent 2.2.0 sends nothing for Spark's row-level writes (Iceberg `MERGE`/`UPDATE`/`DELETE`)
and for a metadata-only `DELETE`; the plugin (Java, `agent_plugin/src/main/java`) reports them.
The agent discovers plugins on the classpath by itself, so shipping it is putting its jar on
`spark.jars` beside the agent's (`lineage spark-submit` does, whenever the jar is built: it only
answers for those writes, so it changes nothing for any other job).

`python -m lineage_cli.agent_plugin build` compiles it with `javac` against the agent jar and
pyspark's own jars (nothing downloaded) into `.cache/spline-agent/`, beside the agent jar. The
build is keyed by a checksum of its inputs (the sources, the agent jar's digest, pyspark's jar
names and the compiler's version): an unchanged checkout skips it in a few milliseconds.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lineage.errors import LineageError
from lineage_cli.agent_jar import AgentJarError, JarPlaces, locate, sha256_of

PLUGIN_JAR_NAME = "lineage-spline-plugin.jar"
PLUGIN_CLASS = "lineage.spline.plugin.IcebergRowLevelWritePlugin"
_PLUGIN_ENTRY = PLUGIN_CLASS.replace(".", "/") + ".class"
_INPUTS_SUFFIX = ".inputs"
# Bytecode for the oldest Java the agent supports on Glue 5.0 / Spark 3.5 (Java 17).
JAVA_RELEASE = "17"
COMPILE_TIMEOUT_S = 300.0
# What a run without the plugin loses, for the one-line notes of spark-submit and doctor.
NOT_BUILT = (
    "is not built (run `make install`): Iceberg MERGE, UPDATE and DELETE will send no lineage"
)
_MANIFEST = "Manifest-Version: 1.0\r\nCreated-By: lineage_cli.agent_plugin\r\n\r\n"


class AgentPluginError(LineageError):
    """The plugin cannot be built; the message names the missing prerequisite or the failure."""


@dataclass(frozen=True)
class PluginPlaces:
    """Where the plugin's sources are and where its built jar goes (beside the agent jar)."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "agent_plugin" / "src" / "main" / "java"

    @property
    def jar(self) -> Path:
        return JarPlaces(self.root).cache_dir / PLUGIN_JAR_NAME

    @property
    def inputs_record(self) -> Path:
        return self.jar.with_name(self.jar.name + _INPUTS_SUFFIX)

    @classmethod
    def of_checkout(cls) -> PluginPlaces:
        return cls(JarPlaces.of_checkout().root)


def spark_jars_dir() -> Path:
    """pyspark's own `jars/` folder: Spark's and Scala's classes the plugin compiles against."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise AgentPluginError("pyspark is not installed in this environment (run `make install`)")
    jars = Path(spec.origin).parent / "jars"
    if not any(jars.glob("spark-catalyst_*.jar")):
        raise AgentPluginError(f"no Spark jars in {jars} (a pyspark without its jars?)")
    return jars


def _java_sources(places: PluginPlaces) -> list[Path]:
    found = sorted(places.sources.rglob("*.java"))
    if not found:
        raise AgentPluginError(f"no plugin sources under {places.sources}")
    return found


def _javac_version(javac: str) -> str:
    done = subprocess.run(
        [javac, "-version"], capture_output=True, text=True, check=False, timeout=60
    )
    return (done.stdout + done.stderr).strip()


def inputs_digest(places: PluginPlaces, agent: Path, spark_jars: Path, javac_version: str) -> str:
    """sha256 over everything the built jar depends on; a change in any of them rebuilds it."""
    digest = hashlib.sha256()
    for source in _java_sources(places):
        digest.update(source.relative_to(places.sources).as_posix().encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    digest.update(f"agent {sha256_of(agent)}\0release {JAVA_RELEASE}\0".encode())
    digest.update(f"javac {javac_version}\0".encode())
    for jar in sorted(p.name for p in spark_jars.glob("*.jar")):
        digest.update(jar.encode() + b"\0")
    return digest.hexdigest()


def plugin_problem(jar: Path) -> str | None:
    """Why `jar` is not the built plugin, or None when it holds the plugin class."""
    if not jar.is_file():
        return "not built (run `make install`)"
    try:
        with zipfile.ZipFile(jar) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a jar (zip) file: {exc}"
    return None if _PLUGIN_ENTRY in names else f"no {PLUGIN_CLASS} class in it"


def locate_plugin(places: PluginPlaces | None = None) -> Path | None:
    """The built plugin jar, or None when `make install` has not built it (or it is damaged)."""
    places = places or PluginPlaces.of_checkout()
    return places.jar if plugin_problem(places.jar) is None else None


def _compile(places: PluginPlaces, javac: str, classpath: str, into: Path) -> None:
    command = [
        javac,
        "-nowarn",
        "-Xlint:none",
        "--release",
        JAVA_RELEASE,
        "-encoding",
        "UTF-8",
        "-d",
        str(into),
        "-cp",
        classpath,
        *map(str, _java_sources(places)),
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=COMPILE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise AgentPluginError(f"javac gave no answer in {COMPILE_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        errors = [line for line in (done.stdout + done.stderr).splitlines() if "error:" in line]
        first = errors[0] if errors else (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise AgentPluginError(f"javac failed ({len(errors)} errors), first: {first[:300]}")


def _write_jar(classes: Path, target: Path) -> None:
    """A jar is a zip with a manifest; written under a temporary name, then moved into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-", delete=False) as part:
        temporary = Path(part.name)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", _MANIFEST)
            for path in sorted(classes.rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        temporary.chmod(0o644)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def build(places: PluginPlaces | None = None, *, agent: Path | None = None) -> tuple[Path, bool]:
    """Build the plugin jar unless its inputs are unchanged; return it and whether it was built.

    Raises `AgentPluginError` (one line) when a prerequisite is missing or javac fails.
    """
    places = places or PluginPlaces.of_checkout()
    javac = shutil.which("javac")
    if javac is None:
        raise AgentPluginError(
            "javac not on PATH: install a JDK 17, not only a runtime "
            "(Debian: openjdk-17-jdk-headless)"
        )
    try:
        agent = agent or locate(places=JarPlaces(places.root), environ={})
    except AgentJarError as exc:
        raise AgentPluginError(f"needs the agent jar to compile against: {exc}") from None
    spark_jars = spark_jars_dir()
    wanted = inputs_digest(places, agent, spark_jars, _javac_version(javac))
    try:
        recorded = places.inputs_record.read_text(encoding="ascii").strip()
    except OSError:
        recorded = ""
    if recorded == wanted and plugin_problem(places.jar) is None:
        return places.jar, False
    classpath = os.pathsep.join([str(agent), str(spark_jars / "*")])
    with tempfile.TemporaryDirectory(prefix="spline-plugin-") as scratch:
        _compile(places, javac, classpath, Path(scratch))
        _write_jar(Path(scratch), places.jar)
    places.inputs_record.write_text(wanted + "\n", encoding="ascii")
    return places.jar, True


def main(argv: list[str] | None = None) -> int:
    """`python -m lineage_cli.agent_plugin build|locate`: one line out, exit 1 on failure."""
    parser = argparse.ArgumentParser(prog="python -m lineage_cli.agent_plugin", description=__doc__)
    parser.add_argument("action", choices=("build", "locate"))
    options = parser.parse_args(argv)
    if options.action == "locate":
        jar = locate_plugin()
        if jar is None:
            print(f"spline agent plugin: {plugin_problem(PluginPlaces.of_checkout().jar)}")
            return 1
        print(jar)
        return 0
    try:
        jar, built = build()
    except AgentPluginError as exc:
        print(f"spline agent plugin: {exc}", file=sys.stderr)
        return 1
    if built:
        print(f"spline agent plugin: built {jar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
