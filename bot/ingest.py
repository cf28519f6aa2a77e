"""Incremental, idempotent, crash-safe indexing of sources into Chroma.

Sources are written in groups, each under an intent record (``pending`` in the manifest): the old passages are
deleted by source id, the new ones upserted under stable ids, the stored texts, passage vectors and sentence vectors
written, and only then are the manifest entries committed. A run that finds a pending record (a crash or kill
mid-write) redoes those sources, so store and manifest always end up agreeing, with no duplicates and nothing missing.

Besides its passages, each source's candidate sentences get vectors here once, so that ``ask()`` scores sentences
by lookup instead of running the model on a dozen sentences per question (see ``bot.grounding.candidate_vectors``).
The model runs on each sentence once and passage vectors are pooled from their sentences (``embed_group``), so
this costs less model work than embedding the passages alone.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bot.chunking import Chunk, chunk_document
from bot.embeddings import embed_texts, release_memory, token_sums
from bot.errors import BotError, IngestLockedError, InputError
from bot.files import file_lock, write_atomic
from bot.grounding import document_sentences, save_sentence_vectors, sentences_path
from bot.manifest import Manifest, read_manifest, save_manifest, text_path, unknown_source, vectors_path
from bot.settings import Settings, get_settings
from bot.sources import SKIPPED_NAMES, SUFFIXES, Document, is_url, read_source, source_id_for
from bot.store import drop_collection, get_collection
from bot.text import split_sentences
from bot.types import IngestReport, web_url

ProgressFn = Callable[[int, int, str], None]
"""Called as ``progress(done, total, source_id)`` while ingesting."""

GROUP_MIN_PASSAGES = 64
GROUP_MAX_PASSAGES = 2048
"""Sources are embedded and written in groups (see ``_write_group``) of a quarter of the passages already indexed,
within these bounds: a small first group commits early, and since each group rewrites the manifest (which grows with
the index), groups that grow with it keep that cost a constant share per passage instead of a quadratic one."""
UPSERT_BATCH = 2000


def fingerprint(settings: Settings) -> str:
    """Return a token of everything that changes passages or vectors; a change re-embeds every source."""
    parts = [settings.embedding_model, settings.chunk_size, settings.chunk_max_sentences, settings.chunk_overlap, 4]
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """Hold the data dir's ingest lock; a second ingest waits ``ingest_lock_timeout`` s, then fails clearly."""

    def busy() -> IngestLockedError:
        return IngestLockedError(
            f"Another ingest is running on {settings.data_dir} (waited {settings.ingest_lock_timeout:g} s).",
            "Wait for it to finish and run the command again.",
        )

    with file_lock(settings.data_dir / "ingest.lock", settings.ingest_lock_timeout, busy):
        yield


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
    """Index files, folders or URLs (default: the corpus and uploads); skip unchanged, replace changed, drop deleted.

    The steps: open the manifest (a new model or chunking re-embeds everything), redo what a crash left half
    written, plan the work (unchanged files are skipped by hash), drop the sources whose file is gone, then read,
    chunk, embed and write the rest in groups.
    """
    settings = settings or get_settings()
    began = time.perf_counter()
    report = IngestReport()
    explicit = paths is not None
    path_list = list(paths) if paths is not None else default_paths(settings)
    if explicit and not path_list:
        raise InputError("No paths given to ingest.", "Pass files, folders or URLs, or nothing for the shipped corpus.")
    with ingest_lock(settings):
        manifest = _open_manifest(settings, rebuild)
        origins, folders, problems = discover(path_list)
        report.failed.update(problems)
        origins = _with_interrupted(origins, manifest, settings)
        if explicit:
            manifest.excluded = [o for o in manifest.excluded if o not in origins]
        else:
            origins = [o for o in origins if o not in manifest.excluded]
        work = _plan(origins, manifest, report)
        _drop_deleted(manifest, folders, report, settings)
        _Writer(manifest, report, settings, len(work), progress).run(work)
        if not manifest_exists(settings):
            save_manifest(manifest, settings)
    report.seconds = time.perf_counter() - began
    return report


Work = list[tuple[str, str, str | None]]
"""What to (re)index: (origin, source id, file hash or None for a URL)."""


def _open_manifest(settings: Settings, rebuild: bool) -> Manifest:
    """Return the manifest to update: wiped for ``rebuild`` or when the model or chunking changed."""
    if rebuild:
        _wipe(settings)
    manifest = read_manifest(settings)
    fp = fingerprint(settings)
    if manifest.fingerprint and manifest.fingerprint != fp:
        # Model or chunking changed: every source must be re-embedded.
        _wipe(settings)
        manifest = Manifest()
    manifest.fingerprint = fp
    return manifest


def _with_interrupted(origins: list[str], manifest: Manifest, settings: Settings) -> list[str]:
    """Delete what a crash left half-written; its origins join this run when they still exist."""
    origins = list(origins)
    for sid, origin in list(manifest.pending.items()):
        _delete_source(sid, manifest, settings)
        if origin not in origins and (is_url(origin) or Path(origin).exists()):
            origins.append(origin)
    return origins


