"""Line items from table rows: a header row of column labels, then rows with amounts.

The header row is the first line with at least two column labels (description, quantity,
price, amount, in the four languages); its labels give the columns' x-ranges. Each following
line whose rightmost amount sits under the amount column starts an item; lines without one
continue the previous item's description. The table ends at the totals (a total/net label) or
after a long run of lines without items; a header repeated on a later page continues it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.domain import BBox, FieldValue, LineItem
from core.normalise import parse_amount, parse_number
from worker.pipeline import lexicon
from worker.pipeline.candidates import Candidate, Locale
from worker.pipeline.layout import Document, Line, Span

COLUMNS: Mapping[str, re.Pattern[str]] = {
    "description": re.compile(
        r"^(?:description|item|product|produkt|artikel(?:beschreibung|bezeichnung)?|"
        r"beschreibung|bezeichnung|leistung|désignation|designation|libellé|omschrijving|"
        r"title|service|particulars)\b",
        re.IGNORECASE,
    ),
    "quantity": re.compile(
        r"^(?:qty|quantity|quantité|qté|menge|anzahl|aantal|nombre|units?|hours|stunden)\b",
        re.IGNORECASE,
    ),
    "unit_price": re.compile(
        r"^(?:unit\s*price|price|rate|prix(?:\s*unitaire)?|p\.?u\.?|einzelpreis|preis|"
        r"nettopreis|stückpreis|prijs(?:\s*per\s*stuk)?|tarief)\b",
        re.IGNORECASE,
    ),
    "line_total": re.compile(
        r"^(?:amount|total|line\s*total|montant|betrag|summe|gesamt|bedrag|totaal|"
        r"nettowert|positionsbetrag|prijs\s*incl|entgelt)\b",
        re.IGNORECASE,
    ),
    "tax_rate": re.compile(r"^(?:vat|tax(?:es)?|tva|btw|ust|mwst)\b", re.IGNORECASE),
}
_END = re.compile(
    r"^(?:sub\s*-?total|subtotaal|zwischensumme|total|totaal|summe|gesamt|rechnungssumme|"
    r"net\s*total|montant\s*total|total\s*ht|exclusief|warenwert|grand)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"-?[$€£]?\s?\d{1,3}(?:[.,]\d{3})*[.,]\d{2,4}\b|-?\d+[.,]\d{2,4}\b")
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_QUANTITY = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_MAX_GAP_LINES = 8


@dataclass(frozen=True)
class Columns:
    header: Line
    ranges: Mapping[str, BBox]


def _header(line: Line) -> Columns | None:
    ranges: dict[str, BBox] = {}
    for cell in line.cells:
        for name, pattern in COLUMNS.items():
            if name not in ranges and pattern.search(cell.text.strip()):
                ranges[name] = cell.bbox
                break
    if (len(ranges) >= 2 and "line_total" in ranges) or (
        "unit_price" in ranges and len(ranges) >= 3
    ):
        return Columns(line, ranges)
    return None


def find_line_items(document: Document, locale: Locale) -> tuple[LineItem, ...]:
    items: list[dict[str, FieldValue]] = []
    columns: Columns | None = None
    idle = 0
    for line in document.lines:
        header = _header(line)
        if header is not None:
            columns, idle = header, 0
            continue
        if columns is None:
            continue
        if _END.search(line.text) or lexicon.TOTAL[0][0].search(line.text):
            columns = None
            continue
        item = _row(document, line, columns, locale)
        if item is not None:
            items.append(item)
            idle = 0
        elif items and line.page == columns.header.page:
            idle += 1
            if idle > _MAX_GAP_LINES:
                columns = None
    return tuple(items)


def _row(
    document: Document, line: Line, columns: Columns, locale: Locale
) -> dict[str, FieldValue] | None:
    amounts = [(m, cell) for cell in line.cells for m in _AMOUNT.finditer(cell.text)]
    if not amounts:
        return None
    match, cell = amounts[-1]
    total = parse_amount(match.group(), locale.decimal_mark)
    if total is None:
        return None
    words = [c for c in line.cells if _left_of_numbers(c.text)]
    if not words:
        return None
    item: dict[str, FieldValue] = {}
    description = " ".join(c.text for c in words)
    item["description"] = _field(
        document, line, description, Span(tuple(w for c in words for w in c.words))
    )
    item["line_total"] = _field(document, line, total, cell.sub(match.start(), match.end()))
    if len(amounts) >= 2:
        price_match, price_cell = amounts[-2]
        price = parse_amount(price_match.group(), locale.decimal_mark)
        if price is not None:
            item["unit_price"] = _field(
                document, line, price, price_cell.sub(price_match.start(), price_match.end())
            )
    quantity = _quantity(line, columns, locale)
    if quantity:
        item["quantity"] = _field(document, line, quantity[0], quantity[1])
    rate = _PERCENT.search(line.text)
    if rate:
        value = parse_number(rate.group(1), locale.decimal_mark)
        if value:
            item["tax_rate"] = _field(document, line, value, line.sub(rate.start(), rate.end()))
    return item


def _left_of_numbers(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 3 and letters > sum(ch.isdigit() for ch in text)


def _quantity(line: Line, columns: Columns, locale: Locale) -> tuple[str, Span] | None:
    box = columns.ranges.get("quantity")
    if box is None:
        return None
    for word in line.words:
        centre = (word.bbox[0] + word.bbox[2]) / 2
        if box[0] - 0.03 <= centre <= box[2] + 0.03 and _QUANTITY.match(word.text):
            value = parse_number(word.text, locale.decimal_mark)
            if value:
                return value, Span((word,))
    return None


def _field(document: Document, line: Line, value: str, span: Span) -> FieldValue:
    return Candidate(value, span, line.page, 0.7, line.number).to_field(document)
