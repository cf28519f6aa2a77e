"""The manifest of ingested sources and their stored texts: the ground truth every offset refers to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import InputError, NotFoundError, StoreError
from bot.files import Version, VersionedCache, file_version, write_atomic
from bot.settings import Settings, get_settings
from bot.types import SourceInfo, SourceView

FORMAT = 1


@dataclass
class Manifest:
    """Sources by id: origin, content hash, provenance and passage offsets; plus interrupted work."""

    fingerprint: str = ""
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written to disk."""
        return {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "sources": self.sources,
            "pending": self.pending,
            "excluded": self.excluded,
        }


def manifest_path(settings: Settings) -> Path:
    """Return where the manifest lives."""
    return settings.data_dir / "manifest.json"


_SOURCE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")


def unknown_source(source_id: object) -> NotFoundError:
    """Return the error for a source id that is not ingested (raised by every lookup of a source)."""
    return NotFoundError(
        f"No ingested source with id {str(source_id)[:80]!r}.", "List the ids with `python -m bot sources`."
    )


def check_source_id(source_id: object) -> str:
    """Return the id if it has the shape ingest gives ids (a slug), else raise NotFoundError: never a path."""
    if not isinstance(source_id, str) or not _SOURCE_ID.fullmatch(source_id):
        raise unknown_source(source_id)
    return source_id


def text_path(settings: Settings, source_id: str) -> Path:
    """Return where a source's stored (normalised) text lives."""
    return settings.data_dir / "texts" / f"{check_source_id(source_id)}.txt"


def vectors_path(settings: Settings, source_id: str) -> Path:
    """Return where a source's passage vectors live (a local copy used for diversity and grounding)."""
    return settings.data_dir / "vectors" / f"{check_source_id(source_id)}.npy"


_MANIFESTS: VersionedCache[Manifest] = VersionedCache(maxsize=8)


def load_manifest(settings: Settings | None = None) -> Manifest:
    """Return the manifest, parsed once per version of the file; shared, so callers must not change it."""
    settings = settings or get_settings()
    return _MANIFESTS.get(str(settings.data_dir), manifest_version(settings), lambda: read_manifest(settings))


def read_manifest(settings: Settings) -> Manifest:
    """Read the manifest afresh, for a caller that changes and saves it (an empty one before the first ingest)."""
    path = manifest_path(settings)
    if not path.exists():
        return Manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"The manifest {path} is unreadable ({exc}).", "Run `python -m bot ingest --rebuild` to rebuild the index."
        ) from exc
    return Manifest(
        fingerprint=data.get("fingerprint", ""),
        sources=data.get("sources", {}),
        pending=data.get("pending", {}),
        excluded=data.get("excluded", []),
    )


def save_manifest(manifest: Manifest, settings: Settings) -> None:
    """Write the manifest atomically (a crash leaves either the old or the new file, never half of one)."""
    write_atomic(manifest_path(settings), json.dumps(manifest.to_json(), ensure_ascii=False).encode("utf-8"))


def manifest_version(settings: Settings) -> Version:
    """Return the index version: a cheap token that changes whenever the manifest is rewritten."""
    return file_version(manifest_path(settings))


V = TypeVar("V")


def for_index_version(
    cache: VersionedCache[V], settings: Settings, build: Callable[[Settings, Version], V], key: Hashable = ""
) -> V:
    """Return ``cache``'s value for the data dir (and ``key``), rebuilt once when the index version changes."""
    version = manifest_version(settings)
    return cache.get((str(settings.data_dir), key), version, lambda: build(settings, version))


_TEXTS: VersionedCache[str] = VersionedCache(maxsize=1024)


def source_text(source_id: str, settings: Settings | None = None) -> str:
    """Return a stored source's text: for any passage ``p``, ``source_text(p.source_id)[p.start:p.end] == p.text``."""
    settings = settings or get_settings()
    path = text_path(settings, source_id)
    version = file_version(path)
    if version == (0, 0):
        raise unknown_source(source_id)
    return _TEXTS.get(path, version, lambda: path.read_text(encoding="utf-8"))


def info_from_entry(source_id: str, entry: dict[str, Any]) -> SourceInfo:
    """Build a SourceInfo from a manifest entry."""
    meta = entry.get("meta", {})
    return SourceInfo(
        id=source_id,
        title=meta.get("title", ""),
        publisher=meta.get("publisher", ""),
        author=meta.get("author", ""),
        date=meta.get("date", ""),
        url=meta.get("url", ""),
        kind=meta.get("kind", ""),
        leaning=meta.get("leaning", ""),
        origin=entry.get("origin", ""),
        chars=int(entry.get("chars", 0)),
        passages=len(entry.get("passages", [])),
        dropped_lines=tuple(entry.get("dropped", [])),
        digest=meta.get("digest") == "true",
        encoding=entry.get("encoding", ""),
        credentials=meta.get("credentials", ""),
        ingested=entry.get("ingested", ""),
    )


def source_view(source_id: str, start: int, end: int, settings: Settings | None = None) -> SourceView:
    """Return a source's stored text with ``[start:end]`` marked (checked against the text's length)."""
    settings = settings or get_settings()
    info = source_info(source_id, settings)
    text = source_text(source_id, settings)
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        raise InputError("start and end must be whole numbers.", "Pass the offsets of a citation or a card.")
    if not 0 <= start < end <= len(text):
        raise InputError(
            f"The span [{start}:{end}] is outside {source_id}, which holds {len(text)} characters.",
            "Pass the offsets of a citation or a card of this source.",
        )
    return SourceView(
        source_id=source_id,
        title=info.title,
        publisher=info.publisher,
        url=info.url,
        digest=info.digest,
        text=text,
        start=start,
        end=end,
        quote=text[start:end],
    )


def superseded_digests(sources: list[SourceInfo]) -> set[str]:
    """Return the ids of digests whose original is ingested too (same URL, or same title and publisher).

    Cards and answers then use the original's words; the digest stays listed and searchable.
    """

    def keys(s: SourceInfo) -> set[str]:
        out = {f"url:{s.url.strip().rstrip('/').lower()}"} if s.url.strip() else set()
        if s.title.strip() and s.publisher.strip():
            out.add(f"tp:{s.title.strip().lower()}|{s.publisher.strip().lower()}")
        return out

    originals = set().union(*(keys(s) for s in sources if not s.digest)) if sources else set()
    return {s.id for s in sources if s.digest and keys(s) & originals}


def list_sources(settings: Settings | None = None) -> list[SourceInfo]:
    """Return every ingested source, sorted by id."""
    manifest = load_manifest(settings)
    return [info_from_entry(sid, manifest.sources[sid]) for sid in sorted(manifest.sources)]


def source_info(source_id: str, settings: Settings | None = None) -> SourceInfo:
    """Return one ingested source's provenance, or raise NotFoundError."""
    manifest = load_manifest(settings)
    if source_id not in manifest.sources:
        raise unknown_source(source_id)
    return info_from_entry(source_id, manifest.sources[source_id])
