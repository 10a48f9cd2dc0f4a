"""Ground truth: the normalised value of every field, and where the page printed it.

Values are normalised as the export normalises them (DESIGN §6): ISO dates, amounts with a dot
and two decimals, ISO 4217 currency codes, addresses as their printed lines joined by ", ".
Which fields count as printed is read off the tagged runs of the laid-out pages, never decided
separately, so a value and its box cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.domain import BBox, union_bbox
from worker.synthetic.content import Invoice, Item, Party
from worker.synthetic.locales import Style, money, plain_number
from worker.synthetic.page import Page
from worker.synthetic.receipt_content import Receipt

ITEM_TAG = "item.{index}.{name}"


def address(lines: Sequence[str]) -> str:
    return ", ".join(lines)


def payment_terms_text(invoice: Invoice, style: Style) -> str:
    if invoice.payment_days == 0:
        return style.label("terms_now")
    return style.label("terms_days", days=invoice.payment_days)


def party_values(prefix: str, party: Party) -> dict[str, str]:
    return {
        f"{prefix}_name": party.name,
        f"{prefix}_address": address(party.address),
        f"{prefix}_tax_id": party.tax_id,
    }


def invoice_values(invoice: Invoice, style: Style) -> dict[str, str]:
    return {
        "invoice_number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        **party_values("vendor", invoice.vendor),
        **party_values("customer", invoice.customer),
        "currency": invoice.currency,
        "net_amount": money(invoice.net),
        "tax_amount": money(invoice.tax),
        "total_amount": money(invoice.total),
        "amount_due": money(invoice.amount_due),
        "purchase_order": invoice.purchase_order,
        "payment_terms": payment_terms_text(invoice, style),
        "iban": invoice.iban,
        "bic": invoice.bic,
    }


def item_values(item: Item) -> dict[str, str]:
    return {
        "description": item.description,
        "code": item.code,
        "quantity": plain_number(item.quantity),
        "unit": item.unit,
        "unit_price": money(item.unit_price),
        "line_total": money(item.line_total),
        "tax_rate": plain_number(item.tax_rate),
    }


def receipt_values(receipt: Receipt) -> dict[str, str]:
    return {
        "vendor_name": receipt.shop.name,
        "vendor_address": address(receipt.shop.address),
        "issue_date": receipt.issue_date.isoformat(),
        "total_amount": money(receipt.total),
        "tax_amount": money(receipt.tax),
        "currency": receipt.currency,
    }


Located = tuple[int, BBox]


def locate_tags(pages: Sequence[Page]) -> tuple[dict[str, Located], dict[str, str]]:
    """For each tag: its page (from 1) and normalised box, and its printed text.

    A tag's runs on the first page that has it form its box (a multi-line address is one
    box); its printed text is those runs' texts, one line each.
    """
    boxes: dict[str, Located] = {}
    printed: dict[str, str] = {}
    for number, page in enumerate(pages, start=1):
        runs_by_tag: dict[str, list[BBox]] = {}
        texts: dict[str, list[str]] = {}
        for run in page.runs:
            if run.tag is None or run.tag in boxes:
                continue
            runs_by_tag.setdefault(run.tag, []).append(run.box)
            texts.setdefault(run.tag, []).append(run.text)
        for tag, found in runs_by_tag.items():
            box = union_bbox(found)
            assert box is not None
            boxes[tag] = (number, normalise(box, page.width, page.height))
            printed[tag] = "\n".join(texts[tag])
    return boxes, printed


def normalise(box: BBox, width: float, height: float) -> BBox:
    x0, y0, x1, y1 = box
    return (
        round(max(0.0, x0 / width), 5),
        round(max(0.0, y0 / height), 5),
        round(min(1.0, x1 / width), 5),
        round(min(1.0, y1 / height), 5),
    )


def select(
    values: Mapping[str, str], names: Sequence[str], shown: Mapping[str, object]
) -> dict[str, str | None]:
    """``values`` restricted to ``names``; a name that was not printed is ``None``."""
    return {name: values[name] if name in shown else None for name in names}
