"""How one invoice looks: an :class:`InvoiceLook` of independent choices, and its space budget.

A look combines independent choices (vendor block left or right, logo, label-value pairs
right-of or below their labels or in boxes, table columns and rules, where bank details and
tax numbers go, how the currency is shown, which optional fields appear). Space is reserved for
the largest header a look can draw, so the number of table rows a page holds is known before
the content is made: that is how an invoice of exactly ``pages`` pages is produced.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from worker.synthetic.content import Item
from worker.synthetic.fonts import FontFamily, families
from worker.synthetic.locales import Locale
from worker.synthetic.page import LINE_PITCH, RGB

PALETTE: tuple[RGB, ...] = (
    (0.12, 0.23, 0.45),
    (0.0, 0.42, 0.45),
    (0.55, 0.1, 0.12),
    (0.25, 0.25, 0.25),
    (0.13, 0.4, 0.2),
    (0.0, 0.0, 0.0),
    (0.45, 0.25, 0.55),
)
# Relative column widths (times the base font size); the description takes what is left.
COLUMN_WIDTH = {
    "pos": 2.4,
    "code": 5.6,
    "quantity": 4.2,
    "unit": 3.8,
    "unit_price": 6.6,
    "tax_rate": 4.0,
    "line_total": 7.2,
}
NUMERIC = frozenset({"pos", "quantity", "unit_price", "tax_rate", "line_total"})
OPTIONAL_FIELDS = {  # probability that an optional field is printed
    "due_date": 0.75,
    "vendor_tax_id": 0.85,
    "customer_name": 0.95,
    "customer_address": 0.93,
    "customer_tax_id": 0.35,
    "purchase_order": 0.4,
    "payment_terms": 0.6,
    "iban": 0.8,
    "bic": 0.55,
    "net_amount": 0.92,
    "tax_amount": 0.92,
    "amount_due": 0.3,
    "customer_number": 0.4,  # a decoy identifier, never a field
    "contact": 0.6,
    "thanks": 0.5,
}


@dataclass(frozen=True, slots=True)
class InvoiceLook:
    family: FontFamily
    size: float
    accent: RGB
    margin: float
    page_size: tuple[float, float]
    vendor_right: bool
    logo: str  # "none" | "box" | "circle" | "bars"
    meta: str  # "right_of" | "below" | "boxed"
    columns: tuple[str, ...]
    header_fill: bool
    grid: bool
    zebra: bool
    bank_in_footer: bool
    tax_id_in_header: bool
    currency_mode: str  # "meta" | "code" | "symbol" | "none"
    shown: frozenset[str]
    sender_line: bool
    bold_labels: bool
    iban_grouped: bool

    @property
    def width(self) -> float:
        return self.page_size[0]

    @property
    def height(self) -> float:
        return self.page_size[1]

    @property
    def pitch(self) -> float:
        return self.size * LINE_PITCH

    @property
    def row_height(self) -> float:
        return self.size * 1.8

    @property
    def label_font(self) -> str:
        return self.family.bold if self.bold_labels else self.family.regular

    @property
    def value_font(self) -> str:
        return self.family.regular if self.bold_labels else self.family.bold

    @property
    def name(self) -> str:
        side = "vendor-right" if self.vendor_right else "vendor-left"
        return f"invoice/{side}/meta-{self.meta}/{len(self.columns)}-columns/{self.family.regular}"


def choose_look(rng: random.Random, locale: Locale) -> InvoiceLook:
    shown = {name for name, p in OPTIONAL_FIELDS.items() if rng.random() < p}
    if locale.country == "US":
        shown -= {"iban"}  # US vendors print account and routing numbers, not an IBAN
    return InvoiceLook(
        family=rng.choice(families()),
        size=rng.choice([8.5, 9.0, 9.0, 9.5, 10.0]),
        accent=rng.choice(PALETTE),
        margin=rng.choice([40.0, 48.0, 56.0]),
        page_size=locale.page_size,
        vendor_right=rng.random() < 0.4,
        logo=rng.choice(["none", "box", "circle", "bars"]),
        meta=rng.choice(["right_of", "right_of", "below", "boxed"]),
        columns=choose_columns(rng),
        header_fill=rng.random() < 0.5,
        grid=rng.random() < 0.25,
        zebra=rng.random() < 0.25,
        bank_in_footer=rng.random() < 0.6,
        tax_id_in_header=rng.random() < 0.5,
        currency_mode=rng.choice(["meta", "code", "symbol", "symbol", "none"]),
        shown=frozenset(shown),
        sender_line=locale.language == "de" and rng.random() < 0.5,
        bold_labels=rng.random() < 0.5,
        iban_grouped=rng.random() < 0.75,
    )


def choose_columns(rng: random.Random) -> tuple[str, ...]:
    columns = ["pos"] if rng.random() < 0.4 else []
    if rng.random() < 0.4:
        columns.append("code")
    columns.append("description")
    if rng.random() < 0.88:
        columns += ["quantity", "unit"] if rng.random() < 0.5 else ["quantity"]
        columns.append("unit_price")
    if rng.random() < 0.3:
        columns.append("tax_rate")
    columns.append("line_total")
    return tuple(columns)


# -- vertical budget -------------------------------------------------------------------------


def header_height(look: InvoiceLook) -> float:
    """The tallest vendor block this look can draw (addresses have up to four lines)."""
    height = look.size * 1.5 * LINE_PITCH + 4 * look.pitch + 10
    if look.logo != "none":
        height += 40
    if "contact" in look.shown:
        height += 2 * 0.9 * look.pitch
    if look.tax_id_in_header:
        height += look.pitch
    return max(height, look.size * 2.0 * LINE_PITCH + 10)


def address_band_height(look: InvoiceLook) -> float:
    """The customer block (and, for "right_of", the reference block beside it)."""
    lines = 2 + (1 if look.sender_line else 0)
    if "customer_name" in look.shown:
        lines += 1 + (4 if "customer_address" in look.shown else 0)
        lines += 1 if "customer_tax_id" in look.shown else 0
    meta = look.pitch + 6 * look.size * 1.45 if look.meta == "right_of" else 0
    return max(lines * look.pitch, meta) + 8


def first_table_top(look: InvoiceLook) -> float:
    meta_band = 0 if look.meta == "right_of" else 3.2 * look.size + 14
    return look.margin + header_height(look) + address_band_height(look) + meta_band


def next_table_top(look: InvoiceLook) -> float:
    return look.margin + 4 * look.pitch


def footer_top(look: InvoiceLook) -> float:
    return look.height - look.margin - 5 * look.pitch


def totals_height(look: InvoiceLook) -> float:
    bank_block = 0 if look.bank_in_footer else 4 * look.pitch
    return 8 * look.size * 1.5 + 3 * look.pitch + bank_block + 10


def row_capacity(look: InvoiceLook, first: bool) -> int:
    """Rows between the table header and the footer (totals not counted)."""
    top = first_table_top(look) if first else next_table_top(look)
    space = footer_top(look) - 10 - top - look.row_height * 1.2
    return max(0, int(space // look.row_height))


def choose_item_count(rng: random.Random, look: InvoiceLook, pages: int) -> int:
    """Enough items to fill exactly ``pages`` pages, totals on the last one."""
    totals_rows = math.ceil(totals_height(look) / look.row_height)
    first, middle = row_capacity(look, True), row_capacity(look, False)
    if pages == 1:
        return rng.randint(1, max(1, min(8, first - totals_rows)))
    # Non-last pages keep one row free for the "carried forward" line.
    last = rng.randint(1, max(1, middle - totals_rows))
    return (first - 1) + (pages - 2) * (middle - 1) + last


def split_items(items: tuple[Item, ...], look: InvoiceLook, pages: int) -> list[tuple[Item, ...]]:
    first, middle = row_capacity(look, True) - 1, row_capacity(look, False) - 1
    if pages == 1:
        return [items]
    chunks = [items[:first]]
    rest = items[first:]
    for _ in range(pages - 2):
        chunks.append(rest[:middle])
        rest = rest[middle:]
    chunks.append(rest)
    return chunks
