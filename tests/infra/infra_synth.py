"""The synthesized-stack view shared by the infra tests (its own module: unambiguous imports)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK = "SparkLineage"


@dataclass(frozen=True)
class Synth:
    """One synthesized stack: the assertions view, the raw template and the cloud assembly dir."""

    template: Any  # aws_cdk.assertions.Template
    json: dict[str, Any]
    outdir: Path

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for every resource of one CloudFormation type."""
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}

    def only(self, kind: str) -> dict[str, Any]:
        """The properties of the single resource of `kind` (fails if there is not exactly one)."""
        found = list(self.resources(kind).values())
        assert len(found) == 1, f"expected one {kind}, found {len(found)}"
        return dict(found[0]["Properties"])

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK}.template.json"
