"""Incremental, idempotent, crash-safe indexing of sources into Chroma.

Each source is written under an intent record (``pending`` in the manifest): the old passages are deleted by
source id, the new ones upserted under stable ids, the stored text and vectors written, and only then is the
manifest entry committed. A run that finds a pending record (a crash or kill mid-write) redoes that source, so
store and manifest always end up agreeing, with no duplicates and nothing missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bot.errors import BotError, IngestLockedError, InputError, NotFoundError
from bot.manifest import Manifest, load_manifest, save_manifest, text_path, vectors_path, write_atomic
from bot.settings import Settings, get_settings
from bot.sources import SKIPPED_NAMES, SUFFIXES, Document, is_url, read_source, source_id_for
from bot.types import IngestReport

ProgressFn = Callable[[int, int, str], None]
"""Called as ``progress(done, total, source_id)`` while ingesting."""


def fingerprint(settings: Settings) -> str:
    """Return a token of everything that changes passages or vectors; a change re-embeds every source."""
    parts = [settings.embedding_model, settings.chunk_size, settings.chunk_max_sentences, settings.chunk_overlap, 2]
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """Hold the data dir's ingest lock; a second ingest waits ``ingest_lock_timeout`` s, then fails clearly."""
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.data_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=settings.ingest_lock_timeout)
    except Timeout:
        raise IngestLockedError(
            f"Another ingest is running on {settings.data_dir} (waited {settings.ingest_lock_timeout:g} s).",
            "Wait for it to finish and run the command again.",
        ) from None
    try:
        yield
    finally:
        lock.release()


def discover(paths: Iterable[str | Path]) -> tuple[list[str], list[Path], dict[str, str]]:
    """Expand folders into source files; return (origins, folders scanned, problems by path)."""
    origins: list[str] = []
    folders: list[Path] = []
    problems: dict[str, str] = {}
    for raw in paths:
        item = str(raw)
        if is_url(item):
            origins.append(item)
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            folders.append(path.resolve())
            for file in sorted(path.rglob("*")):
                if (
                    file.is_file()
                    and file.suffix.lower() in SUFFIXES
                    and file.name.lower() not in SKIPPED_NAMES
                    and not any(part.startswith(".") for part in file.relative_to(path).parts)
                ):
                    origins.append(str(file.resolve()))
        elif path.is_file():
            origins.append(str(path.resolve()))
        else:
            problems[item] = f"No such file or folder: {item}. Check the path."
    return origins, folders, problems


def default_paths(settings: Settings) -> list[Path]:
    """Return what a bare ``ingest`` indexes: the corpus folder and the uploads folder."""
    return [p for p in (settings.corpus_dir, settings.uploads_dir) if p.exists()]


def _file_hash(origin: str, fp: str) -> str | None:
    if is_url(origin):
        return None  # a URL is fetched and hashed by content
    digest = hashlib.sha256(fp.encode())
    with open(origin, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(
    paths: Iterable[str | Path] | None = None,
    *,
    settings: Settings | None = None,
    progress: bool | ProgressFn = False,
    rebuild: bool = False,
) -> IngestReport:
    """Index files, folders or URLs (default: the corpus and uploads); skip unchanged, replace changed, drop deleted."""
    settings = settings or get_settings()
    began = time.perf_counter()
    report = IngestReport()
    explicit = paths is not None
    path_list = list(paths) if paths is not None else default_paths(settings)
    if explicit and not path_list:
        raise InputError("No paths given to ingest.", "Pass files, folders or URLs, or nothing for the shipped corpus.")
    with ingest_lock(settings):
        if rebuild:
            _wipe(settings)
        manifest = load_manifest(settings)
        fp = fingerprint(settings)
        if manifest.fingerprint and manifest.fingerprint != fp:
            # Model or chunking changed: every source must be re-embedded.
            _wipe(settings)
            manifest = Manifest()
        manifest.fingerprint = fp

        origins, folders, problems = discover(path_list)
        report.failed.update(problems)
        # Redo sources a crash left half-written; their origins join this run when they still exist.
        for sid, origin in list(manifest.pending.items()):
            _delete_source(sid, manifest, settings)
            if origin not in origins and (is_url(origin) or Path(origin).exists()):
                origins.append(origin)
        if explicit:
            manifest.excluded = [o for o in manifest.excluded if o not in origins]
        else:
            origins = [o for o in origins if o not in manifest.excluded]

        by_origin = {entry["origin"]: sid for sid, entry in manifest.sources.items()}
        work: list[tuple[str, str, str | None]] = []
        seen_ids: dict[str, str] = {}
        for origin in origins:
            try:
                file_hash = _file_hash(origin, fp)
            except OSError as exc:
                report.failed[origin] = f"Cannot read {origin}: {exc}."
                continue
            sid = by_origin.get(origin) or source_id_for(origin)
            owner = manifest.sources.get(sid, {}).get("origin")
            if (owner and owner != origin) or seen_ids.get(sid, origin) != origin:
                other = owner if owner and owner != origin else seen_ids[sid]
                report.failed[origin] = (
                    f"Source id {sid!r} is already used by {other}. Rename one of the files so their names differ."
                )
                continue
            seen_ids[sid] = origin
            if file_hash is not None and manifest.sources.get(sid, {}).get("file_hash") == file_hash:
                report.unchanged.append(sid)
                continue
            work.append((origin, sid, file_hash))

        # Sources whose file is gone from a scanned folder are removed.
        for sid, entry in list(manifest.sources.items()):
            origin = entry["origin"]
            if not is_url(origin) and not Path(origin).exists() and _under_any(origin, folders):
                _delete_source(sid, manifest, settings)
                report.removed.append(sid)
        if report.removed:
            save_manifest(manifest, settings)

        callback = _progress_callback(progress, len(work))
        for done, (origin, sid, file_hash) in enumerate(work):
            try:
                doc = read_source(origin, settings, source_id=sid)
            except BotError as exc:
                report.failed[origin] = str(exc)
                continue
            existed = sid in manifest.sources
            report.passages_embedded += _write_source(doc, file_hash, manifest, settings)
            (report.updated if existed else report.added).append(sid)
            if doc.dropped:
                report.dropped_lines[sid] = doc.dropped
            callback(done + 1, len(work), sid)
        if not manifest_exists(settings):
            save_manifest(manifest, settings)
    report.seconds = time.perf_counter() - began
    return report


def manifest_exists(settings: Settings) -> bool:
    """Return True once a manifest has been written for the data dir."""
    return (settings.data_dir / "manifest.json").exists()


def _under_any(origin: str, folders: list[Path]) -> bool:
    path = Path(origin)
    return any(path.is_relative_to(folder) for folder in folders)


def _progress_callback(progress: bool | ProgressFn, total: int) -> ProgressFn:
    if callable(progress):
        return progress
    if not progress or total == 0:
        return lambda done, total, sid: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="source", desc="ingest", file=sys.stderr, leave=False)

    def update(done: int, total: int, sid: str) -> None:
        bar.set_postfix_str(sid[:30])
        bar.update(1)
        if done == total:
            bar.close()

    return update


