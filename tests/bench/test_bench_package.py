"""The benchmarks are one importable package: nothing loaded by file path, nothing importing the
CLI from below it, and it runs from an installed wheel with no checkout in reach."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

from lineage_bench.workload import MANIFEST_NAME

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
# Every package the CLI wires together; none of them may import it back.
BELOW_THE_CLI = ("lineage", "lineage_bench", "glue_jobs", "loader", "lambdas", "local_neptune")
# Ways of loading code that a wheel does not carry along: the source folder of a checkout.
PATH_LOADING = {"spec_from_file_location", "module_from_spec", "SourceFileLoader", "run_path"}


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", BELOW_THE_CLI)
def test_no_package_below_the_cli_imports_it(package: str) -> None:
    offending = {
        str(path.relative_to(REPO)): sorted(
            n for n in _imported(ast.parse(path.read_text())) if n.split(".")[0] == "lineage_cli"
        )
        for path in _modules(package)
    }
    assert not {k: v for k, v in offending.items() if v}


def test_the_bench_package_loads_no_code_by_file_path() -> None:
    found: list[str] = []
    for path in _modules("lineage_bench"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "attr", None) or getattr(node, "id", None)
            if name in PATH_LOADING:
                found.append(f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}: {name}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and (isinstance(node.value, ast.Name) and node.value.id == "sys")
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: sys.path")
    assert not found


@pytest.mark.timeout(300)
def test_the_bench_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    # Built from a copy of the working tree's files: a `build/` folder left in the checkout by an
    # earlier build would add modules that no longer exist to the wheel.
    source = tmp_path / "source"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=280,
    )
    (wheel,) = wheels.glob("*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    packaged = {p.relative_to(site).as_posix() for p in (site / "lineage_bench").rglob("*.py")}
    in_checkout = {p.relative_to(REPO).as_posix() for p in _modules("lineage_bench")}
    assert packaged == in_checkout

    # The unpacked wheel comes first on the path and the checkout is not the working folder, so
    # every import below resolves inside the wheel (the editable install's finder comes last).
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import importlib, pkgutil, lineage_bench\n"
        "for info in pkgutil.walk_packages(lineage_bench.__path__, 'lineage_bench.'):\n"
        "    print(importlib.import_module(info.name).__file__)\n"
        "import lineage_cli.commands.bench as cli\n"
        "print(cli.__file__)\n"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *modules, cli = done.stdout.split()
    assert len(modules) == len(in_checkout) - 1  # every module but the package's own __init__
    assert all(Path(f).is_relative_to(site) for f in [*modules, cli]), done.stdout

    lake = tmp_path / "lake"
    generate = ["bench", "generate", "--plans", "4", "--seed", "3", "--out", str(lake)]
    generated = subprocess.run(
        [sys.executable, "-m", "lineage_cli.main", *generate],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr[-2000:]
    assert orjson.loads((lake / MANIFEST_NAME).read_bytes())["plans"] == 4
    assert "generated 4 plans" in generated.stderr
