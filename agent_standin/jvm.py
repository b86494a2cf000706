"""Small helpers for reading Scala objects of the driver JVM through py4j."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

JavaObject = Any  # py4j proxies are untyped


class JvmTypes:
    """Answers `isinstance` questions about JVM objects, caching one answer per class name."""

    def __init__(self, jvm: JavaObject) -> None:
        self._jvm = jvm
        self._classes: dict[str, JavaObject | None] = {}
        self._answers: dict[tuple[str, str], bool] = {}
        self._names: dict[str, list[str]] = {}

    def _class(self, name: str) -> JavaObject | None:
        if name not in self._classes:
            try:
                self._classes[name] = self._jvm.java.lang.Class.forName(name)
            except Exception:
                # Optional modules (Hive) may be absent from the classpath.
                self._classes[name] = None
        return self._classes[name]

    def constructor_fields(self, node: JavaObject) -> list[tuple[str, Any]]:
        """(name, value) of a Scala case class's first constructor parameter list."""
        own = class_name_of(node)
        if own not in self._names:
            reflection = self._jvm.org.apache.spark.sql.catalyst.ScalaReflection
            try:
                self._names[own] = [
                    str(n) for n in seq(reflection.getConstructorParameterNames(node.getClass()))
                ]
            except Exception:
                # Not a case class: it simply reports no params.
                self._names[own] = []
        names = self._names[own]
        arity = int(node.productArity()) if names else 0
        return [(names[i], node.productElement(i)) for i in range(min(arity, len(names)))]

    def is_a(self, obj: JavaObject, class_name: str, obj_class: str | None = None) -> bool:
        """True when `obj` is an instance of the JVM class or interface `class_name`."""
        own = obj_class if obj_class is not None else class_name_of(obj)
        key = (own, class_name)
        if key not in self._answers:
            cls = self._class(class_name)
            self._answers[key] = bool(cls is not None and cls.isInstance(obj))
        return self._answers[key]


def class_name_of(obj: JavaObject) -> str:
    """The JVM class name of a py4j proxy."""
    return str(obj.getClass().getName())


def seq(obj: JavaObject) -> list[JavaObject]:
    """The elements of a Scala `Seq`."""
    return [obj.apply(i) for i in range(obj.size())]


def iterate(obj: JavaObject) -> Iterator[JavaObject]:
    """Lazily walk a Scala collection."""
    it = obj.iterator()
    while it.hasNext():
        yield it.next()


def option(obj: JavaObject) -> JavaObject | None:
    """The content of a Scala `Option`, or None."""
    return obj.get() if obj.isDefined() else None


def string_map(obj: JavaObject) -> dict[str, str]:
    """A Scala `Map[String, String]` as a dict (case-insensitive maps keep their original keys)."""
    out: dict[str, str] = {}
    for pair in iterate(obj):
        out[str(pair._1())] = str(pair._2())
    return out
