"""Package data: the default layer rules."""
