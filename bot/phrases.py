"""Fixed phrases, defined once: prompts, the answerers, the UI and the tests import them from here."""

from __future__ import annotations

import re

REFUSAL = "The loaded sources do not answer this question."
"""Said (verbatim) by every answerer, LLM or extractive, when the sources do not cover the question."""

CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
"""A citation marker: ``[1]`` or ``[1, 3]``."""

BOT_WORDS_LABEL = "bot's words"
"""How text the bot wrote itself (tags, analytic lines) is labelled: never evidence."""

YOUR_WORDS_LABEL = "your words"
"""A card's tag as the debater wrote it (``cut_cards``)."""

DIGEST_LABEL = (
    "digest: the project's summary of the original, not the author's words; cut the card from the original before "
    "reading it in a round"
)
"""Shown with every quote, card and cite that comes from a digest (a source whose front matter says digest: true)."""

CLOSEST_LABEL = "Closest material (not an answer)"
"""Heading over the passages shown with a refusal."""
