"""`lineage load --from`: a build folder loads its csv/; other files are named, not parsed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from typer.testing import CliRunner

from lineage_cli.commands.load import EXIT_OK, EXIT_USAGE
from lineage_cli.main import app

pytestmark = pytest.mark.graph


def build_folder(root: Path) -> Path:
    (root / "csv" / "vertices").mkdir(parents=True)
    (root / "csv" / "edges").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"format": 1}) + "\n")
    (root / "run-info.json").write_text("{}\n")
    (root / "quarantine.json").write_text("[]\n")
    vertices = b"~id,~label,name:String(single)\nj1,Job,nightly\nr1,Run,first\n"
    (root / "csv" / "vertices" / "Job-00000.csv.gz").write_bytes(gzip.compress(vertices))
    (root / "csv" / "edges" / "HAS_RUN-00000.csv").write_text(
        "~id,~from,~to,~label\ne1,j1,r1,HAS_RUN\n"
    )
    return root


def load(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["load", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_a_build_folder_loads_its_csv_folder(clean_graph: str, tmp_path: Path) -> None:
    build = build_folder(tmp_path / "build")
    code, output = load(
        "--from", str(build), "--graph", clean_graph, "--report", str(tmp_path / "r")
    )
    assert code == EXIT_OK, output
    connection = DriverRemoteConnection(clean_graph, "g")
    try:
        g = traversal().with_remote(connection)
        assert sorted(g.V().id_().to_list()) == ["j1", "r1"]
        assert g.E().id_().to_list() == ["e1"]
    finally:
        connection.close()
    report = json.loads((tmp_path / "r").read_bytes())
    assert report["source"] == str(build) and report["status"] == "LOAD_COMPLETED"


def test_a_folder_with_other_files_is_refused_in_one_line_naming_them(
    clean_graph: str, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "v.csv").write_text("~id,~label\nv1,L\n")
    (folder / "README.md").write_text("# notes\n")
    (folder / "report.json").write_text("{}\n")
    code, output = load(
        "--from", str(folder), "--graph", clean_graph, "--report", str(tmp_path / "r")
    )
    assert code == EXIT_USAGE, output
    line = next(text for text in output.splitlines() if "not load files" in text)
    assert "README.md" in line and "report.json" in line and "manifest.json" in line
    assert "PARSING_ERROR" not in output


def test_a_build_folder_without_csv_is_named(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}\n")
    code, output = load(
        "--from", str(tmp_path), "--graph", clean_graph, "--report", str(tmp_path / "r")
    )
    assert code == EXIT_USAGE and "without csv/" in output
