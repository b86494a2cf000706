"""The one base error of the domain core; every module's specific errors derive from it."""


class LineageError(Exception):
    """Base of every error raised by the `lineage` package."""
