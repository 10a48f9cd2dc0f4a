"""Seconds per page for the CPU readers on one core: text layer, and OCR of a scanned page.

Not a test: run it by hand on the machine whose figures go into docs/ACCURACY.md.

    OMP_THREAD_LIMIT=1 taskset -c 0 python bench/cpu_speed.py [FILE ...]

Without files it generates an A4 invoice (text-layer PDF, and a 300 dpi scan of it). With
files it times each: PDFs by text layer (and by OCR at 300 dpi), images by OCR.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.doctypes import INVOICE
from core.files import FileLimits, inspect_file
from tests.unit.builders import INVOICE_EN, render_image, write_pdf
from worker.engines.ocr import TesseractReader
from worker.engines.textlayer import read_text_layer
from worker.pipeline.fields import extract_fields
from worker.pipeline.source import RenderSpec, SourceDocument

REPEATS = 5


def timed(work, repeats: int = REPEATS) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def text_layer_page(path: Path) -> float:
    def work() -> None:
        pages = read_text_layer(path)
        extract_fields(pages, INVOICE)

    return timed(work) / max(len(read_text_layer(path)), 1)


def ocr_page(path: Path, reader: TesseractReader) -> float:
    info = inspect_file(path, FileLimits(200 * 2**20, 200, 200_000_000))

    def work() -> None:
        image = SourceDocument(path, info.mime_type, 1).render(0, RenderSpec(dpi=300))
        extract_fields([reader.read(image, 0)], INVOICE)

    return timed(work, 2)


def main(files: list[str]) -> None:
    reader = TesseractReader("eng+deu+fra+nld")
    with tempfile.TemporaryDirectory() as folder:
        if not files:
            pdf = write_pdf(Path(folder) / "invoice.pdf", [INVOICE_EN])
            scan = Path(folder) / "scan.png"
            render_image(INVOICE_EN, scale=300 / 72).save(scan)
            files = [str(pdf), str(scan)]
        for name in files:
            path = Path(name)
            if path.suffix.lower() == ".pdf":
                print(f"text layer  {text_layer_page(path):6.3f} s/page  {path.name}")
            print(f"OCR 300dpi  {ocr_page(path, reader):6.3f} s/page  {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
