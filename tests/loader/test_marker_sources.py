"""Which folders a load reads: a build's graph files, then its marker (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_folder import write_build

from lineage.graph_schema import BUILD_MARKER_ID, JobVertex
from loader.errors import SourceError
from loader.files import load_folder_of, load_folders_of, marker_folder_of
from loader.graph_check import expected_graph

pytestmark = pytest.mark.unit


def test_a_build_folder_has_two_load_sources(tmp_path: Path) -> None:
    write_build(tmp_path, [JobVertex("j", None)])
    assert load_folder_of(tmp_path) == tmp_path / "csv"
    assert marker_folder_of(tmp_path) == tmp_path / "marker"
    # Given its graph files' folder, the build's marker still loads after them.
    assert marker_folder_of(tmp_path / "csv") == tmp_path / "marker"
    assert marker_folder_of(tmp_path / "csv" / "vertices") is None


def test_a_plain_folder_or_file_has_no_marker(tmp_path: Path) -> None:
    (tmp_path / "marker").mkdir()
    (tmp_path / "marker" / "Build-00000.csv").write_text("~id,~label\nb,Build\n")
    assert marker_folder_of(tmp_path) is None  # no manifest.json: not a build
    assert marker_folder_of(tmp_path / "marker" / "Build-00000.csv") is None


def test_a_build_written_before_the_marker_moved_loads_in_one_load(tmp_path: Path) -> None:
    write_build(tmp_path, [JobVertex("j", None)])
    (tmp_path / "marker" / "Build-00000.csv").rename(tmp_path / "csv/vertices/Build-00000.csv")
    (tmp_path / "marker").rmdir()
    assert marker_folder_of(tmp_path) is None
    assert f"v:{BUILD_MARKER_ID}" in expected_graph(tmp_path)


@pytest.mark.parametrize("stray", ["notes.txt", "Build-00000.json"])
def test_a_marker_folder_holding_other_files_is_refused_naming_them(
    tmp_path: Path, stray: str
) -> None:
    write_build(tmp_path, [JobVertex("j", None)])
    (tmp_path / "marker" / stray).write_text("x")
    with pytest.raises(SourceError, match=stray.replace(".", r"\.")):
        marker_folder_of(tmp_path)


def test_the_expected_graph_holds_the_marker_the_build_names(tmp_path: Path) -> None:
    digest = write_build(tmp_path, [JobVertex("j", None)])
    element = expected_graph(tmp_path)[f"v:{BUILD_MARKER_ID}"]
    assert element["props"]["digest"] == [("str", digest)]


def test_a_build_without_graph_files_loads_its_marker_alone(tmp_path: Path) -> None:
    digest = write_build(tmp_path, [])
    assert not (tmp_path / "csv").exists()
    assert load_folders_of(tmp_path) == (tmp_path / "marker", None)
    assert load_folders_of(tmp_path / "csv") == (tmp_path / "marker", None)
    assert list(expected_graph(tmp_path)) == [f"v:{BUILD_MARKER_ID}"]
    assert expected_graph(tmp_path)[f"v:{BUILD_MARKER_ID}"]["props"]["digest"] == [("str", digest)]
