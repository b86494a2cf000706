"""Code assets built from the repository's source folders, on this machine, without Docker.

Synth only copies source packages (no pip, no network). Third-party dependencies of the
Lambdas come from a layer that `make package` builds into `infra/build/lambda-deps/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

__all__ = ["REPO_ROOT", "bundled_source", "deps_layer_present"]

REPO_ROOT = Path(__file__).resolve().parents[2]

# Never deployed: leftovers of local runs and caches that would make the asset hash unstable.
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


@jsii.implements(cdk.ILocalBundling)
class _CopyPackages:
    """Local bundler: copies the named top-level source items into the asset folder."""

    def __init__(self, items: tuple[str, ...]) -> None:
        self._items = items

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        out = Path(output_dir)
        for item in self._items:
            source = REPO_ROOT / item
            if source.is_dir():
                shutil.copytree(source, out / item, ignore=_IGNORED, dirs_exist_ok=True)
            elif source.is_file():
                (out / item).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, out / item)
            # A package another helper has not created yet is simply absent from the asset.
        return True


def bundled_source(items: tuple[str, ...]) -> cdk.BundlingOptions:
    """Bundling options that copy `items` locally; the image is never pulled (no Docker)."""
    return cdk.BundlingOptions(
        # Required by the API but unused: local bundling always succeeds, so Docker never runs.
        image=cdk.DockerImage.from_registry("local-bundling-only"),
        local=_CopyPackages(items),
        # CDK caches staged assets by source path + bundling options; the local bundler is opaque
        # to that key, so name the items here or two assets from one folder would share output.
        environment={"LINEAGE_BUNDLE_ITEMS": ",".join(items)},
    )


def deps_layer_present(layer_dir: Path) -> bool:
    """True when `make package` has built the Lambda dependency layer in `layer_dir`."""
    return (layer_dir / "python").is_dir()
