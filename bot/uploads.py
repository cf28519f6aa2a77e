"""Uploaded source files: copied into the data dir under a safe name, ingested, or rejected with nothing changed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from bot.errors import InputError, SourceError
from bot.ingest import ProgressFn, ingest
from bot.settings import Settings, get_settings
from bot.sources import SUFFIXES, check_size, slugify
from bot.types import IngestReport


def safe_name(filename: str) -> str:
    """Return a file name that cannot leave the uploads folder: no directories, a slug stem, a known suffix."""
    base = Path(str(filename).replace("\\", "/")).name
    suffix = Path(base).suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(
            f"Unsupported file type {suffix or '(none)'!r} for {base or filename!r}.",
            f"Use one of: {', '.join(SUFFIXES)}.",
        )
    stem = slugify(Path(base).stem, 60)
    return f"{stem}{suffix}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_upload(
    path: str | Path,
    *,
    filename: str | None = None,
    settings: Settings | None = None,
    progress: bool | ProgressFn = False,
) -> IngestReport:
    """Copy an uploaded file into ``uploads/`` and ingest it; a rejected file leaves no trace."""
    settings = settings or get_settings()
    src = Path(path)
    if not src.is_file():
        raise InputError(f"No uploaded file at {src}.", "Upload the file again.")
    name = safe_name(filename or src.name)
    check_size(src.stat().st_size, name, settings)
    uploads = settings.uploads_dir
    uploads.mkdir(parents=True, exist_ok=True)
    digest = _digest(src)
    for existing in uploads.iterdir():
        if existing.is_file() and existing.stat().st_size == src.stat().st_size and _digest(existing) == digest:
            raise InputError(f"{name} is already uploaded (as {existing.name}).", "Nothing to do.")
    dest = uploads / name
    n = 2
    while dest.exists():
        dest = uploads / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    tmp = dest.with_name(f".{dest.name}.part")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    try:
        report = ingest([dest], settings=settings, progress=progress)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if report.failed:
        dest.unlink(missing_ok=True)
        raise SourceError(
            f"{name} was not added: {next(iter(report.failed.values()))}", "Fix the file and upload it again."
        )
    return report
