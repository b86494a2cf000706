"""Every regular expression of the core scans hostile text in linear time (no backtracking).

The patterns are found, not listed: every module of `lineage` is imported and every compiled
pattern at module or class level collected, so a pattern added tomorrow is checked too. Each one
runs (`finditer` and `fullmatch`) over long strings built from the characters it cares about:
runs of one character, of two alternating, and of the pattern's own literal fragments, repeated
and followed by a long tail. A linear scan of 100,000 characters takes milliseconds; a quadratic
one takes minutes. Each case first runs at 10,000 characters, where a quadratic pattern already
costs a second, so it fails in seconds instead of hanging; the bounds are CPU seconds, generous
for a loaded machine.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import time
from collections.abc import Iterator

import pytest

import lineage

pytestmark = [pytest.mark.unit, pytest.mark.timeout(180)]

SMALL, LARGE = 10_000, 100_000
SMALL_BOUND_S, LARGE_BOUND_S = 0.2, 1.5
# What hostile text is made of: quotes, references, hashes, paths, identifiers, digits, spaces.
CORE = "`'\"#@.a_0f9 =-:/(),%~$\n"
ALWAYS = "a0 "


def _patterns() -> dict[str, re.Pattern[str]]:
    found: dict[int, tuple[str, re.Pattern[str]]] = {}
    for info in sorted(pkgutil.walk_packages(lineage.__path__, "lineage."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        for name, value in sorted(vars(module).items()):
            scopes = [(name, value)]
            if isinstance(value, type) and value.__module__ == module.__name__:
                scopes = [(f"{name}.{n}", v) for n, v in sorted(vars(value).items())]
            for where, item in scopes:
                if isinstance(item, re.Pattern) and isinstance(item.pattern, str):
                    found.setdefault(id(item), (f"{info.name}.{where}", item))
    return dict(sorted(found.values(), key=lambda pair: pair[0]))


PATTERNS = _patterns()


def _fragments(pattern: str) -> list[str]:
    """The literal runs of a pattern's source (`nativespark-`, "` = "): what prefixes look like."""
    plain = re.sub(r"\\[dDwWsSbBAZ]|\\.|\[[^\]]*\]|\{[^}]*\}|\(\?[:=!<P][^)]*", " ", pattern)
    return sorted({run for run in re.split(r"[()|*+?^$]+", plain) if len(run.strip()) >= 2})


def _hostile(pattern: re.Pattern[str], n: int) -> Iterator[str]:
    cared = sorted({c for c in pattern.pattern if c in CORE} | set(ALWAYS))
    for c in CORE:
        yield c * n
    for a, b in itertools.product(cared, repeat=2):
        if a != b:
            yield (a + b) * (n // 2)
    for piece in _fragments(pattern.pattern):
        yield piece * (n // len(piece))
        yield (piece + "a") * (n // (len(piece) + 1))
        yield piece + "a" * n
        yield piece + "`" * n
        yield "a" * n + piece


def _cpu(pattern: re.Pattern[str], text: str) -> float:
    started = time.process_time()
    for _ in pattern.finditer(text):
        pass
    pattern.fullmatch(text)
    return time.process_time() - started


def test_the_collector_finds_the_core_patterns() -> None:
    # The scan must see what it claims to check (a broken collector would pass vacuously).
    assert {"lineage.dml_lineage._ACTION", "lineage.plan_identity._OBJECT_HASH"} <= set(PATTERNS)
    assert len(PATTERNS) >= 15


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_core_pattern_scans_hostile_text_in_linear_time(name: str) -> None:
    pattern = PATTERNS[name]
    for n, bound in ((SMALL, SMALL_BOUND_S), (LARGE, LARGE_BOUND_S)):
        for text in _hostile(pattern, n):
            spent = _cpu(pattern, text)
            assert spent < bound, (
                f"{name} ({pattern.pattern!r}) took {spent:.2f} CPU s over {len(text)} chars "
                f"starting {text[:24]!r}: it backtracks (superlinear)"
            )