def _plan(origins: list[str], manifest: Manifest, report: IngestReport) -> Work:
    """Return the origins to index, skipping unchanged files; a clash of source ids fails the newcomer."""
    by_origin = {entry["origin"]: sid for sid, entry in manifest.sources.items()}
    work: Work = []
    seen_ids: dict[str, str] = {}
    for origin in origins:
        try:
            file_hash = _file_hash(origin, manifest.fingerprint)
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
    return work


def _drop_deleted(manifest: Manifest, folders: list[Path], report: IngestReport, settings: Settings) -> None:
    """Remove the sources whose file is gone from a scanned folder."""
    for sid, entry in list(manifest.sources.items()):
        origin = entry["origin"]
        if not is_url(origin) and not Path(origin).exists() and _under_any(origin, folders):
            _delete_source(sid, manifest, settings)
            report.removed.append(sid)
    if report.removed:
        save_manifest(manifest, settings)


Group = list[tuple[Document, str | None, list[Chunk]]]


class _Writer:
    """Reads and chunks the planned sources and writes them in groups that grow with the index."""

    def __init__(
        self, manifest: Manifest, report: IngestReport, settings: Settings, total: int, progress: bool | ProgressFn
    ) -> None:
        self.manifest, self.report, self.settings, self.total = manifest, report, settings, total
        self.callback = _progress_callback(progress, total)
        self.group: Group = []
        self.group_passages = 0
        self.done = 0
        self.indexed = sum(len(entry["passages"]) for entry in manifest.sources.values())

    def run(self, work: Work) -> None:
        """Index every planned source; one that cannot be read is reported and skipped."""
        for origin, sid, file_hash in work:
            try:
                doc = read_source(origin, self.settings, source_id=sid)
            except BotError as exc:
                self.report.failed[origin] = str(exc)
                self.done += 1
                continue
            chunks = chunk_document(doc, self.settings)
            self.group.append((doc, file_hash, chunks))
            self.group_passages += len(chunks)
            if self.group_passages >= min(GROUP_MAX_PASSAGES, max(GROUP_MIN_PASSAGES, self.indexed // 4)):
                self.flush()
        if self.group:
            self.flush()

    def flush(self) -> None:
        """Write the group and report each of its sources."""
        existed = {doc.source_id: doc.source_id in self.manifest.sources for doc, _, _ in self.group}
        _write_group(self.group, self.manifest, self.settings)
        for doc, _, chunks in self.group:
            self._report(doc, len(chunks), existed[doc.source_id])
        self.indexed += self.group_passages
        self.group = []
        self.group_passages = 0

    def _report(self, doc: Document, passages: int, existed: bool) -> None:
        report = self.report
        report.passages_embedded += passages
        (report.updated if existed else report.added).append(doc.source_id)
        if doc.dropped:
            report.dropped_lines[doc.source_id] = doc.dropped
        if doc.meta.get("url") and not web_url(doc.meta["url"]):
            report.warnings.setdefault(doc.source_id, []).append(
                f"url {doc.meta['url'][:80]!r} is not an http(s) address: it is shown as text, never as a link"
            )
        self.done += 1
        self.callback(self.done, self.total, doc.source_id)


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


def _write_group(group: list[tuple[Document, str | None, list[Chunk]]], manifest: Manifest, settings: Settings) -> None:
    """Embed and store several sources at once.

    One model run over the whole group's sentences (see ``embed_group``), one delete and a few upserts, and two
    manifest writes per group, not per source: the manifest grows with the index, and rewriting it twice per source
    made a large ingest quadratic. The intent record covers the whole group, so a crash anywhere in it redoes all
    of it.
    """
    passage_vectors, sentences, sent_vectors = embed_group(group, settings)
    release_memory()
    for doc, _, _ in group:
        manifest.pending[doc.source_id] = doc.origin
    save_manifest(manifest, settings)

    collection = get_collection(settings)
    where: Any = {"source_id": {"$in": [doc.source_id for doc, _, _ in group]}}
    collection.delete(where=where)
    rows = [(doc.source_id, c) for doc, _, chunks in group for c in chunks]
    for i in range(0, len(rows), UPSERT_BATCH):
        part = rows[i : i + UPSERT_BATCH]
        collection.upsert(
            ids=[c.id for _, c in part],
            embeddings=passage_vectors[i : i + UPSERT_BATCH],
            documents=[c.text for _, c in part],
            metadatas=[{"source_id": sid, "start": c.start, "end": c.end, "page": c.page or 0} for sid, c in part],
        )

    p_at = s_at = 0
    for (doc, file_hash, doc_chunks), spans in zip(group, sentences, strict=True):
        write_atomic(text_path(settings, doc.source_id), doc.text.encode("utf-8"))
        _save_npy(vectors_path(settings, doc.source_id), passage_vectors[p_at : p_at + len(doc_chunks)])
        save_sentence_vectors(settings, doc.source_id, spans, sent_vectors[s_at : s_at + len(spans)])
        p_at += len(doc_chunks)
        s_at += len(spans)
        content_hash = hashlib.sha256((doc.text + json.dumps(doc.meta, sort_keys=True)).encode()).hexdigest()
        manifest.sources[doc.source_id] = {
            "origin": doc.origin,
            "file_hash": file_hash or content_hash,
            "content_hash": content_hash,
            "meta": doc.meta,
            "chars": len(doc.text),
            "pages": doc.pages,
            "dropped": doc.dropped,
            "encoding": doc.encoding,
            "ingested": time.strftime("%Y-%m-%d"),
            "passages": [[c.id, c.start, c.end, c.page] for c in doc_chunks],
        }
        manifest.pending.pop(doc.source_id, None)
    save_manifest(manifest, settings)


def embed_group(
    group: list[tuple[Document, str | None, list[Chunk]]], settings: Settings
) -> tuple[np.ndarray, list[list[tuple[int, int]]], np.ndarray]:
    """Return the vectors of the group's passages, each source's candidate sentences and their vectors (in order).

    The model runs once per sentence, never on a passage: a passage is whole sentences, and with a mean-pooling
    model its vector is taken as the normalised mean of its sentences' token vectors (each sentence's token sum
    and count from ``bot.embeddings.token_sums``), while each candidate sentence keeps exactly the vector a bare
    encode of it gives. That is about 0.7x the model work of embedding the (overlapping) passages alone, and
    measured on the eval set it leaves retrieval and answers about where full passage vectors put them (README). A
    model that does not pool by mean embeds passages and candidate sentences as they are.
    """
    spans = [split_sentences(doc.text) for doc, _, _ in group]
    candidates = [document_sentences(doc.text, doc_spans) for (doc, _, _), doc_spans in zip(group, spans, strict=True)]
    texts = [doc.text[a:b] for (doc, _, _), doc_spans in zip(group, spans, strict=True) for a, b in doc_spans]
    summed = token_sums(texts, settings)
    if summed is None:
        passages = [c.text for _, _, chunks in group for c in chunks]
        sentences = [doc.text[a:b] for (doc, _, _), c in zip(group, candidates, strict=True) for a, b in c]
        vectors = embed_texts(passages + sentences, settings)
        return vectors[: len(passages)], candidates, vectors[len(passages) :]
    sums, counts = summed
    passage_rows: list[np.ndarray] = []
    sentence_rows: list[np.ndarray] = []
    at = 0
    for (_, _, chunks), doc_spans, doc_candidates in zip(group, spans, candidates, strict=True):
        starts = [a for a, _ in doc_spans]
        row_of = {span: at + i for i, span in enumerate(doc_spans)}
        for chunk in chunks:  # a chunk runs from one of its document's sentences to another, by construction
            first, last = bisect.bisect_left(starts, chunk.start), bisect.bisect_right(starts, chunk.end - 1)
            total = sums[at + first : at + last].sum(axis=0) / counts[at + first : at + last].sum()
            passage_rows.append(total)
        sentence_rows += [sums[row_of[span]] / counts[row_of[span]] for span in doc_candidates]
        at += len(doc_spans)
    return _unit_rows(passage_rows, sums.shape[1]), candidates, _unit_rows(sentence_rows, sums.shape[1])


def _unit_rows(rows: list[np.ndarray], dim: int) -> np.ndarray:
    matrix = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def _save_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    write_atomic(path, buffer.getvalue())


def _delete_source(source_id: str, manifest: Manifest, settings: Settings) -> None:
    get_collection(settings).delete(where={"source_id": source_id})
    text_path(settings, source_id).unlink(missing_ok=True)
    vectors_path(settings, source_id).unlink(missing_ok=True)
    sentences_path(settings, source_id).unlink(missing_ok=True)
    manifest.sources.pop(source_id, None)
    manifest.pending.pop(source_id, None)


def remove_source(source_id: str, *, settings: Settings | None = None) -> None:
    """Remove a source from the index; an uploaded file is deleted, a corpus file is excluded from later scans."""
    settings = settings or get_settings()
    with ingest_lock(settings):
        manifest = read_manifest(settings)
        entry = manifest.sources.get(source_id)
        if entry is None:
            raise unknown_source(source_id)
        origin = entry["origin"]
        _delete_source(source_id, manifest, settings)
        if not is_url(origin) and Path(origin).is_relative_to(settings.uploads_dir):
            Path(origin).unlink(missing_ok=True)
        elif origin not in manifest.excluded:
            manifest.excluded.append(origin)
        save_manifest(manifest, settings)


def _wipe(settings: Settings) -> None:
    drop_collection(settings)
    for sub in ("texts", "vectors"):
        shutil.rmtree(settings.data_dir / sub, ignore_errors=True)
    (settings.data_dir / "manifest.json").unlink(missing_ok=True)
