"""The build marker file: where it lives, what its digest covers, and the build-folder rule."""

from __future__ import annotations

import gzip
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.build_marker import marker_digest, marker_file
from lineage.graph_csv import MARKER_PREFIX
from lineage.manifest import OutputFile, is_build_file

pytestmark = pytest.mark.unit

_names = st.from_regex(r"[A-Za-z_]{1,12}-[0-9]{5}\.csv(\.gz)?", fullmatch=True)
_graph_files = st.lists(
    st.builds(
        lambda where, name, sha: OutputFile(f"csv/{where[0]}/{name}", where[1], "L", 1, 1, sha),
        st.sampled_from([("vertices", "vertex"), ("edges", "edge")]),
        _names,
        st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    ),
    unique_by=lambda f: f.path,
    max_size=8,
)


@given(_graph_files, st.randoms(), st.none() | st.text(max_size=20))
def test_the_digest_covers_the_graph_files_only_in_any_order(
    files: list[OutputFile], rnd: Random, base: str | None
) -> None:
    digest = marker_digest(files, base)
    made = marker_file(files, base=base)
    listed = OutputFile(made.path, made.kind, made.label, made.rows, len(made.data), made.sha256)
    state = OutputFile("state/plans.jsonl.gz", "state", "state/plans.jsonl.gz", 1, 1, "0" * 64)
    shuffled = [*files, listed, state]
    rnd.shuffle(shuffled)
    assert marker_digest(shuffled, base) == digest
    assert digest.encode() in made.data


def test_the_digest_changes_with_any_graph_file_and_the_base() -> None:
    one = [OutputFile("csv/vertices/Job-00000.csv", "vertex", "Job", 1, 1, "a" * 64)]
    other = [OutputFile("csv/vertices/Job-00000.csv", "vertex", "Job", 1, 1, "b" * 64)]
    assert len({marker_digest(one), marker_digest(other), marker_digest(one, "x")}) == 3


def test_the_marker_file_is_outside_the_load_prefix() -> None:
    plain = marker_file([])
    zipped = marker_file([], gzip=True)
    assert (plain.path, plain.kind, plain.label, plain.rows) == (
        "marker/Build-00000.csv",
        "vertex",
        "Build",
        1,
    )
    assert zipped.path == "marker/Build-00000.csv.gz"
    assert gzip.decompress(zipped.data) == plain.data
    assert plain.path.startswith(MARKER_PREFIX)


def test_a_build_folder_holds_its_marker_and_nothing_else_there() -> None:
    assert is_build_file("marker/Build-00000.csv")
    assert is_build_file("marker/Build-00000.csv.gz")
    for path in ("marker/Job-00000.csv", "marker/notes.txt", "marker/Build.csv", "marker/"):
        assert not is_build_file(path), path
