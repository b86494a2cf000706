"""Raw zone in a local directory: the embedded default of `lineage serve --lake DIR`."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from lambdas.producer.errors import StoreError


class LocalRawZoneStore:
    """Keys are relative paths under `root`; each object is created once, atomically.

    A create writes a hidden temporary file in the target folder and hard-links it to the final
    name: `link` fails when the name exists, so concurrent creates cannot overwrite each other
    and a reader never sees a half-written file.
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self._root = root.resolve()
        # Without fsync a write is atomic and exclusive but sits in the page cache: a process
        # crash loses nothing, a power cut may lose the last seconds. With it, every create
        # costs several disk flushes (about 6 ms each on the benchmark machine).
        self._fsync = fsync
        try:
            self._root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create raw zone directory {self._root}: {exc}", cause=_cause(exc)
            ) from exc

    @property
    def location(self) -> str:
        """The root directory."""
        return str(self._root)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts[:-1]):
            raise StoreError(f"raw-zone key {key!r} is not a plain relative path")
        if parts[-1] in ("", ".", "..") or parts[-1].startswith("."):
            raise StoreError(f"raw-zone key {key!r} is not a plain relative path")
        return self._root.joinpath(*parts)

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Create `key` with `body` unless it exists (`content_type` is not recorded locally)."""
        path = self._path(key)
        temp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "xb") as out:
                out.write(body)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
            try:
                os.link(temp, path)
            except FileExistsError:
                return False
            if self._fsync:
                _fsync_dir(path.parent)
            return True
        except OSError as exc:
            raise StoreError(
                f"cannot write {path}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc
        finally:
            # Best effort: when the folder itself is gone there is no temporary file to remove,
            # and the error that matters has already been raised.
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

    def read(self, key: str) -> bytes | None:
        """The file's bytes, or None when absent."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(
                f"cannot read {path}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc

    def list_keys(self, prefix: str) -> list[str]:
        """Keys under `prefix` (hidden temporary files excluded), sorted."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self._path(folder + "/x").parent if folder else self._root
        if not base.is_dir():
            return []
        keys: list[str] = []
        try:
            for directory, _subdirs, files in os.walk(base):
                rel = Path(directory).relative_to(self._root).as_posix()
                for name in files:
                    if name.startswith("."):
                        continue
                    key = name if rel == "." else f"{rel}/{name}"
                    if key.startswith(prefix):
                        keys.append(key)
        except OSError as exc:
            raise StoreError(
                f"cannot list {base}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc
        return sorted(keys)


def _cause(exc: OSError) -> str:
    # The OS's words without the file name: what an HTTP client may see.
    return exc.strerror or type(exc).__name__


def _fsync_dir(directory: Path) -> None:
    # The new directory entry must be durable too, or a crash can lose an acknowledged file.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
