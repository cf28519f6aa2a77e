"""README's Python examples run verbatim, after every submodule has been imported and before: public names stay
the functions whatever was imported first (``bot.brief`` is the function, not the module ``bot/debate/brief.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bot.settings import PROJECT_DIR, Settings

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
EXAMPLE = "\n".join(re.findall(r"```python\n(.*?)```", SECTION, re.S))
SUBMODULES = sorted(
    ".".join(p.relative_to(PROJECT_DIR).with_suffix("").parts)
    for p in (PROJECT_DIR / "bot").rglob("*.py")
    if p.stem not in ("__init__", "__main__")
)


def run(code: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOT_DATA_DIR": str(settings.data_dir), "BOT_CORPUS_DIR": str(settings.corpus_dir)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_DIR, env=env, timeout=600
    )


def test_readme_python_examples_run_verbatim_in_any_import_order(corpus_index: Settings) -> None:
    assert "bot.brief(" in EXAMPLE and "bot.ingest(" in EXAMPLE
    imports = f"import importlib\nfor m in {SUBMODULES!r}:\n    importlib.import_module(m)\n"
    names = ["brief", "rebut", "clash", "ingest", "ask", "retrieve", "source_text", "list_sources"]
    check = f"import bot, types\nassert not [n for n in {names!r} if isinstance(getattr(bot, n), types.ModuleType)]\n"
    # The example first (public names resolved before any submodule is imported), then every submodule, then the
    # example again: both orders in one process.
    code = EXAMPLE + "\n" + imports + check + EXAMPLE + "\n" + check
    code += "print(type(bot.brief).__name__, type(bot.clash).__name__, type(bot.ingest).__name__)\n"
    result = run(code, corpus_index)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "function function function"


def test_submodule_imports_cannot_shadow_public_names() -> None:
    code = "import bot.debate.brief, bot.debate.clash, bot.ingest, bot.debate.rebuttal, bot\nimport types\n"
    code += (
        "print(all(callable(f) and not isinstance(f, types.ModuleType) for f in (bot.brief, bot.clash, bot.ingest)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_DIR, timeout=120)
    assert result.stdout.strip() == "True", result.stderr[-2000:]


def test_the_layout_section_names_every_module() -> None:
    layout = README.split("## Layout", 1)[1].split("```")[1]
    inside_bot = "\n".join(line for line in layout.splitlines() if re.match(r" {2,4}\S", line))  # the bot/ tree
    named = set(re.findall(r"[\w]+\.py", inside_bot))
    modules = {p.name for p in (PROJECT_DIR / "bot").rglob("*.py") if p.name != "__init__.py"}
    assert modules - named == set(), "README's Layout leaves these modules out"
    assert named - modules == set(), "README's Layout names modules that do not exist"
