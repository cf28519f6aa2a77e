"""A non-editable install works on its own: prompts, the corpus and the eval set come from the installed package.

``pip install .`` (not ``-e``) into a fresh venv, then ``python -m bot`` from a folder outside the checkout. The
venv borrows this venv's third-party packages through a ``.pth`` line (torch and the rest are not reinstalled);
a ``.pth`` line adds a folder to ``sys.path`` without running the ``.pth`` files inside it, so the editable
install of ``bot`` living there stays out and only the freshly installed copy can be imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bot.settings import PROJECT_DIR

from .conftest import FIXTURE_CORPUS

QUESTION = "How many inmates can the prison hold?"  # the fixture corpus names no prison: "CECOT" would be refused


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[1:4]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (the python of a fresh venv with the package installed from a copy of the checkout, its site dir)."""
    root = tmp_path_factory.mktemp("install")
    src = root / "src"  # a copy, so the build's build/ and egg-info never land in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_DIR / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("bot", "prompts", "corpus", "tests/eval"):
        shutil.copytree(PROJECT_DIR / name, src / name, ignore=ignore)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root, {}).strip()
    )
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    _run([*pip, "--no-build-isolation", "--no-cache-dir", str(src)], root, dict(os.environ))
    return python, site


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_") and k != "PYTHONPATH"}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        BOT_DATA_DIR=str(data_dir),
        BOT_EMBED_CACHE_DIR=str(PROJECT_DIR / ".bot" / "models"),  # the ONNX export every test shares
    )
    return env


def test_the_installed_package_finds_its_prompts_corpus_and_eval_set(installed: tuple[Path, Path], tmp_path: Path):
    python, site = installed
    probe = (
        "import json, bot, bot.settings as s, bot.evalset as e, bot.prompts as p\n"
        "st = s.get_settings()\n"
        "names = sorted(f.name for f in st.corpus_dir.glob('*.md'))\n"
        "p.load_prompt('answer', st)\n"
        "print(json.dumps({'bot': bot.__file__, 'prompts': str(st.prompts_dir), 'corpus': str(st.corpus_dir),\n"
        "    'motions': st.motions_file.is_file(), 'clash': st.clash_topics_file.is_file(), 'sources': names,\n"
        "    'eval': len(e.load_eval().questions), 'data': str(st.data_dir)}))\n"
    )
    found = json.loads(_run([str(python), "-c", probe], tmp_path, _env(tmp_path / "data")).strip().splitlines()[-1])
    assert Path(found["bot"]).is_relative_to(site), "the installed copy is imported, not the checkout"
    for key in ("prompts", "corpus"):
        assert Path(found[key]).is_relative_to(site), f"{key} resolved outside the installed package"
    shipped = sorted(p.name for p in (PROJECT_DIR / "corpus").glob("*.md"))
    assert found["sources"] == shipped and found["motions"] and found["clash"]
    assert found["eval"] > 0


def test_the_installed_package_ingests_and_answers_with_a_citation(installed: tuple[Path, Path], tmp_path: Path):
    python, _ = installed
    elsewhere = tmp_path / "elsewhere"  # not the checkout, not the venv
    elsewhere.mkdir()
    env = _env(tmp_path / "data")
    _run([str(python), "-m", "bot", "ingest", str(FIXTURE_CORPUS), "--quiet"], elsewhere, env)
    answer = json.loads(_run([str(python), "-m", "bot", "ask", QUESTION, "--json"], elsewhere, env))
    assert not answer["refused"], answer
    assert answer["citations"] and all(c["verified"] for c in answer["citations"])
    stored = (tmp_path / "data" / "texts" / f"{answer['citations'][0]['source_id']}.txt").read_text(encoding="utf-8")
    first = answer["citations"][0]
    assert stored[first["start"] : first["end"]] == first["quote"]
