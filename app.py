"""The web app: settings -> pipeline -> UI. ``python app.py`` serves it on BOT_HOST:BOT_PORT (127.0.0.1:7860)."""

from __future__ import annotations

if __name__ == "__main__":
    # Start loading the model while the UI library imports: the first answer comes sooner.
    from bot.warmup import start_warm_up

    start_warm_up()

from bot.ui import build_app, launch

demo = build_app()

if __name__ == "__main__":
    launch(demo)
