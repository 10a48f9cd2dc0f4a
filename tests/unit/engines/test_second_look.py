"""RapidOCR's words cut at the gaps it ran together, its reading laid over Tesseract's, and the
auto engine's second look, with stand-in readers so no OCR program is needed."""

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from core.doctypes import BUILTIN_TYPES, INVOICE, RECEIPT, DocumentTypeSpec
from core.domain import FieldValue, PageText, Word
from core.files import PNG
from tests.unit.builders import RECEIPT_MY, page_text, render_image
from worker.engines.base import EngineRequest, ReadOptions
from worker.engines.cpu import CpuEngine, Reading, SecondLook, surer_fields
from worker.engines.ocr import (
    OcrLine,
    OcrUnavailable,
    _ocr_line,
    _words_from_characters,
    second_look,
)
from worker.pipeline.source import SourceDocument

RECEIPT_SIZE = (260.0, 300.0)
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")


Chars = list[tuple[str, tuple[float, float]]]


def _chars(text: str, pitch: float = 10.0, start: float = 0.0) -> Chars:
    """The characters of a monospaced line, each where the printer put it."""
    return [(ch, (start + i * pitch, start + i * pitch + 0.8 * pitch)) for i, ch in enumerate(text)]


def _texts(chars: Chars) -> list[str]:
    return [word for word, _, _ in _words_from_characters(chars)]


def test_a_line_run_together_is_cut_where_the_printer_left_a_space():
    chars = [c for c in _chars("TOTAL RM 42.15") if c[0] != " "]
    assert _texts(chars) == ["TOTAL", "RM", "42.15"]


def test_a_letter_spaced_title_stays_one_word():
    # Every character a little apart: no gap is wide next to the others.
    assert _texts(_chars("INVOICE", pitch=30.0)) == ["INVOICE"]


def test_a_number_is_never_cut_however_its_narrow_glyphs_sit():
    # Estimated boxes of "1,512.00": the narrow "1" after "5" looks like a gap, but "1,5" is
    # no number; "12.00" and "7" after complete cents may stand apart.
    centres = [0, 14, 26, 56, 80, 97, 113, 135]
    chars = [(ch, (c - 5.0, c + 5.0)) for ch, c in zip("1,512.00", centres, strict=True)]
    assert _texts(chars) == ["1,512.00"]
    tail = [("7", (170.0, 180.0))]
    assert _texts(chars + tail) == ["1,512.00", "7"]


def test_spaces_the_reader_did_print_are_kept():
    assert _texts(_chars("Item Count")) == ["Item", "Count"]


def test_a_line_result_with_character_boxes_becomes_words():
    chars = [c for c in _chars("Date：17/09/2019 7:45", start=100) if c[0] != " "]
    quad = [[100, 50], [300, 50], [300, 70], [100, 70]]
    boxes = [[[a, 50], [b, 50], [b, 70], [a, 70]] for _, (a, b) in chars]
    line = _ocr_line(
        (quad, "".join(c for c, _ in chars), 0.97, boxes, [c for c, _ in chars]), 400, 100
    )
    assert [w.text for w in line.words] == ["Date:17/09/2019", "7:45"]  # full-width colon
    assert line.score == 0.97 and line.bbox == (0.25, 0.5, 0.75, 0.7)
    assert line.words[0].bbox[0] == 0.25


def test_a_line_result_without_character_boxes_is_cut_in_proportion():
    line = _ocr_line(([[0, 0], [100, 0], [100, 10], [0, 10]], "AB CD", 0.9), 100, 10)
    assert [(w.text, w.bbox[0]) for w in line.words] == [("AB", 0.0), ("CD", 0.6)]


def _word(text: str, x0: float, y0: float, confidence: float = 0.95) -> Word:
    return Word(text, (x0, y0, x0 + 0.01 * len(text), y0 + 0.02), confidence)


def _line(texts: list[str], x0: float, y0: float, score: float = 0.98) -> OcrLine:
    words = []
    x = x0
    for text in texts:
        words.append(Word(text, (x, y0, x + 0.01 * len(text), y0 + 0.02), score))
        x += 0.01 * len(text) + 0.01
    return OcrLine((x0, y0, x, y0 + 0.02), tuple(words), score)


def _first(*words: Word) -> PageText:
    return PageText(0, 1000, 2000, words, "tesseract")


