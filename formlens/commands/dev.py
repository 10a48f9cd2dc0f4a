"""``formlens dev``: tools for developers and tests (tiny checkpoints, synthetic documents)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def dev() -> None:
    """Developer tools."""


@dev.command("tiny-paligemma")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--image-size", type=click.Choice(["896", "448"]), default="896", show_default=True)
@click.option(
    "--family",
    type=click.Choice(["paligemma", "paligemma2"]),
    default="paligemma",
    show_default=True,
)
@click.option("--seed", type=int, default=0, show_default=True)
def tiny_paligemma(directory: Path, image_size: str, family: str, seed: int) -> None:
    """Write a tiny random-weight PaliGemma checkpoint to DIRECTORY (tests, CPU trials)."""
    from worker.engines.paligemma.tiny import build_tiny_checkpoint  # noqa: PLC0415  (torch)

    build_tiny_checkpoint(directory, image_size=int(image_size), family=family, seed=seed)
    click.echo(f"tiny PaliGemma ({family}, {image_size} px) written to {directory}")
