"""Files: the one atomic write, the one file lock, YAML loading, and the one cache of things built from files.

Everything the bot writes goes through ``write_atomic`` (or ``replacing`` for a library that writes to a path),
so a crash leaves the old file or the new one, never half of one. Everything it caches is a ``VersionedCache``
entry kept with the version it was built for: a file's version for what comes from a file (the manifest, stored
texts, sentence vectors, YAML files), the index version (``bot.manifest.for_index_version``) for what is built
from the whole index (the BM25 index, the sentence table), so an edit or a new ingest is seen at the next call.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import yaml
from filelock import FileLock, Timeout

from bot.errors import InputError

V = TypeVar("V")

Version = tuple[int, int]
"""A file's (mtime in ns, inode); (0, 0) for a file that does not exist."""


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temp path next to ``path``; when the block ends without an error it replaces ``path`` (fsynced).

    For code that must write to a path itself (``np.save``, ``torch.onnx.export``); on an error the temp file
    is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` through a temp file and ``os.replace``, fsynced."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold the cross-process lock file ``path``; after ``timeout`` s of waiting raise ``busy()``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise busy() from None
    try:
        yield
    finally:
        lock.release()


def file_version(path: Path) -> Version:
    """Return a cheap token that changes whenever the file is rewritten (an atomic write gives a new inode)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_ino)


class VersionedCache(Generic[V]):
    """Values kept with the version they were built for, least recently used dropped first past ``maxsize``.

    ``get(key, version, build)`` returns the value cached for ``key`` when its version is ``version``, else calls
    ``build()`` once (other threads asking for the same cache wait) and keeps the result.
    """

    def __init__(self, maxsize: int = 64) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()  # held for dict operations only
        self._building = threading.RLock()  # held while building (re-entrant: a build may read this cache)

    def _fresh(self, key: Hashable, version: Hashable) -> tuple[bool, V | None]:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != version:
                return False, None
            self._items.move_to_end(key)
            return True, found[1]

    def get(self, key: Hashable, version: Hashable, build: Callable[[], V]) -> V:
        """Return the value for ``key`` at ``version``, building it when missing or stale."""
        hit, value = self._fresh(key, version)
        if hit:
            return cast(V, value)
        with self._building:
            hit, value = self._fresh(key, version)
            if hit:
                return cast(V, value)
            built = build()
            with self._lock:
                self._items[key] = (version, built)
                self._items.move_to_end(key)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
            return built

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_YAML: VersionedCache[Any] = VersionedCache(maxsize=16)


def load_yaml(path: Path, what: str, example: str) -> Any:
    """Return a YAML file's data (cached until the file changes), or raise InputError naming ``what`` it is."""
    version = file_version(path)
    if version == (0, 0):
        raise InputError(f"No {what} at {path}.", f"Create it (see {example}).")
    return _YAML.get(path, version, lambda: _read_yaml(path, what))


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"Cannot read the {what} {path}: {exc}.", "Fix its YAML syntax.") from exc
