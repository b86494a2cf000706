"""The read API's answer cache and If-None-Match parser, on generated input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdas.consumer.answer_cache import AnswerCache, CachedAnswer
from lambdas.consumer.etags import MAX_CONDITION_CHARS, answer_etag, parse_if_none_match

pytestmark = pytest.mark.unit


def answer(body: bytes) -> CachedAnswer:
    return CachedAnswer(etag='"t"', body=body, media_type=b"application/json")


def test_cache_is_bounded_by_entries_and_bytes_and_evicts_least_recent() -> None:
    cache = AnswerCache(max_entries=3, max_bytes=10_000)
    for key in "abc":
        cache.put("b1", key, answer(b"x" * 10))
    assert cache.get("b1", "a") is not None  # a is now the most recent
    cache.put("b1", "d", answer(b"x" * 10))
    assert cache.get("b1", "b") is None and len(cache) == 3
    cache.put("b1", "big", answer(b"x" * 999))
    cache.put("b1", "big2", answer(b"x" * 999))
    assert cache.size_bytes <= 10_000
    cache.put("b1", "huge", answer(b"x" * 1_001))  # over a tenth of the budget: not kept
    assert cache.get("b1", "huge") is None


def test_cache_empties_on_another_build() -> None:
    cache = AnswerCache(max_entries=10, max_bytes=10_000)
    cache.put("b1", "k", answer(b"one"))
    assert cache.get("b2", "k") is None
    assert len(cache) == 0 and cache.size_bytes == 0
    cache.put("b2", "k", answer(b"two"))
    assert cache.get("b1", "k") is None  # going back does not resurrect the old answer


@given(st.lists(st.tuples(st.text(max_size=5), st.binary(max_size=300)), max_size=60))
def test_cache_bytes_never_exceed_the_budget(puts: list[tuple[str, bytes]]) -> None:
    cache = AnswerCache(max_entries=20, max_bytes=2_000)
    for key, body in puts:
        cache.put("b", key, answer(body))
        assert len(cache) <= 20
        assert 0 <= cache.size_bytes <= 2_000
    for key, body in puts[-1:]:
        if len(body) + len(key) <= 200:
            found = cache.get("b", key)
            assert found is not None and found.body == body


def test_tags_differ_by_build_and_request() -> None:
    tags = {answer_etag(b, k) for b in ("b1", "b2") for k in ("/jobs?", "/jobs?limit=1")}
    assert len(tags) == 4
    assert all(t.startswith('"') and t.endswith('"') and len(t) == 34 for t in tags)


def test_parse_lists_weak_tags_and_star() -> None:
    parsed = parse_if_none_match(' W/"a" , "b",, "c\x80"')
    assert parsed is not None and parsed.tags == {'"a"', '"b"', '"c\x80"'}
    assert parsed.matches('"a"') and not parsed.matches('"d"')
    star = parse_if_none_match("*")
    assert star is not None and star.any_tag and star.matches('"anything"')
    for bad in ("", "a", '"a', '"a" "b"', "W/a", "*,*", '"a",*', '"a b"', '"a\x00"'):
        assert parse_if_none_match(bad) is None, bad


tag = st.text(
    alphabet=st.characters(min_codepoint=0x23, max_codepoint=0x7E) | st.just("!"), max_size=20
)


@given(st.lists(st.tuples(st.booleans(), tag), min_size=1, max_size=20), st.sampled_from(", \t"))
def test_parse_reads_back_every_generated_list(tags: list[tuple[bool, str]], pad: str) -> None:
    value = f",{pad}".join(f'{"W/" if weak else ""}"{t}"' for weak, t in tags)
    parsed = parse_if_none_match(value)
    assert parsed is not None
    assert parsed.tags == {f'"{t}"' for _, t in tags}


@given(st.text(max_size=200))
def test_parse_never_raises(value: str) -> None:
    parse_if_none_match(value)


@pytest.mark.parametrize(
    "value",
    [
        "W/" * 100_000,
        '"' * 100_001,
        "," * 100_000,
        " " * 100_000 + '"a"',
        '"' + "a" * (MAX_CONDITION_CHARS - 2) + '"',
        ", ".join(['"a"'] * 4_000),
    ],
)
def test_parse_is_linear_on_long_values(value: str) -> None:
    started = time.perf_counter()
    parse_if_none_match(value)
    assert time.perf_counter() - started < 0.5


@given(st.text(), st.text())
def test_any_build_and_request_text_has_a_tag(build: str, key: str) -> None:
    tag = answer_etag(build, key)  # lone surrogates included (a Lambda event may carry them)
    assert parse_if_none_match(tag) is not None
