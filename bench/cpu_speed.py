"""Seconds per page for the CPU readers on one core: text layer, and OCR of a scanned page.

Not a test: run it by hand on the machine whose figures go into docs/ACCURACY.md.

    OMP_THREAD_LIMIT=1 taskset -c 0 python bench/cpu_speed.py [FILE ...]

Without files it generates an A4 invoice (text-layer PDF, and a 300 dpi scan of it). With
files it times each: PDFs by text layer (and by OCR at 300 dpi), images by OCR. Times are CPU
seconds of this process and its Tesseract children (RapidOCR runs in-process on one thread),
so other work on a shared machine does not inflate them; each includes field extraction.

* ``OCR 300dpi``: Tesseract alone (the ``tesseract`` engine);
* ``auto``: what a worker does with a scan: Tesseract, then a second look where a required
  field is missing (``+N``: the other readings made, Tesseract as one block for a receipt,
  RapidOCR).

The last lines give the mean over the files of each kind.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.doctypes import BUILTIN_TYPES, INVOICE
from core.domain import PageText
from core.files import FileLimits, inspect_file
from tests.unit.builders import INVOICE_EN, render_image, write_pdf
from worker.engines.base import Engine, EngineRequest, ReadOptions
from worker.engines.cpu import CpuEngine, Reading, SecondLook
from worker.engines.ocr import RapidOcrReader, TesseractReader
from worker.engines.textlayer import read_text_layer
from worker.pipeline.fields import extract_fields
from worker.pipeline.source import RenderSpec, SourceDocument

REPEATS = 5
LANGUAGES = "eng+deu+fra+nld"


def cpu_seconds() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], object], repeats: int = REPEATS) -> float:
    runs = []
    for _ in range(repeats):
        started = cpu_seconds()
        work()
        runs.append(cpu_seconds() - started)
    return statistics.median(runs)


def _source(path: Path) -> SourceDocument:
    info = inspect_file(path, FileLimits(200 * 2**20, 200, 200_000_000))
    return SourceDocument(path, info.mime_type, info.page_count)


def text_layer_page(path: Path) -> float:
    def work() -> None:
        pages = read_text_layer(path)
        extract_fields(pages, INVOICE)

    return timed(work) / max(len(read_text_layer(path)), 1)


def ocr_page(path: Path, reader: TesseractReader) -> float:
    source = _source(path)

    def work() -> None:
        image = source.render(0, RenderSpec(dpi=300))
        extract_fields([reader.read(image, 0)], INVOICE)

    return timed(work, 2)


class CountedLook:
    """The worker's second look, counting the other readings it makes."""

    def __init__(self, inner: SecondLook) -> None:
        self.inner = inner
        self.readings = 0

    def again(self, page: PageText, image: Image.Image, one_column: bool) -> Iterator[PageText]:
        for reading in self.inner.again(page, image, one_column):
            self.readings += 1
            yield reading


def auto_page(path: Path, engine: Engine, look: CountedLook) -> tuple[float, int]:
    """The auto engine on a scan (types detected, embedded XML ignored), per page."""
    source = _source(path)
    request = EngineRequest(source, None, BUILTIN_TYPES, ReadOptions(ignore_embedded_xml=True))
    look.readings = 0
    engine.run(request)
    readings = look.readings
    return timed(lambda: engine.run(request), 2) / max(source.page_count, 1), readings


def main(files: list[str]) -> None:
    reader = TesseractReader(LANGUAGES)
    look = CountedLook(SecondLook(LANGUAGES, RapidOcrReader))
    auto = CpuEngine("auto", Reading.AUTO, lambda: TesseractReader(LANGUAGES), look)
    tesseract_times: list[float] = []
    auto_times: list[float] = []
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
            seconds = ocr_page(path, reader)
            tesseract_times.append(seconds)
            print(f"OCR 300dpi  {seconds:6.3f} s/page  {path.name}")
            if path.suffix.lower() != ".pdf":
                seconds, readings = auto_page(path, auto, look)
                auto_times.append(seconds)
                more = f"  +{readings}" if readings else ""
                print(f"auto        {seconds:6.3f} s/page  {path.name}{more}")
    if tesseract_times:
        print(f"mean OCR 300dpi  {statistics.fmean(tesseract_times):6.3f} s/page")
    if auto_times:
        print(f"mean auto (images)  {statistics.fmean(auto_times):6.3f} s/page")


if __name__ == "__main__":
    main(sys.argv[1:])
