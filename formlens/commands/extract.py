"""``formlens extract``: run the pipeline in-process on local files and write v1 exports."""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from pathlib import Path

import click

from core.doctypes import BUILTIN_TYPES
from core.export import DocumentMeta, export_document
from core.files import FileLimits, RejectedFile, inspect_file
from core.settings import Settings
from worker.engines.base import EngineError, EngineRequest, ReadOptions
from worker.engines.registry import EngineRegistry
from worker.pipeline.run import run_pipeline
from worker.pipeline.source import RenderError, SourceDocument

TYPE_CHOICES = ("auto", *BUILTIN_TYPES)


def file_limits(settings: Settings) -> FileLimits:
    return FileLimits(settings.max_upload_bytes, settings.max_pages, settings.max_image_pixels)


def extract_file(
    path: Path,
    settings: Settings,
    engines: EngineRegistry,
    *,
    doc_type: str,
    engine: str | None,
    ignore_embedded_xml: bool,
) -> dict[str, object]:
    """The v1 export of one local file, read exactly as a worker would read an upload."""
    info = inspect_file(path, file_limits(settings))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    source = SourceDocument(
        path,
        info.mime_type,
        info.page_count,
        render_timeout_s=settings.render_timeout_s,
        max_pixels=settings.max_image_pixels,
    )
    spec = None if doc_type == "auto" else BUILTIN_TYPES[doc_type]
    options = ReadOptions(
        ignore_embedded_xml=ignore_embedded_xml,
        ocr_languages=settings.ocr_languages,
        ocr_dpi=settings.ocr_dpi,
    )
    request = EngineRequest(document=source, spec=spec, types=BUILTIN_TYPES, options=options)
    output = run_pipeline(request, engines.get(engine or (spec.engine if spec else "auto")))
    result = output.result
    meta = DocumentMeta(
        id=str(uuid.uuid5(uuid.NAMESPACE_OID, sha256)),
        filename=path.name,
        sha256=sha256,
        pages=info.page_count,
        document_type=result.document_type,
        status="needs_review" if result.needs_review else "extracted",
    )
    return export_document(meta, result, BUILTIN_TYPES.get(result.document_type))


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", "out", required=True, help="Folder for FILE-STEM.json, or - to print.")
@click.option(
    "--type",
    "doc_type",
    type=click.Choice(TYPE_CHOICES),
    default="auto",
    show_default=True,
    help="Read as this type, or detect it.",
)
@click.option(
    "--engine",
    type=click.Choice(EngineRegistry.names()),
    default=None,
    help="Override the type's engine.",
)
@click.option(
    "--ignore-embedded-xml",
    is_flag=True,
    help="Read the page even when the PDF carries e-invoice XML.",
)
@click.pass_obj
def extract(
    settings: Settings,
    files: tuple[Path, ...],
    out: str,
    doc_type: str,
    engine: str | None,
    ignore_embedded_xml: bool,
) -> None:
    """Extract fields from FILES (PDF, PNG, JPEG, TIFF) into v1 export JSON."""
    engines = EngineRegistry(settings)
    out_dir = None if out == "-" else Path(out)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in files:
        started = time.perf_counter()
        try:
            export = extract_file(
                path,
                settings,
                engines,
                doc_type=doc_type,
                engine=engine,
                ignore_embedded_xml=ignore_embedded_xml,
            )
        except (RejectedFile, RenderError, EngineError) as error:
            failures += 1
            click.echo(f"{path.name}: failed: {error}", err=True)
            continue
        text = json.dumps(export, indent=2, ensure_ascii=False)
        if out_dir is None:
            sys.stdout.write(text + "\n")
        else:
            (out_dir / f"{path.stem}.json").write_text(text + "\n", encoding="utf-8")
            click.echo(
                f"{path.name}: {export['document']['status']}"  # type: ignore[index]
                f" in {time.perf_counter() - started:.2f} s",
                err=True,
            )
    if failures:
        raise SystemExit(1)
