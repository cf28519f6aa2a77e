"""``python -m bot bench``: speed measured against baselines in the same run (placeholder until it lands)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the bench subcommand to the ``python -m bot`` parser."""
    del sub
