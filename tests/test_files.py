"""The one atomic write and the one file-versioned cache (bot.files)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.files import VersionedCache, file_lock, file_version, load_yaml, replacing, write_atomic


def test_write_atomic_replaces_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    write_atomic(target, b"first")
    write_atomic(target, b"second, longer than the first")
    assert target.read_bytes() == b"second, longer than the first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.npy"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy"]


def test_a_replace_that_fails_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    write_atomic(target, b"old")

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_file_version_changes_on_every_atomic_write(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    assert file_version(target) == (0, 0)
    seen = set()
    for i in range(5):
        write_atomic(target, f"{i}".encode())
        seen.add(file_version(target))
    assert len(seen) == 5


def test_cache_rebuilds_only_when_the_version_changes(tmp_path: Path) -> None:
    source = tmp_path / "data.txt"
    cache: VersionedCache[str] = VersionedCache(maxsize=4)
    builds: list[str] = []

    def read() -> str:
        builds.append(source.read_text())
        return builds[-1]

    write_atomic(source, b"one")
    assert cache.get("k", file_version(source), read) == "one"
    assert cache.get("k", file_version(source), read) == "one"
    assert builds == ["one"]
    write_atomic(source, b"two")
    assert cache.get("k", file_version(source), read) == "two"
    assert builds == ["one", "two"]


def test_cache_drops_the_least_recently_used_past_its_size() -> None:
    cache: VersionedCache[int] = VersionedCache(maxsize=2)
    calls: list[str] = []

    def build(key: str) -> int:
        calls.append(key)
        return len(calls)

    cache.get("a", 1, lambda: build("a"))
    cache.get("b", 1, lambda: build("b"))
    cache.get("a", 1, lambda: build("a"))  # a is now the most recent
    cache.get("c", 1, lambda: build("c"))  # b goes
    assert len(cache) == 2
    cache.get("a", 1, lambda: build("a"))
    cache.get("b", 1, lambda: build("b"))
    assert calls == ["a", "b", "c", "b"]


def test_cache_builds_once_for_threads_asking_together() -> None:
    cache: VersionedCache[int] = VersionedCache()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", 1, slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 6 and len(calls) == 1


def test_load_yaml_sees_an_edit_and_names_a_missing_or_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    with pytest.raises(InputError, match="No motions file"):
        load_yaml(path, "motions file", "corpus/motions.yaml")
    write_atomic(path, b"a: 1\n")
    assert load_yaml(path, "motions file", "x") == {"a": 1}
    write_atomic(path, b"a: 2\n")
    assert load_yaml(path, "motions file", "x") == {"a": 2}
    write_atomic(path, b"a: [1\n")
    with pytest.raises(InputError, match="Fix its YAML syntax"):
        load_yaml(path, "motions file", "x")


def test_file_lock_times_out_with_the_callers_error(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with file_lock(lock, 1, lambda: RuntimeError("never")):
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        # filelock is re-entrant within one process only for the same lock object; a new one must wait.
        with pytest.raises(TimeoutError, match="busy"), file_lock(lock, 0.2, lambda: TimeoutError("busy")):
            pass
    finally:
        release.set()
        t.join()
    with file_lock(lock, 1, lambda: TimeoutError("busy")):
        pass


def test_the_manifest_is_parsed_once_per_version(tmp_path: Path) -> None:
    from bot.manifest import Manifest, load_manifest, save_manifest

    from .conftest import make_settings

    s = make_settings(tmp_path / "data")
    assert load_manifest(s).sources == {}  # nothing ingested yet
    save_manifest(Manifest(fingerprint="first", sources={"a": {"origin": "a.md", "passages": []}}), s)
    first = load_manifest(s)
    assert first.fingerprint == "first"
    assert load_manifest(s) is first, "a second reader gets the parsed manifest, not a new parse"
    save_manifest(Manifest(fingerprint="second"), s)
    assert load_manifest(s).fingerprint == "second", "a rewrite is seen at the next call"
