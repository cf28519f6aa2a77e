"""The web app: settings -> pipeline -> UI. ``python app.py`` serves it on BOT_HOST:BOT_PORT (127.0.0.1:7860).

Served from the command line (``bot.front.main``), the server starts at once with a small front: a start page that
already answers, and ``/api/ask``; the Gradio UI is mounted behind it as soon as it is built. With logins configured
(``BOT_AUTH``) Gradio serves everything from the start, behind its login. Imported, this module builds the Gradio
app as ``demo`` (for ``gradio app.py`` and other hosts).
"""

from __future__ import annotations

if __name__ == "__main__":
    from bot.front import main

    main()
else:
    from bot.ui import build_app

    demo = build_app()
