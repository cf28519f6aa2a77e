"""CLI commands for debate work (brief, rebut, clash); registered by bot.__main__."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands to the ``python -m bot`` parser."""
    del sub


def _unused(args: argparse.Namespace) -> int:  # pragma: no cover - placeholder until the commands land
    return 0
