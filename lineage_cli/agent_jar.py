"""Where the Spline agent bundle jar comes from, and whether a jar really is that agent.

`make install` runs `python -m lineage_cli.agent_jar install`: Maven Central first (the way users
get the agent), else the copy in `../shared/spline-agent/` beside the checkout, checked against
its published sha256; either lands in the ignored `.cache/spline-agent/`. At run time `locate`
answers `SPLINE_AGENT_JAR` (or `--agent-jar`) first, then the cache, then the shared copy, and
every jar it answers is a zip holding the agent's query-execution listener class.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lineage.errors import LineageError
from local_neptune.config import project_root

MAVEN_ARTIFACT = "za.co.absa.spline.agent.spark:spark-3.5-spline-agent-bundle_2.12:2.2.0"
JAR_NAME = "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar"
# The sha256 published with the shared copy (its README); Maven Central's own build of the same
# release may differ byte for byte, so a Maven jar is checked by content, not by this digest.
SHARED_SHA256 = "fcd716ca24f09b6e713461aaef1954eeab76d67d69789b7f24d29fc8c8264c6e"
AGENT_JAR_ENV = "SPLINE_AGENT_JAR"
LISTENER_CLASS = "za.co.absa.spline.harvester.listener.SplineQueryExecutionListener"
_LISTENER_ENTRY = LISTENER_CLASS.replace(".", "/") + ".class"
BUNDLE_ARTIFACT = "spark-3.5-spline-agent-bundle_2.12"
_BUNDLE_POMS = "META-INF/maven/za.co.absa.spline.agent.spark/"
_SHA_SUFFIX = ".sha256"
# A registry that does not answer must not hang `make install`.
MAVEN_TIMEOUT_S = 300.0


class AgentJarError(LineageError):
    """No usable Spline agent jar; the message names every place that was looked at."""


@dataclass(frozen=True)
class JarPlaces:
    """The places a checkout keeps the agent jar: its cache and the team's shared copy."""

    root: Path

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache" / "spline-agent"

    @property
    def cached(self) -> Path:
        """The jar `make install` put into the ignored cache."""
        return self.cache_dir / JAR_NAME

    @property
    def shared(self) -> Path:
        """`../shared/spline-agent/` relative to the checkout."""
        return self.root.parent / "shared" / "spline-agent" / JAR_NAME

    @property
    def maven_repo(self) -> Path:
        return self.root / ".cache" / "m2"

    @classmethod
    def of_checkout(cls) -> JarPlaces:
        return cls(project_root())


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_problem(path: Path) -> str | None:
    """Why `path` is not the Spline agent bundle, or None when it is (a zip with the listener)."""
    if not path.is_file():
        return "not found"
    try:
        with zipfile.ZipFile(path) as jar:
            names = set(jar.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a jar (zip) file: {exc}"
    if _LISTENER_ENTRY not in names:
        return f"not the Spline agent bundle (no {LISTENER_CLASS} class)"
    # A bundle built for another Spark or Scala version loads, then fails inside the job.
    bundles = sorted(
        name.split("/")[3]
        for name in names
        if name.startswith(_BUNDLE_POMS) and name.endswith("/pom.properties")
    )
    if bundles and BUNDLE_ARTIFACT not in bundles:
        return (
            f"the Spline agent bundle for another Spark/Scala ({', '.join(bundles)}); "
            f"pyspark 3.5 needs {BUNDLE_ARTIFACT}"
        )
    return None


def _digest_problem(path: Path, expected: str) -> str | None:
    actual = sha256_of(path)
    if actual != expected:
        return f"sha256 {actual} is not the expected {expected}"
    return None


def _recorded_digest(jar: Path) -> str | None:
    try:
        return jar.with_name(jar.name + _SHA_SUFFIX).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _cached_problem(jar: Path) -> str | None:
    problem = bundle_problem(jar)
    if problem is not None:
        return problem
    # The digest recorded at install time catches a cache damaged after it was filled.
    recorded = _recorded_digest(jar)
    return None if recorded is None else _digest_problem(jar, recorded)


def _shared_problem(jar: Path) -> str | None:
    if not jar.is_file():
        return "not found"
    return _digest_problem(jar, SHARED_SHA256) or bundle_problem(jar)


def _looked(tried: list[tuple[str, str]]) -> str:
    return "; ".join(f"{place}: {problem}" for place, problem in tried)


def locate(
    explicit: Path | None = None,
    *,
    places: JarPlaces | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The Spline agent jar to attach; raises `AgentJarError` naming every place looked at.

    `explicit` (`--agent-jar`) or `$SPLINE_AGENT_JAR` wins and is used as given (a user's own
    build may differ byte for byte) once it proves to be the agent bundle; otherwise the cache
    that `make install` fills, then the shared copy checked against its sha256.
    """
    environ = os.environ if environ is None else environ
    if explicit is None and environ.get(AGENT_JAR_ENV):
        explicit = Path(environ[AGENT_JAR_ENV])
        source = f"${AGENT_JAR_ENV}"
    else:
        source = "--agent-jar"
    if explicit is not None:
        problem = bundle_problem(explicit)
        if problem is not None:
            raise AgentJarError(f"Spline agent jar {explicit} (from {source}): {problem}")
        return explicit
    places = places or JarPlaces.of_checkout()
    tried: list[tuple[str, str]] = [(f"${AGENT_JAR_ENV}", "not set")]
    for jar, check in ((places.cached, _cached_problem), (places.shared, _shared_problem)):
        problem = check(jar)
        if problem is None:
            return jar
        tried.append((str(jar), problem))
    raise AgentJarError(
        f"no usable Spline agent jar ({_looked(tried)}); run `make install` or set {AGENT_JAR_ENV}"
    )


def _from_maven(places: JarPlaces, timeout_s: float) -> str | None:
    """Copy the artifact from Maven into the cache; the reason it could not, or None."""
    mvn = shutil.which("mvn")
    if mvn is None:
        return "mvn not on PATH"
    command = [
        mvn,
        "-B",
        "-q",
        f"-Dmaven.repo.local={places.maven_repo}",
        # Fail quickly on an unreachable registry instead of retrying for minutes.
        "-Daether.connector.connectTimeout=15000",
        "-Daether.connector.requestTimeout=60000",
        "-Dmaven.wagon.http.retryHandler.count=0",
        "dependency:copy",
        f"-Dartifact={MAVEN_ARTIFACT}",
        f"-DoutputDirectory={places.cache_dir}",
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),  # no project: the standalone stub pom, not ours
        )
    except subprocess.TimeoutExpired:
        return f"mvn gave no answer in {timeout_s:.0f} s"
    if done.returncode != 0:
        return _maven_reason(done.stdout + done.stderr)
    return bundle_problem(places.cached)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _maven_reason(output: str) -> str:
    """Maven's many-line failure as one short reason (its colour codes removed)."""
    for raw in output.splitlines():
        line = _ANSI.sub("", raw).strip()
        if "not found" in line or "find artifact" in line:
            return "not found there"
        if "Could not" in line or "Unable to" in line:
            return line.removeprefix("[ERROR]").strip()[:200]
    return "mvn failed"


def _copy_verified(source: Path, target: Path) -> None:
    """Copy through a temporary name so a crash never leaves a half-written jar in the cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-", delete=False) as part:
        temporary = Path(part.name)
    try:
        shutil.copyfile(source, temporary)
        temporary.chmod(0o644)  # a temporary file starts private; the jar is not a secret
        problem = _digest_problem(temporary, SHARED_SHA256)
        if problem is not None:
            raise AgentJarError(f"copy of {source} into {target.parent}: {problem}")
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _record_digest(jar: Path) -> None:
    jar.with_name(jar.name + _SHA_SUFFIX).write_text(sha256_of(jar) + "\n", encoding="ascii")


def install(
    places: JarPlaces | None = None,
    *,
    use_maven: bool = True,
    maven_timeout_s: float = MAVEN_TIMEOUT_S,
) -> tuple[Path, str]:
    """Fill the cache with the agent jar; return it and where it came from.

    A valid cached jar is kept. Raises `AgentJarError` naming every place looked at.
    """
    places = places or JarPlaces.of_checkout()
    cached_problem = _cached_problem(places.cached)
    if cached_problem is None:
        return places.cached, "already in the cache"
    tried: list[tuple[str, str]] = []
    if places.cached.exists():
        tried.append((str(places.cached), cached_problem))
        places.cached.unlink()
    if use_maven:
        places.cache_dir.mkdir(parents=True, exist_ok=True)
        maven_problem = _from_maven(places, maven_timeout_s)
        if maven_problem is None:
            _record_digest(places.cached)
            return places.cached, f"Maven Central ({MAVEN_ARTIFACT})"
        places.cached.unlink(missing_ok=True)
        tried.append((f"Maven Central {MAVEN_ARTIFACT}", maven_problem))
    shared_problem = _shared_problem(places.shared)
    if shared_problem is None:
        _copy_verified(places.shared, places.cached)
        _record_digest(places.cached)
        skipped = "; ".join(f"{place}: {problem}" for place, problem in tried)
        return places.cached, f"{places.shared} (sha256 checked)" + (
            f" because {skipped}" if skipped else ""
        )
    tried.append((str(places.shared), shared_problem))
    raise AgentJarError(f"cannot obtain the Spline agent jar: {_looked(tried)}")


def main(argv: list[str] | None = None) -> int:
    """`python -m lineage_cli.agent_jar install|locate`: one line out, exit 1 on failure."""
    parser = argparse.ArgumentParser(prog="python -m lineage_cli.agent_jar", description=__doc__)
    parser.add_argument("action", choices=("install", "locate"))
    parser.add_argument("--no-maven", action="store_true", help="skip Maven Central")
    options = parser.parse_args(argv)
    try:
        if options.action == "locate":
            print(locate())
            return 0
        jar, origin = install(use_maven=not options.no_maven)
    except AgentJarError as exc:
        print(f"spline agent: {exc}", file=sys.stderr)
        return 1
    if origin != "already in the cache":
        print(f"spline agent: {jar} from {origin}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
