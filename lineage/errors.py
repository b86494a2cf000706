"""The one base error of the domain core; every module's specific errors derive from it."""

from __future__ import annotations

__all__ = ["LineageError", "one_line"]


class LineageError(Exception):
    """Base of every error raised by the `lineage` package."""


def one_line(message: object) -> str:
    """`message` as one printable line, for a terminal or a log.

    Messages name the offending input, and input (a path, a key, a header) may hold newlines or
    other control characters; printed raw, they would split the refusal over lines or forge log
    lines. Every non-printable character is shown as its Python escape (`\\n`, `\\x1b`,
    `\\u2028`); printable text, non-ASCII letters included, is unchanged.
    """
    text = str(message)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
