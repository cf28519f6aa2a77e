"""``python -m tools.bench_start``: the app's start, phase by phase, in one fresh process; prints one JSON line.

Run by ``make bench`` (``tools.bench.start_breakdown``) against an ingested data dir (BOT_DATA_DIR). It does what
``python app.py`` does -- the warm-up thread first, then gradio and the UI, then ``launch`` -- and marks the time
since the interpreter started at each step, then answers one question and cuts one brief in process.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    """Start the app as app.py does, marking each phase; print the marks as JSON."""
    import psutil

    # Marks count from the process's creation, as a user waiting for `python app.py` would.
    began = time.perf_counter() - (time.time() - psutil.Process().create_time())
    marks: dict[str, float] = {"interpreter_ready": 0.0}

    def mark(name: str) -> None:
        marks[name] = round(time.perf_counter() - began, 3)

    mark("interpreter_ready")

    from bot.settings import get_settings
    from bot.warmup import start_warm_up

    settings = get_settings()
    warm = start_warm_up(settings)
    mark("warm_up_started")
    import gradio  # noqa: F401 - timed: the biggest import of the start

    mark("gradio_imported")
    from bot.ui import build_app, launch

    demo = build_app(settings)
    mark("app_built")
    launch(demo, settings, prevent_thread_lock=True, quiet=True)
    mark("server_up")
    if warm is not None:
        warm.join()
    mark("warm_up_done")
    from bot.answer import ask

    ask("How many inmates can CECOT hold?", settings=settings)
    mark("first_answer")
    from bot.debate.brief import brief

    brief("El Salvador's mass-incarceration policy, symbolised by CECOT, is justified", settings=settings)
    mark("first_brief")
    demo.close()
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "langchain_core") if m in sys.modules)
    print(json.dumps({"marks_s": marks, "modules_loaded": heavy}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
