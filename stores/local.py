"""A store in a local directory: the embedded default of `lineage serve` and `lineage rebuild`."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from lineage.store import (
    MissingObjectError,
    StorageError,
    StoredObject,
    check_key,
    check_prefix,
)

__all__ = ["LocalStore"]


class LocalStore:
    """Keys are relative paths under `path`; every write is atomic (temporary file, then rename).

    `create` hard-links the temporary file to the final name: `link` fails when the name exists,
    so concurrent creates cannot overwrite each other and a reader never sees a half-written
    file. `write` renames over the name instead (the build folder is rewritten on every run).
    Temporary names start with `.` and hold `.tmp-`, which raw-zone readers skip
    (`lineage.raw_zone_layout.is_temporary`) and a build folder accepts
    (`lineage.manifest.is_build_file`). Nothing touches the disk until the first write, so
    opening a store for reading never creates a directory. A plain value object: picklable,
    so Spark can ship it to Python workers.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = str(Path(path).resolve())
        # Without fsync a write is atomic and exclusive but sits in the page cache: a process
        # crash loses nothing, a power cut may lose the last seconds. With it, every write
        # costs several disk flushes (about 6 ms each on the benchmark machine).
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"LocalStore({self.path!r}, fsync={self.fsync})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStore) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def root(self) -> str:
        """The root directory (absolute)."""
        return self.path

    def make_root(self) -> None:
        """Create the root directory now, so a writer that cannot create it fails at start-up."""
        try:
            Path(self.path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create raw zone directory {self.path}: {exc.strerror or exc}",
                cause=_cause(exc),
            ) from exc

    def _file(self, key: str, *, writing: bool = False) -> Path:
        return Path(self.path, *check_key(key, writing=writing).split("/"))

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Files whose key starts with `prefix`, in key order (the folder is walked first)."""
        folder = check_prefix(prefix).rpartition("/")[0]
        base = Path(self.path, *folder.split("/")) if folder else Path(self.path)
        found: list[StoredObject] = []
        try:
            _walk(base, f"{folder}/" if folder else "", prefix, found)
        except OSError as exc:
            raise StorageError(
                f"cannot list {base}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc
        found.sort()
        return iter(found)

    def read(self, key: str) -> bytes:
        """The file's bytes; `MissingObjectError` when there is no such file."""
        path = self._file(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            # A folder is no object, as in S3 (where `a/b` existing says nothing about `a`).
            raise MissingObjectError(f"cannot read {path}: {exc.strerror}") from exc
        except OSError as exc:
            raise StorageError(
                f"cannot read {path}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Create `key` unless it exists (`content_type` is not recorded in a directory)."""
        return self._publish(self._file(key, writing=True), body, exclusive=True)

    def write(self, key: str, data: bytes) -> None:
        """Replace `key` whole: a retried Spark task or a crash never leaves half a file."""
        self._publish(self._file(key, writing=True), data, exclusive=False)

    def delete_prefix(self, prefix: str) -> int:
        """Delete the files under `prefix`, then the folders that emptied (never the root)."""
        keys = [item.key for item in self.list(prefix)]
        try:
            for key in keys:
                Path(self.path, *key.split("/")).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot delete {self.path}/{prefix}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc
        folders = {key.rsplit("/", i)[0] for key in keys for i in range(1, key.count("/") + 1)}
        # Deepest first; only folders wholly inside the prefix, and only when empty.
        for folder in sorted(folders, key=lambda f: -f.count("/")):
            if f"{folder}/".startswith(prefix):
                with contextlib.suppress(OSError):
                    Path(self.path, *folder.split("/")).rmdir()
        return len(keys)

    def _publish(self, path: Path, body: bytes, *, exclusive: bool) -> bool:
        """Write a hidden temporary file beside `path`, then give it the final name: a hard
        link when `exclusive` (False when the name exists), else a rename over it."""
        temp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "xb") as out:
                out.write(body)
                if self.fsync:
                    out.flush()
                    os.fsync(out.fileno())
            if exclusive:
                try:
                    os.link(temp, path)
                except FileExistsError:
                    return False
            else:
                os.replace(temp, path)
            if self.fsync:
                _fsync_dir(path.parent)
            return True
        except OSError as exc:
            raise StorageError(
                f"cannot write {path}: {exc.strerror or exc}", cause=_cause(exc)
            ) from exc
        finally:
            # Best effort: when the folder itself is gone there is no temporary file to remove,
            # and the error that matters has already been raised. After a rename it is gone.
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)


def _walk(folder: Path, rel: str, prefix: str, found: list[StoredObject]) -> None:
    # scandir gives the entry type without a stat call; only files under the prefix are sized.
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        key = rel + entry.name
        if entry.is_dir(follow_symlinks=False):
            if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                _walk(Path(entry.path), key + "/", prefix, found)
        elif key.startswith(prefix) and entry.is_file():
            found.append(StoredObject(key, entry.stat().st_size))


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
