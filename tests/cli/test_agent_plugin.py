"""The project's Spline agent plugin build: compiled once per set of inputs, one-line failures."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from lineage_cli import agent_plugin
from lineage_cli.agent_jar import JarPlaces
from lineage_cli.agent_plugin import (
    PLUGIN_CLASS,
    AgentPluginError,
    PluginPlaces,
    build,
    inputs_digest,
    locate_plugin,
    plugin_problem,
    spark_jars_dir,
)
from local_neptune.config import project_root

pytestmark = pytest.mark.unit

REPO = project_root()


def _checkout(tmp_path: Path) -> PluginPlaces:
    """A checkout with the project's plugin sources and the agent jar in its cache."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "agent_plugin", root / "agent_plugin")
    agent = JarPlaces(REPO).cached
    if not agent.is_file():
        pytest.fail(f"{agent} missing: run `make install`")
    cache = JarPlaces(root).cache_dir
    cache.mkdir(parents=True)
    shutil.copyfile(agent, cache / agent.name)
    return PluginPlaces(root)


def test_the_build_compiles_once_then_reuses_the_jar_until_an_input_changes(
    tmp_path: Path,
) -> None:
    places = _checkout(tmp_path)
    assert locate_plugin(places) is None
    assert "not built" in (plugin_problem(places.jar) or "")
    jar, built = build(places)
    assert built and jar == places.jar
    with zipfile.ZipFile(jar) as archive:
        assert PLUGIN_CLASS.replace(".", "/") + ".class" in archive.namelist()
    assert locate_plugin(places) == jar
    assert build(places) == (jar, False)  # unchanged inputs: nothing compiled
    # Any change to a source changes the key the build is cached by (not recompiled here:
    # javac is the slow part, the key decides whether it runs).
    agent, spark_jars = JarPlaces(places.root).cached, spark_jars_dir()
    before = inputs_digest(places, agent, spark_jars, "javac 17")
    source = next(places.sources.rglob("PluginOrder.java"))
    source.write_text(source.read_text() + "\n// changed\n")
    assert inputs_digest(places, agent, spark_jars, "javac 17") != before
    assert inputs_digest(places, agent, spark_jars, "javac 21") != before


def test_a_source_that_does_not_compile_is_one_line_naming_the_error(tmp_path: Path) -> None:
    places = _checkout(tmp_path)
    broken = places.sources / "lineage" / "spline" / "plugin" / "Broken.java"
    broken.write_text("package lineage.spline.plugin; class Broken { int x = ; }\n")
    with pytest.raises(AgentPluginError, match=r"javac failed \(1 errors\), first: .*Broken") as e:
        build(places)
    assert "\n" not in str(e.value)
    assert not places.jar.exists()  # no half-built jar left behind


def test_no_javac_is_one_line_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_plugin.shutil, "which", lambda _name: None)
    with pytest.raises(AgentPluginError, match="javac not on PATH: install a JDK 17"):
        build(_checkout(tmp_path))


def test_a_damaged_jar_is_not_used(tmp_path: Path) -> None:
    places = _checkout(tmp_path)
    places.jar.write_bytes(b"not a zip")
    assert "not a jar" in (plugin_problem(places.jar) or "")
    assert locate_plugin(places) is None
