"""``formlens dev``: tools for developers and tests (tiny checkpoints, synthetic documents)."""

from __future__ import annotations

import click


@click.group()
def dev() -> None:
    """Developer tools."""
