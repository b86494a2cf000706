"""`one_line`: how an error naming hostile input is shown on a terminal or in a log."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.errors import one_line

pytestmark = pytest.mark.unit


@given(st.text())
def test_any_text_becomes_one_printable_line(text: str) -> None:
    shown = one_line(text)
    assert shown.isprintable()
    assert len(shown.splitlines()) <= 1


@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))))
def test_printable_text_is_unchanged(text: str) -> None:
    assert one_line(text) == text


@given(st.lists(st.text(), min_size=2))
def test_a_newline_in_input_cannot_split_the_message(parts: list[str]) -> None:
    shown = one_line("\n".join(parts))
    assert "\n" not in shown
    assert shown.count("\\n") >= len(parts) - 1


def test_escapes_are_the_python_ones() -> None:
    assert one_line("a\nb\x1b[31m\u2028é") == "a\\nb\\x1b[31m\\u2028é"
    assert one_line(ValueError("bad\tkey")) == "bad\\tkey"
