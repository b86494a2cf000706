"""A standalone bench run (`python -m lineage_bench.<stage>`) started from any working folder
finds the checkout, and so the Gremlin Server jars `make install` put there."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_neptune import ServerLayout, project_root

pytestmark = pytest.mark.unit

CHECKOUT = Path(__file__).resolve().parents[2]


def test_the_checkout_is_found_from_any_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEAGE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_root() == CHECKOUT
    assert any(ServerLayout.under(project_root()).lib_dir.glob("gremlin-server-*.jar"))


def test_lineage_home_overrides_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_HOME", str(tmp_path))
    assert project_root() == tmp_path.resolve()
