"""cfn-lint and checkov on the synthesized template: zero errors, zero failed checks.

Both run from their own virtualenv (.venv-infra, built by `make install`) because their
dependency trees conflict with the project's; a missing virtualenv is a failure, not a skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from infra_synth import Synth

pytestmark = pytest.mark.unit

SCAN_BIN = Path(__file__).resolve().parents[2] / ".venv-infra" / "bin"


def _tool(name: str) -> str:
    path = SCAN_BIN / name
    assert path.is_file(), f"{path} missing: run `make install` (it builds .venv-infra)"
    return str(path)


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    run = subprocess.run(
        [_tool("cfn-lint"), "--format", "json", str(synth.template_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    findings = json.loads(run.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], json.dumps(errors, indent=1)[:4000]
    # cfn-lint exits 2 on errors, 4 on warnings only, 0 when clean.
    assert run.returncode in (0, 4), run.stderr[-2000:]


def test_checkov_has_no_failed_checks_and_every_skip_has_a_reason(synth: Synth) -> None:
    run = subprocess.run(
        [
            _tool("checkov"),
            "--file",
            str(synth.template_path),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--skip-download",  # offline: no guideline download from the vendor's API
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout)
    failed = report["results"]["failed_checks"]
    assert failed == [], "\n".join(f"{c['check_id']} {c['resource']}" for c in failed)
    assert report["summary"]["passed"] > 100
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 20, f"{check['check_id']} on {check['resource']} has no reason"
