"""``formlens dev``: tools for developers and tests (tiny checkpoints, synthetic documents)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def dev() -> None:
    """Developer tools."""


@dev.command("synth")
@click.option("--type", "doc_type", type=click.Choice(["invoice", "receipt"]), required=True)
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the first document.")
@click.option("--format", "output", type=click.Choice(["pdf", "png", "jpeg"]), default="pdf")
@click.option("--language", type=click.Choice(["en", "de", "fr", "nl"]), default=None)
@click.option("--noise", type=click.FloatRange(0.0, 1.0), default=0.0, help="Scan noise, images.")
@click.option("--pages", type=click.IntRange(1, 20), default=1, show_default=True)
@click.option("--dpi", type=click.IntRange(36, 600), default=150, show_default=True)
def synth(
    doc_type: str,
    count: int,
    out_dir: Path,
    seed: int,
    output: str,
    language: str | None,
    noise: float,
    pages: int,
    dpi: int,
) -> None:
    """Write COUNT synthetic documents and their ground truth (NAME.ext + NAME.json) to OUT."""
    # Deferred so that other formlens commands do not pay for importing reportlab and numpy.
    from worker.synthetic import generate_many  # noqa: PLC0415

    options = {"language": language, "output": output, "pages": pages, "noise": noise, "dpi": dpi}
    documents = generate_many(doc_type, count, seed=seed, **options)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        for doc in documents:
            (out_dir / f"{doc.name}{doc.extension}").write_bytes(doc.data)
            truth = json.dumps(doc.to_ground_truth(), indent=2, ensure_ascii=False)
            (out_dir / f"{doc.name}.json").write_text(truth + "\n", encoding="utf-8")
    except ValueError as error:  # arguments that do not go together, e.g. noise on a PDF
        raise click.UsageError(str(error)) from error
    click.echo(f"wrote {count} {doc_type} document(s) to {out_dir}")


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
