"""The web app: settings -> pipeline -> UI. ``python app.py`` serves it on BOT_HOST:BOT_PORT (127.0.0.1:7860)."""

from __future__ import annotations

from bot.ui import build_app, launch

demo = build_app()

if __name__ == "__main__":
    launch(demo)
