"""One error family: every public exception class of the application derives from `LineageError`.

Adapters map `LineageError` subclasses to HTTP statuses and exit codes in one table each; a
class outside the family would fall through to a generic 500 or a traceback. The check imports
every module of every application package and inspects the classes each one defines, so a new
module or a new class is covered without being listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from lineage.errors import LineageError

pytestmark = pytest.mark.unit

# `infra/` is the CDK app: it runs under `cdk synth` beside, not inside, the application and
# may import aws-cdk-lib only (docs/architecture.md), so its ConfigError stays a ValueError.
PACKAGES = ("lineage", "lambdas", "glue_jobs", "loader", "local_neptune", "stores", "lineage_cli")


def _modules() -> list[ModuleType]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            found.append(importlib.import_module(info.name))
    return found


def _exception_classes() -> list[type[BaseException]]:
    classes = {
        cls
        for module in _modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }
    return sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_public_exception_is_a_lineage_error() -> None:
    classes = _exception_classes()
    # The walk must see the families it is about, or it proves nothing.
    names = {c.__name__ for c in classes}
    assert {"StorageError", "ConsumerError", "ProducerError", "GraphServerError"} <= names
    # Private classes (`_Stop`, `_NeedMoreLines`, ...) are control-flow signals caught in their
    # own module: under LineageError, an adapter's `except LineageError` around the same code
    # would turn a signal into an error answer.
    outside = [
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not c.__name__.startswith("_") and not issubclass(c, LineageError)
    ]
    assert outside == []
