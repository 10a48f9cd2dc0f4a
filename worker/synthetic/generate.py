"""``generate()``: one synthetic document from a type, a seed and a few knobs.

Every random choice comes from generators seeded by ``(doc_type, seed)``, so the same call
always returns the same bytes and the same ground truth (on machines with the same fonts).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from core.doctypes import INVOICE, RECEIPT, DocumentTypeSpec
from core.domain import BBox
from worker.synthetic.content import make_invoice
from worker.synthetic.document import SyntheticDocument
from worker.synthetic.invoice_layout import draw_invoice
from worker.synthetic.invoice_look import choose_item_count, choose_look
from worker.synthetic.locales import LANGUAGES, Style, choose_style, locales_for
from worker.synthetic.page import Page
from worker.synthetic.pdf import render_pdf
from worker.synthetic.receipt_content import make_receipt
from worker.synthetic.receipt_layout import choose_receipt_look, draw_receipt
from worker.synthetic.scan import Placement, encode, render_page, scan
from worker.synthetic.truth import (
    ITEM_TAG,
    invoice_values,
    item_values,
    locate_tags,
    receipt_values,
    select,
)

Output = Literal["pdf", "png", "jpeg"]
DOC_TYPES: dict[str, DocumentTypeSpec] = {INVOICE.name: INVOICE, RECEIPT.name: RECEIPT}
MIME_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class Drawing:
    """A document laid out, with the normalised value of everything it could print."""

    pages: tuple[Page, ...]
    values: dict[str, str]
    item_values: list[dict[str, str]]
    language: str
    locale: str
    layout: str


def generate(
    doc_type: str,
    seed: int,
    *,
    language: str | None = None,
    output: Output = "pdf",
    pages: int = 1,
    noise: float = 0.0,
    dpi: int = 150,
) -> SyntheticDocument:
    """A synthetic ``invoice`` or ``receipt`` with exact ground truth.

    Args:
        doc_type: ``"invoice"`` or ``"receipt"``.
        seed: any integer; the same arguments always give the same document.
        language: ``en``, ``de``, ``fr`` or ``nl``; ``None`` picks one from the seed.
        output: ``pdf`` (digital, with a text layer) or ``png``/``jpeg`` (a scanned page).
        pages: invoice pages; line items run onto later pages, totals are on the last.
        noise: 0..1, how badly scanned an image looks; only for image output.
        dpi: resolution of image output.
    """
    check_arguments(doc_type, language, output=output, pages=pages, noise=noise, dpi=dpi)
    drawing = draw_document(doc_type, seed, language, pages)
    data = render_pdf(drawing.pages, f"{doc_type} {seed}")
    boxes, printed = locate_tags(drawing.pages)
    if output != "pdf":
        on_table = doc_type == "receipt"
        data, boxes = rasterize(
            data, boxes, output=output, noise=noise, dpi=dpi, seed=seed, on_table=on_table
        )
    spec = DOC_TYPES[doc_type]
    items = drawing.item_values
    return SyntheticDocument(
        data=data,
        mime_type=MIME_TYPES[output],
        doc_type=doc_type,
        language=drawing.language,
        seed=seed,
        pages=len(drawing.pages),
        locale=drawing.locale,
        layout=drawing.layout,
        fields=select(drawing.values, spec.field_names, boxes),
        line_items=[
            select(item, spec.line_item_names, item_tags(boxes, index))
            for index, item in enumerate(items)
        ],
        boxes={name: box for name, box in boxes.items() if not name.startswith("item.")},
        line_item_boxes=[item_tags(boxes, index) for index in range(len(items))],
        printed=printed,
    )


def generate_many(
    doc_type: str, count: int, *, seed: int = 0, **options: Any
) -> Iterator[SyntheticDocument]:
    """``count`` documents with consecutive seeds from ``seed``; ``options`` as for
    :func:`generate`. Lazy, so a training job can stream thousands without holding them."""
    for number in range(seed, seed + count):
        yield generate(doc_type, number, **options)


def draw_document(doc_type: str, seed: int, language: str | None, pages: int) -> Drawing:
    # Not for security: a seeded, reproducible stream is the point.
    rng = random.Random(f"formlens-synthetic/{doc_type}/{seed}")  # noqa: S311
    drawn_language = rng.choice(LANGUAGES)  # drawn always, so the stream does not shift
    locale = rng.choice(locales_for(language or drawn_language))
    style = choose_style(rng, locale)
    if doc_type == "invoice":
        return draw_invoice_document(rng, style, pages)
    return draw_receipt_document(rng, style)


def draw_invoice_document(rng: random.Random, style: Style, pages: int) -> Drawing:
    look = choose_look(rng, style.locale)
    invoice = make_invoice(rng, style.locale, choose_item_count(rng, look, pages))
    return Drawing(
        pages=draw_invoice(invoice, style, look, pages),
        values=invoice_values(invoice, style),
        item_values=[item_values(item) for item in invoice.items],
        language=style.language,
        locale=style.locale.code,
        layout=look.name,
    )


def draw_receipt_document(rng: random.Random, style: Style) -> Drawing:
    look = choose_receipt_look(rng)
    receipt = make_receipt(rng, style.locale)
    return Drawing(
        pages=draw_receipt(receipt, style, look),
        values=receipt_values(receipt),
        item_values=[],
        language=style.language,
        locale=style.locale.code,
        layout=look.name,
    )


def item_tags(boxes: dict[str, tuple[int, BBox]], index: int) -> dict[str, tuple[int, BBox]]:
    """The boxes of line item ``index``, keyed by column name."""
    prefix = ITEM_TAG.format(index=index, name="")
    return {tag[len(prefix) :]: box for tag, box in boxes.items() if tag.startswith(prefix)}


def rasterize(
    pdf: bytes,
    boxes: dict[str, tuple[int, BBox]],
    *,
    output: Output,
    noise: float,
    dpi: int,
    seed: int,
    on_table: bool,
) -> tuple[bytes, dict[str, tuple[int, BBox]]]:
    """The scanned image of the PDF's first page, and the boxes moved with its pixels."""
    image, placement = scan(render_page(pdf, dpi), noise, seed, on_table=on_table)
    return encode(image, output, noise), move_boxes(boxes, placement)


def move_boxes(
    boxes: dict[str, tuple[int, BBox]], placement: Placement
) -> dict[str, tuple[int, BBox]]:
    return {name: (page, placement.box(box)) for name, (page, box) in boxes.items()}


def check_arguments(
    doc_type: str, language: str | None, *, output: str, pages: int, noise: float, dpi: int
) -> None:
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown document type {doc_type!r}; choose one of {list(DOC_TYPES)}")
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    if output not in MIME_TYPES:
        raise ValueError(f"unknown output {output!r}; choose pdf, png or jpeg")
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"pages must be between 1 and {MAX_PAGES}")
    if pages > 1 and (doc_type == "receipt" or output != "pdf"):
        raise ValueError("only invoices in PDF have several pages (an image holds one page)")
    if not 0.0 <= noise <= 1.0:
        raise ValueError("noise must be between 0 and 1")
    if noise > 0 and output == "pdf":
        raise ValueError("noise applies to scanned images: choose png or jpeg output")
    if not 36 <= dpi <= 600:
        raise ValueError("dpi must be between 36 and 600")
