"""``formlens eval GT_DIR``: extract every document of a ground-truth folder and score it.

The folder holds documents (PDF, PNG, JPEG, TIFF) each with a ``NAME.json`` of ground truth
(``{"fields": {name: value or null}}``; null is unlabelled). Scoring follows
:mod:`core.scoring`, the acceptance scorer's rules; the report lists per-field and key-field
accuracy, the slowest documents and every miss (field, expected, got).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from core.doctypes import KEY_FIELDS
from core.files import RejectedFile
from core.scoring import Score, score_document
from core.settings import Settings
from formlens.commands.extract import extract_file
from worker.engines.base import EngineError
from worker.engines.registry import EngineRegistry
from worker.pipeline.source import RenderError

DOCUMENT_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
SLOWEST_SHOWN = 5


@dataclass(frozen=True)
class Timed:
    name: str
    seconds: float
    pages: int


def ground_truth_pairs(folder: Path) -> list[tuple[Path, Path]]:
    """(document, ground truth) for every document that has a ``.json`` beside it."""
    pairs = []
    for path in sorted(folder.iterdir()):
        truth = path.with_suffix(".json")
        if path.suffix.lower() in DOCUMENT_SUFFIXES and truth.exists():
            pairs.append((path, truth))
    return pairs


def _fields_of(export: dict[str, Any]) -> dict[str, Any]:
    fields = export.get("fields")
    return fields if isinstance(fields, dict) else {}


def _report(score: Score, timings: list[Timed]) -> None:
    click.echo(f"{'field':18s} correct/labelled  accuracy")
    for name, (correct, labelled) in sorted(score.per_field.items()):
        click.echo(f"{name:18s} {correct:4d}/{labelled:<4d}       {correct / labelled:.3f}")
    click.echo(
        f"documents={score.documents} key_field_accuracy={score.accuracy(KEY_FIELDS)} "
        f"all_field_accuracy={score.accuracy()}"
    )
    pages = sum(t.pages for t in timings)
    seconds = sum(t.seconds for t in timings)
    click.echo(f"time: {seconds:.1f} s for {pages} pages ({seconds / max(pages, 1):.2f} s/page)")
    click.echo("slowest:")
    for timed in sorted(timings, key=lambda t: -t.seconds)[:SLOWEST_SHOWN]:
        click.echo(f"  {timed.seconds:6.2f} s  {timed.pages} p  {timed.name}")
    click.echo(f"misses ({len(score.misses)}):")
    for miss in score.misses:
        click.echo(f"  {miss.document}  {miss.field}: expected {miss.expected!r}, got {miss.got!r}")


@click.command("eval")
@click.argument("gt_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--engine", type=click.Choice(EngineRegistry.names()), default=None, help="Engine to use."
)
@click.option("--ignore-embedded-xml", is_flag=True, help="Read the page, not the e-invoice XML.")
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=Path),
    help="Also write each export as OUT/NAME.json.",
)
@click.pass_obj
def evaluate(
    settings: Settings,
    gt_dir: Path,
    engine: str | None,
    ignore_embedded_xml: bool,
    out: Path | None,
) -> None:
    """Extract every document of GT_DIR and score it against its ground truth."""
    engines = EngineRegistry(settings)
    score = Score()
    timings: list[Timed] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for document, truth_file in ground_truth_pairs(gt_dir):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if "fields" not in truth:
            continue
        started = time.perf_counter()
        try:
            export = extract_file(
                document,
                settings,
                engines,
                doc_type="auto",
                engine=engine,
                ignore_embedded_xml=ignore_embedded_xml,
            )
        except (RejectedFile, RenderError, EngineError) as error:
            click.echo(f"{document.name}: failed: {error}", err=True)
            export = {}
        meta = export.get("document")
        pages = int(meta.get("pages", 1)) if isinstance(meta, dict) else 1
        timings.append(Timed(document.name, time.perf_counter() - started, pages))
        score_document(score, truth_file.stem, truth["fields"], _fields_of(export))
        if out is not None and export:
            text = json.dumps(export, indent=2, ensure_ascii=False)
            (out / f"{document.stem}.json").write_text(text + "\n", encoding="utf-8")
    _report(score, timings)
