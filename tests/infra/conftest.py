"""Synthesize the CDK app once per configuration and share the template across the infra tests."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_synth import STACK, Synth

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
SCAN_VENV = REPO / ".venv-infra"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))


@pytest.fixture(scope="session")
def synth_with(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Synth]]:
    """Synthesize with extra context (cached per context) into a temp cloud assembly."""
    from aws_cdk.assertions import Template

    spec = importlib.util.spec_from_file_location("lineage_infra_app", INFRA / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build_app = module.build_app

    cache: dict[str, Synth] = {}

    def make(**context: Any) -> Synth:
        key = json.dumps(context, sort_keys=True)
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdk-out")
            app = build_app(context=context, outdir=str(outdir))
            stack = app.node.find_child(STACK)
            template = Template.from_stack(stack)  # type: ignore[arg-type]
            app.synth()
            cache[key] = Synth(template, template.to_json(), outdir)
        return cache[key]

    yield make


@pytest.fixture(scope="session")
def synth(synth_with: Callable[..., Synth]) -> Synth:
    """The default deployment (new VPC, cdk.json context)."""
    return synth_with()
