"""Text encodings as this topic needs them: Spanish and Portuguese files in Windows-1252, Latin-1, UTF-16 with a
byte-order mark and mixed line endings read right, and the encoding used is reported in ``sources``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.sources import decode_text, read_source
from tests.conftest import make_settings

SPANISH = (
    "Señor élève, la prisión de Tecoluca está en el departamento de San Vicente. "
    "¿Quién decidió construirla? El Ministerio de Justicia y Seguridad Pública, según el informe."
)
PORTUGUESE = "A prisão tem capacidade para quarenta mil detentos, disse o ministro à imprensa em São Paulo."
QUOTES = "El informe – “Silencio no es opción” – cita 261 muertes."  # cp1252-only characters: dashes, curly quotes


@pytest.mark.parametrize(
    ("text", "encoding", "reported"),
    [
        (SPANISH, "cp1252", "cp1252"),
        (SPANISH, "latin-1", "cp1252"),  # the same bytes: cp1252 is Latin-1's superset for these letters
        (PORTUGUESE, "latin-1", "cp1252"),
        (QUOTES, "cp1252", "cp1252"),
        (SPANISH, "utf-16", "utf-16"),
        (PORTUGUESE, "utf-8-sig", "utf-8"),
        (SPANISH, "utf-8", "utf-8"),
    ],
)
def test_decoding(text: str, encoding: str, reported: str) -> None:
    decoded, used = decode_text(text.encode(encoding), "f.txt")
    assert decoded == text and used == reported


def test_latin1_control_range_is_not_taken_for_cp1252() -> None:
    # 0x81 is undefined in cp1252; as Latin-1 it is a C1 control: neither reads as prose, so the detector decides.
    data = "Informe de la Comisión".encode("latin-1") + b"\x81\x8d"
    decoded, used = decode_text(data, "f.txt")
    assert used not in ("cp1252", "latin-1") and "Comisi" in decoded


def test_files_in_each_encoding_are_stored_right_and_reported(tmp_path: Path) -> None:
    from bot.ingest import ingest
    from bot.manifest import list_sources, source_text

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "es-cp1252.txt").write_bytes(SPANISH.encode("cp1252"))
    (folder / "pt-latin1.txt").write_bytes(PORTUGUESE.encode("latin-1"))
    (folder / "es-utf16.txt").write_bytes(SPANISH.encode("utf-16"))
    (folder / "mixed-endings.txt").write_bytes(("Primera línea.\r\nSegunda línea.\rTercera línea.\n").encode("cp1252"))
    s = make_settings(tmp_path / "data", folder)
    report = ingest(settings=s)
    assert not report.failed and len(report.added) == 4
    by_id = {x.id: x for x in list_sources(s)}
    assert by_id["es-cp1252"].encoding == "cp1252" and by_id["es-utf16"].encoding == "utf-16"
    assert by_id["pt-latin1"].encoding == "cp1252"
    assert source_text("es-cp1252", s) == SPANISH == source_text("es-utf16", s)
    assert "Seńor" not in source_text("es-cp1252", s) and "São Paulo" in source_text("pt-latin1", s)
    assert source_text("mixed-endings", s).split() == "Primera línea. Segunda línea. Tercera línea.".split()


def test_read_source_records_the_encoding(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "nota.md"
    path.write_bytes(("---\ntitle: Nota\n---\n" + SPANISH).encode("cp1252"))
    doc = read_source(path, settings)
    assert doc.encoding == "cp1252" and doc.meta["title"] == "Nota" and "prisión" in doc.text
