"""CDK app entry point: `python infra/app.py` (make synth) or `cdk synth` from infra/.

Synthesizes offline: no credentials, no lookups, no Docker. Settings come from CDK context
(infra/cdk.json, or `-c key=value` with the cdk CLI); see DeploymentConfig.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# jsii prints a large banner on Node 20 (end of life for jsii, still fine for synth); the
# variable lists the major versions to stay quiet about.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aws_cdk as cdk  # noqa: E402
from lineage_infra.config import DeploymentConfig  # noqa: E402
from lineage_infra.stack import LineageStack  # noqa: E402


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """Build the app with cdk.json's context, overridden by `context` (tests) or the cdk CLI."""
    defaults = json.loads((HERE / "cdk.json").read_text())["context"]
    merged = {**defaults, **(context or {})}
    # The cdk CLI passes its outdir in CDK_OUTDIR; `python infra/app.py` writes infra/cdk.out.
    target = outdir or os.environ.get("CDK_OUTDIR") or str(HERE / "cdk.out")
    app = cdk.App(context=merged, outdir=target)
    config = DeploymentConfig.from_context(app.node)
    LineageStack(app, str(merged.get("stackName", "SparkLineage")), config=config)
    return app


if __name__ == "__main__":
    build_app().synth()