def test_second_look_fills_what_the_first_reader_left_out():
    first = _first(_word("Total", 0.1, 0.5))
    looked = second_look(
        first, [_line(["Total"], 0.1, 0.5), _line(["42.15"], 0.7, 0.5)], "rapidocr"
    )
    assert [w.text for w in looked.words] == ["Total", "42.15"]
    assert looked.words[0] is first.words[0]  # Tesseract's own word stays
    assert looked.source == "tesseract+rapidocr"


def test_second_look_replaces_unsure_words_and_keeps_sure_ones():
    first = _first(_word("Tota1", 0.1, 0.3), _word("21.80", 0.7, 0.3, 0.4))
    looked = second_look(first, [_line(["27.80"], 0.7, 0.3)], "rapidocr")
    assert [w.text for w in looked.words] == ["Tota1", "27.80"]


def test_second_look_takes_a_line_with_markedly_more_characters():
    first = _first(_word("N", 0.70, 0.1), _word("V", 0.72, 0.1), _word("E", 0.75, 0.1))
    looked = second_look(first, [_line(["INVOICE"], 0.70, 0.1)], "rapidocr")
    assert [w.text for w in looked.words] == ["INVOICE"]


def test_second_look_ignores_lines_it_is_unsure_of_and_changes_nothing_without_news():
    first = _first(_word("Total", 0.1, 0.5))
    assert second_look(first, [_line(["gArBl3"], 0.5, 0.8, score=0.55)], "rapidocr") is first
    assert second_look(first, [_line(["Total"], 0.1, 0.5)], "rapidocr") is first


def _field(value: str, confidence: float) -> FieldValue:
    return FieldValue(value, confidence, 1, None, "tesseract")


def test_surer_fields_keep_totals_and_parties_together():
    first = {
        "total_amount": _field("21.80", 0.3),
        "tax_amount": _field("0.60", 0.9),
        "vendor_name": _field("Kedai Maju", 0.8),
        "vendor_address": _field("Jalan 1", 0.8),
        "issue_date": _field("2018-05-21", 0.4),
    }
    second = {
        "total_amount": _field("27.80", 0.9),
        "vendor_name": _field("Kedai Maju Sdn Bhd", 0.7),
        "issue_date": _field("2018-05-27", 0.9),
        "currency": _field("MYR", 0.6),
    }
    chosen = {name: value.value for name, value in surer_fields(first, second).items()}
    assert chosen == {
        "total_amount": "27.80",  # the surer total brings its (missing) tax along
        "vendor_name": "Kedai Maju",  # the first name was surer: its address stays with it
        "vendor_address": "Jalan 1",
        "issue_date": "2018-05-27",
        "currency": "MYR",
    }


# ---------------------------------------------------------------------------------------------
# The engine's second look, with stand-in readers


class FirstReader:
    """Reads the receipt without its total's amount, as Tesseract's layout analysis can."""

    name = "tesseract"

    def __init__(self, page: PageText) -> None:
        self.page = page

    def read(self, image: Image.Image, index: int) -> PageText:
        return self.read_upright(image, index)[0]

    def read_upright(self, image: Image.Image, index: int) -> tuple[PageText, Image.Image]:
        return replace(self.page, index=index), image


class Looker:
    """Gives ``pages`` back as the next readings, and notes how it was asked."""

    def __init__(self, *pages: PageText) -> None:
        self.pages = pages
        self.asked: list[bool] = []
        self.read = 0

    def again(self, page: PageText, image: Image.Image, one_column: bool) -> Iterator[PageText]:
        self.asked.append(one_column)
        for again in self.pages:
            self.read += 1
            yield again


def _request(tmp_path: Path, spec: DocumentTypeSpec | None = RECEIPT) -> EngineRequest:
    path = tmp_path / "receipt.png"
    Image.new("L", (260, 300), "white").save(path)
    return EngineRequest(SourceDocument(path, PNG, 1), spec, BUILTIN_TYPES, ReadOptions())


@pytest.fixture
def receipt() -> PageText:
    return page_text(RECEIPT_MY, "tesseract", RECEIPT_SIZE)


def _without_total(page: PageText) -> PageText:
    """The page with its total and change left out."""
    return replace(page, words=tuple(w for w in page.words if w.text not in ("26.50", "3.50")))


