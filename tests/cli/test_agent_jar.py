"""Finding and checking the Spline agent jar: the real jar passes, every bad one is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lineage_cli.agent_jar import (
    AGENT_JAR_ENV,
    JAR_NAME,
    LISTENER_CLASS,
    SHARED_SHA256,
    AgentJarError,
    JarPlaces,
    install,
    locate,
    sha256_of,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
# The team's copy, as CI sees it: ../shared/spline-agent/ beside the checkout.
SHARED_JAR = REPO.parent / "shared" / "spline-agent" / JAR_NAME


@pytest.fixture
def checkout(tmp_path: Path) -> JarPlaces:
    """An empty checkout with no cache and no shared copy beside it."""
    (tmp_path / "checkout").mkdir()
    return JarPlaces(tmp_path / "checkout")


def _share(places: JarPlaces, source: Path | bytes) -> Path:
    places.shared.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        places.shared.write_bytes(source)
    else:
        shutil.copyfile(source, places.shared)
    return places.shared


def _zip_without_listener(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        jar.writestr("za/co/absa/spline/Other.class", b"\xca\xfe\xba\xbe")
    return path


def _one_line(message: str) -> str:
    assert "\n" not in message, message
    return message


def test_the_shared_copy_is_the_published_agent() -> None:
    assert sha256_of(SHARED_JAR) == SHARED_SHA256
    assert locate(SHARED_JAR, environ={}) == SHARED_JAR


def test_the_checkout_finds_the_jar_make_install_cached() -> None:
    jar = locate(environ={})
    assert jar == REPO / ".cache" / "spline-agent" / JAR_NAME
    with zipfile.ZipFile(jar) as bundle:
        assert LISTENER_CLASS.replace(".", "/") + ".class" in bundle.namelist()


def test_nothing_anywhere_names_every_place_looked_at(checkout: JarPlaces) -> None:
    with pytest.raises(AgentJarError) as caught:
        locate(places=checkout, environ={})
    message = _one_line(str(caught.value))
    assert f"${AGENT_JAR_ENV}: not set" in message
    assert f"{checkout.cached}: not found" in message
    assert f"{checkout.shared}: not found" in message
    assert "make install" in message


def test_a_corrupt_shared_copy_is_refused_by_its_sha256(checkout: JarPlaces) -> None:
    damaged = bytearray(SHARED_JAR.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    _share(checkout, bytes(damaged))
    with pytest.raises(AgentJarError) as caught:
        locate(places=checkout, environ={})
    message = _one_line(str(caught.value))
    assert f"{checkout.shared}: sha256 " in message
    assert f"is not the expected {SHARED_SHA256}" in message


@pytest.mark.parametrize("via_env", [True, False])
def test_a_missing_explicit_jar_is_one_line(tmp_path: Path, via_env: bool) -> None:
    missing = tmp_path / "nothere.jar"
    with pytest.raises(AgentJarError) as caught:
        if via_env:
            locate(environ={AGENT_JAR_ENV: str(missing)})
        else:
            locate(missing, environ={})
    source = f"${AGENT_JAR_ENV}" if via_env else "--agent-jar"
    assert _one_line(str(caught.value)) == f"Spline agent jar {missing} (from {source}): not found"


def test_a_jar_without_the_listener_is_not_the_spline_agent(tmp_path: Path) -> None:
    other = _zip_without_listener(tmp_path / "spark-3.5-spline-agent-bundle_2.12-9.9.9.jar")
    with pytest.raises(AgentJarError) as caught:
        locate(other, environ={})
    assert f"not the Spline agent bundle (no {LISTENER_CLASS} class)" in _one_line(
        str(caught.value)
    )


def test_a_bundle_for_another_spark_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "spark-3.3-spline-agent-bundle_2.12-2.2.0.jar"
    with zipfile.ZipFile(other, "w") as jar:
        jar.writestr(LISTENER_CLASS.replace(".", "/") + ".class", b"\xca\xfe\xba\xbe")
        jar.writestr(
            "META-INF/maven/za.co.absa.spline.agent.spark/spark-3.3-spline-agent-bundle_2.12/"
            "pom.properties",
            "artifactId=spark-3.3-spline-agent-bundle_2.12\nversion=2.2.0\n",
        )
    with pytest.raises(AgentJarError) as caught:
        locate(other, environ={})
    assert _one_line(str(caught.value)).endswith(
        "the Spline agent bundle for another Spark/Scala (spark-3.3-spline-agent-bundle_2.12); "
        "pyspark 3.5 needs spark-3.5-spline-agent-bundle_2.12"
    )


def test_a_file_that_is_no_zip_is_not_a_jar(tmp_path: Path) -> None:
    text = tmp_path / "agent.jar"
    text.write_text("<html>404 Not Found</html>")
    with pytest.raises(AgentJarError) as caught:
        locate(environ={AGENT_JAR_ENV: str(text)})
    assert "not a jar (zip) file" in _one_line(str(caught.value))


def test_the_environment_overrides_the_cache(tmp_path: Path) -> None:
    own = tmp_path / "own-build.jar"
    shutil.copyfile(SHARED_JAR, own)
    assert locate(environ={AGENT_JAR_ENV: str(own)}) == own


def test_install_copies_the_checked_shared_copy_into_the_cache(checkout: JarPlaces) -> None:
    _share(checkout, SHARED_JAR)
    jar, origin = install(checkout, use_maven=False)
    assert jar == checkout.cached
    assert sha256_of(jar) == SHARED_SHA256
    assert str(checkout.shared) in origin
    assert locate(places=checkout, environ={}) == checkout.cached
    # A second install keeps the valid cache.
    assert install(checkout, use_maven=False) == (checkout.cached, "already in the cache")


def test_install_refills_a_cache_damaged_after_install(checkout: JarPlaces) -> None:
    _share(checkout, SHARED_JAR)
    install(checkout, use_maven=False)
    with checkout.cached.open("ab") as jar:
        jar.write(b"trailing junk")
    # The damaged cache is passed over at run time, the shared copy still serves ...
    assert locate(places=checkout, environ={}) == checkout.shared
    # ... and the next install replaces it.
    jar_path, _origin = install(checkout, use_maven=False)
    assert sha256_of(jar_path) == SHARED_SHA256


def test_install_without_any_source_names_them_all(checkout: JarPlaces) -> None:
    with pytest.raises(AgentJarError) as caught:
        install(checkout, use_maven=False)
    assert _one_line(str(caught.value)) == (
        f"cannot obtain the Spline agent jar: {checkout.shared}: not found"
    )


def _fake_mvn(bin_dir: Path, body: str) -> dict[str, str]:
    bin_dir.mkdir()
    mvn = bin_dir / "mvn"
    mvn.write_text(f"#!/bin/sh\n{body}\n")
    mvn.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_maven_not_found_falls_back_to_the_shared_copy_quietly(
    checkout: JarPlaces, tmp_path: Path
) -> None:
    # What Maven prints here for the agent artifact, trimmed; the registry has no za.co.absa.
    env = _fake_mvn(
        tmp_path / "bin",
        'echo "[ERROR] Failed to execute goal ...: Unable to find artifact. '
        "za.co.absa.spline.agent.spark:spark-3.5-spline-agent-bundle_2.12:jar:2.2.0 was not "
        'found in https://repo.maven.apache.org/maven2"; exit 1',
    )
    _share(checkout, SHARED_JAR)
    done = subprocess.run(
        [sys.executable, "-m", "lineage_cli.agent_jar", "install"],
        env={**env, "LINEAGE_HOME": str(checkout.root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (line,) = done.stdout.splitlines()
    assert f"from {checkout.shared} (sha256 checked)" in line
    assert "Maven Central za.co.absa.spline.agent.spark:" in line
    assert "not found there" in line
    assert sha256_of(checkout.cached) == SHARED_SHA256


def test_a_maven_that_hangs_is_cut_off(
    checkout: JarPlaces, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _fake_mvn(tmp_path / "bin", "exec sleep 60")
    monkeypatch.setenv("PATH", env["PATH"])
    _share(checkout, SHARED_JAR)
    jar, origin = install(checkout, maven_timeout_s=1)
    assert jar == checkout.cached
    assert "mvn gave no answer in 1 s" in origin


def test_the_locate_command_fails_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lineage_cli.agent_jar", "locate"],
        env={**os.environ, "LINEAGE_HOME": str(tmp_path), AGENT_JAR_ENV: ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("spline agent: no usable Spline agent jar (")
