"""The read API of a running `lineage serve`, called the way the UI calls it."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


class Api:
    """GET requests under `{base}/api`, answers decoded from JSON."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: str | int) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.base}/api{path}{query}", timeout=30) as answer:
            return json.loads(answer.read())

    def dataset_uri(self, name: str) -> str:
        """The URI of the one dataset whose URI ends with `name`."""
        items = self.get("/datasets", q=name)["items"]
        matches = [item["uri"] for item in items if item["uri"].rstrip("/").endswith(name)]
        assert len(matches) == 1, f"expected one dataset ending in {name}, got {items}"
        return str(matches[0])