def test_a_missing_total_earns_a_second_look(tmp_path, receipt):
    looker = Looker(receipt, receipt)
    engine = CpuEngine("auto", Reading.AUTO, lambda: FirstReader(_without_total(receipt)), looker)
    output = engine.run(_request(tmp_path))
    assert looker.asked == [True]  # a receipt: one column
    assert looker.read == 1  # the first other reading settled it: no more are made
    assert output.result.fields["total_amount"].value == "26.50"


def test_readings_go_on_while_a_field_is_still_missing(tmp_path, receipt):
    first = _without_total(receipt)
    looker = Looker(first, receipt)
    engine = CpuEngine("auto", Reading.AUTO, lambda: FirstReader(first), looker)
    output = engine.run(_request(tmp_path))
    assert looker.read == 2
    assert output.result.fields["total_amount"].value == "26.50"


def test_a_well_read_page_is_read_once(tmp_path, receipt):
    looker = Looker()
    engine = CpuEngine("auto", Reading.AUTO, lambda: FirstReader(receipt), looker)
    output = engine.run(_request(tmp_path))
    assert looker.asked == []
    assert output.result.fields["total_amount"].value == "26.50"


def test_an_invoice_is_looked_at_by_lines(tmp_path, receipt):
    looker = Looker()
    engine = CpuEngine("auto", Reading.AUTO, lambda: FirstReader(_without_total(receipt)), looker)
    engine.run(_request(tmp_path, INVOICE))
    assert looker.asked == [False]


def test_a_second_look_that_fails_leaves_the_first_reading(tmp_path, receipt):
    class Failing:
        def __iter__(self) -> "Failing":
            return self

        def __next__(self) -> PageText:
            raise RuntimeError("onnxruntime: out of memory")

    class Broken(Looker):
        def again(self, page: PageText, image: Image.Image, one_column: bool) -> Iterator[PageText]:
            return Failing()

    first = _without_total(receipt)
    engine = CpuEngine("auto", Reading.AUTO, lambda: FirstReader(first), Broken())
    output = engine.run(_request(tmp_path))
    assert "total_amount" not in output.result.fields
    assert any("second OCR reading failed" in rule.message for rule in output.result.validation)


class LineReader:
    name = "rapidocr"

    def __init__(self, lines: tuple[OcrLine, ...]) -> None:
        self.given = lines

    def lines(self, image: Image.Image) -> tuple[OcrLine, ...]:
        return self.given


def test_second_look_lays_a_line_reading_over_a_page_with_columns(receipt):
    total = next(w for w in receipt.words if w.text == "26.50")
    lines = (OcrLine(total.bbox, (replace(total, confidence=0.99),), 0.99),)
    looked = next(
        SecondLook("eng", lambda: LineReader(lines)).again(
            _without_total(receipt), Image.new("L", (10, 10)), one_column=False
        )
    )
    assert "26.50" in [w.text for w in looked.words]
    assert looked.source == "tesseract+rapidocr"


def test_second_look_without_a_line_reader_has_nothing_more_to_say(receipt):
    def missing() -> LineReader:
        raise OcrUnavailable("rapidocr is not installed")

    page = _without_total(receipt)
    assert list(SecondLook("eng", missing).again(page, Image.new("L", (10, 10)), False)) == []


@needs_tesseract
def test_second_look_reads_a_receipt_again_as_one_block():
    image = render_image(RECEIPT_MY, scale=4.0, size=RECEIPT_SIZE)
    heading = Word("KEDAI", (0.2, 0.1, 0.3, 0.13), 0.9)  # a page Tesseract could read
    page = PageText(0, image.width, image.height, (heading,), "tesseract")
    looked = next(SecondLook("eng", None).again(page, image, one_column=True))
    words = [w.text for w in looked.words]
    assert "26.50" in words and "TOTAL" in words
    assert looked.source == "tesseract"


def test_a_page_tesseract_could_not_read_goes_straight_to_the_line_reader(receipt):
    garbled = replace(
        _without_total(receipt),
        words=tuple(replace(w, confidence=0.3) for w in _without_total(receipt).words),
    )
    total = next(w for w in receipt.words if w.text == "26.50")
    lines = (OcrLine(total.bbox, (replace(total, confidence=0.99),), 0.99),)
    readings = list(
        SecondLook("eng", lambda: LineReader(lines)).again(
            garbled, Image.new("L", (10, 10)), one_column=True
        )
    )
    assert [page.source for page in readings] == ["tesseract+rapidocr"]
