"""The PDF's text layer holds each printed value at its stated box (read back with pdfium)."""

from __future__ import annotations

import pypdfium2 as pdfium

from core.domain import BBox
from worker.synthetic import SyntheticDocument, generate


def squash(text: str) -> str:
    return " ".join(text.split())


def text_in_box(textpage: pdfium.PdfTextPage, size: tuple[float, float], box: BBox) -> str:
    width, height = size
    x0, y0, x1, y1 = box
    return str(
        textpage.get_text_bounded(
            left=x0 * width, bottom=height * (1 - y1), right=x1 * width, top=height * (1 - y0)
        )
    )


def located_values(doc: SyntheticDocument) -> list[tuple[str, int, BBox]]:
    """(printed text, page, box) of every printed field and line-item value."""
    found = [(doc.printed[name], page, box) for name, (page, box) in doc.boxes.items()]
    for index, boxes in enumerate(doc.line_item_boxes):
        for name, (page, box) in boxes.items():
            found.append((doc.printed[f"item.{index}.{name}"], page, box))
    return found


def assert_text_layer_matches(doc: SyntheticDocument) -> None:
    pdf = pdfium.PdfDocument(doc.data)
    try:
        assert len(pdf) == doc.pages
        pages = [(page.get_textpage(), page.get_size()) for page in pdf]
        for printed, number, box in located_values(doc):
            textpage, size = pages[number - 1]
            assert squash(text_in_box(textpage, size, box)) == squash(printed), (doc.seed, printed)
    finally:
        pdf.close()


def test_invoice_values_are_in_the_text_layer_at_their_boxes(invoices):
    for doc in invoices:
        assert_text_layer_matches(doc)


def test_receipt_values_are_in_the_text_layer_at_their_boxes(receipts):
    for doc in receipts:
        assert_text_layer_matches(doc)


def test_every_language_and_font_reads_back(every_language):
    """Accents, ß, €, £ and the DejaVu and base-14 fonts all survive into the text layer."""
    for doc in every_language:
        assert_text_layer_matches(doc)


def test_multipage_invoices_continue_items_and_end_with_totals(multipage):
    for doc in multipage:
        assert_text_layer_matches(doc)
        item_pages = [boxes["line_total"][0] for boxes in doc.line_item_boxes]
        assert item_pages == sorted(item_pages)
        assert set(item_pages) == set(range(1, doc.pages + 1))
        assert doc.boxes["total_amount"][0] == doc.pages
        assert doc.boxes["invoice_number"][0] == 1


def test_requested_page_count_is_met():
    for pages in (1, 2, 3, 5):
        for seed in range(4):
            doc = generate("invoice", seed, pages=pages)
            assert doc.pages == pages
            assert len(pdfium.PdfDocument(doc.data)) == pages


def test_boxes_are_normalised_and_ordered(invoices, receipts, multipage):
    for doc in [*invoices, *receipts, *multipage]:
        for page, (x0, y0, x1, y1) in doc.boxes.values():
            assert 1 <= page <= doc.pages
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_values_do_not_overlap_each_other(invoices):
    """Two different printed values never share ink (a box would then be ambiguous)."""
    for doc in invoices:
        located = [(page, box) for _, page, box in located_values(doc)]
        for index, (page, box) in enumerate(located):
            for other_page, other in located[index + 1 :]:
                if page == other_page:
                    assert not overlaps(box, other), (doc.seed, box, other)


def overlaps(a: BBox, b: BBox) -> bool:
    # Boxes of runs on one line may touch at an edge; they must not overlap by more than that.
    margin = 0.001
    return (
        a[0] + margin < b[2]
        and b[0] + margin < a[2]
        and a[1] + margin < b[3]
        and b[1] + margin < a[3]
    )
