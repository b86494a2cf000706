"""Compiles the server-side Neptune-compatibility classes into a jar, once per source change.

The classes (under `java/`) bind `g` without Groovy, refuse lambdas and `list` cardinality, and
route scripts to the gremlin-lang grammar. They are compiled against the very jars the server
runs, so a change of TinkerPop version recompiles them instead of failing at class-load time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from local_neptune.config import ServerLayout
from local_neptune.errors import PrerequisiteError

__all__ = ["JAVA_SOURCES", "extension_jar", "server_jars"]

JAVA_SOURCES = Path(__file__).resolve().parent / "java"
JAR_PREFIX = "lineage-gremlin-ext-"


def server_jars(layout: ServerLayout) -> list[Path]:
    """The Gremlin Server jars in a fixed order; raises `PrerequisiteError` when not installed."""
    jars = sorted(layout.lib_dir.glob("*.jar"))
    servers = [jar.name for jar in jars if jar.name.startswith("gremlin-server-")]
    if not servers:
        raise PrerequisiteError(
            f"Gremlin Server jars not found in {layout.lib_dir}: run `make install` first"
        )
    if len(servers) > 1:
        # Maven copies dependencies without deleting old ones; two versions on one class path
        # fail in confusing ways at run time.
        raise PrerequisiteError(
            f"several Gremlin Server versions in {layout.lib_dir} ({', '.join(servers)}): "
            "delete that folder and run `make install`"
        )
    return jars


def _source_files() -> list[Path]:
    return sorted(path for path in JAVA_SOURCES.rglob("*") if path.is_file())


def _digest(sources: list[Path], jars: list[Path]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.relative_to(JAVA_SOURCES).as_posix().encode())
        digest.update(source.read_bytes())
    for jar in jars:
        digest.update(jar.name.encode())
    return digest.hexdigest()[:16]


def extension_jar(layout: ServerLayout) -> Path:
    """The jar of the compatibility classes, compiled with `javac` if no current build exists."""
    jars = server_jars(layout)
    sources = _source_files()
    target = layout.build_dir / f"{JAR_PREFIX}{_digest(sources, jars)}.jar"
    if target.is_file():
        return target
    javac = shutil.which("javac")
    if javac is None:
        raise PrerequisiteError(
            "javac not found: the local graph server needs a JDK 17 "
            "(Debian: openjdk-17-jdk-headless), not only a Java runtime"
        )
    layout.build_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layout.build_dir) as tmp:
        classes = Path(tmp) / "classes"
        java_files = [str(path) for path in sources if path.suffix == ".java"]
        command = [javac, "-nowarn", "--release", "11", "-d", str(classes)]
        command += ["-cp", os.pathsep.join(str(jar) for jar in jars), *java_files]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["no output"])[0]
            raise PrerequisiteError(f"javac could not compile the server extension: {first}")
        staged = Path(tmp) / target.name
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as jar:
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
            for path in sources:
                if path.suffix != ".java":  # META-INF/services registrations
                    jar.write(path, path.relative_to(JAVA_SOURCES).as_posix())
        # Atomic, so a concurrent start never loads a half-written jar.
        os.replace(staged, target)
    for stale in layout.build_dir.glob(f"{JAR_PREFIX}*.jar"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target