def _write_source(doc: Document, file_hash: str | None, manifest: Manifest, settings: Settings) -> int:
    from bot.chunking import chunk_document
    from bot.embeddings import embed_texts
    from bot.store import get_collection

    chunks = chunk_document(doc, settings)
    vectors = embed_texts([c.text for c in chunks], settings)
    content_hash = hashlib.sha256((doc.text + json.dumps(doc.meta, sort_keys=True)).encode()).hexdigest()

    manifest.pending[doc.source_id] = doc.origin
    save_manifest(manifest, settings)

    collection = get_collection(settings)
    collection.delete(where={"source_id": doc.source_id})
    batch = 2000
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=vectors[i : i + batch],
            documents=[c.text for c in part],
            metadatas=[{"source_id": doc.source_id, "start": c.start, "end": c.end, "page": c.page or 0} for c in part],
        )
    write_atomic(text_path(settings, doc.source_id), doc.text.encode("utf-8"))
    vec_file = vectors_path(settings, doc.source_id)
    vec_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = vec_file.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(vec_file)

    manifest.sources[doc.source_id] = {
        "origin": doc.origin,
        "file_hash": file_hash or content_hash,
        "content_hash": content_hash,
        "meta": doc.meta,
        "chars": len(doc.text),
        "pages": doc.pages,
        "dropped": doc.dropped,
        "passages": [[c.id, c.start, c.end, c.page] for c in chunks],
    }
    manifest.pending.pop(doc.source_id, None)
    save_manifest(manifest, settings)
    return len(chunks)


def _delete_source(source_id: str, manifest: Manifest, settings: Settings) -> None:
    from bot.store import get_collection

    get_collection(settings).delete(where={"source_id": source_id})
    text_path(settings, source_id).unlink(missing_ok=True)
    vectors_path(settings, source_id).unlink(missing_ok=True)
    manifest.sources.pop(source_id, None)
    manifest.pending.pop(source_id, None)


def remove_source(source_id: str, *, settings: Settings | None = None) -> None:
    """Remove a source from the index; an uploaded file is deleted, a corpus file is excluded from later scans."""
    settings = settings or get_settings()
    with ingest_lock(settings):
        manifest = load_manifest(settings)
        entry = manifest.sources.get(source_id)
        if entry is None:
            raise NotFoundError(
                f"No ingested source with id {source_id!r}.", "List the ids with `python -m bot sources`."
            )
        origin = entry["origin"]
        _delete_source(source_id, manifest, settings)
        if not is_url(origin) and Path(origin).is_relative_to(settings.uploads_dir):
            Path(origin).unlink(missing_ok=True)
        elif origin not in manifest.excluded:
            manifest.excluded.append(origin)
        save_manifest(manifest, settings)


def _wipe(settings: Settings) -> None:
    from bot.store import drop_collection

    drop_collection(settings)
    for sub in ("texts", "vectors"):
        shutil.rmtree(settings.data_dir / sub, ignore_errors=True)
    (settings.data_dir / "manifest.json").unlink(missing_ok=True)
