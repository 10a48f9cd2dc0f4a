"""Candidate values: a label found on the page and the value printed right of it or below it.

:func:`labelled` walks every cell of the document; where a label of the field matches, it
reads the value from the rest of the cell, then from the next cells of the line, then from the
cells just below the label (column headers over their values). Readers (:data:`Reader`) turn a
piece of text into a normalised value plus the characters it came from, so every candidate
knows its words, hence its page and box.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from core.domain import FieldValue
from core.normalise import find_date, parse_amount, parse_currency
from worker.pipeline.layout import Cell, Document, Line, Span, overlaps_x
from worker.pipeline.lexicon import Label

# (value, start, end) of what a reader found in a text, or None.
Found = tuple[str, int, int] | None
Reader = Callable[[str], Found]

RIGHT_WEIGHT = 0.95
BELOW_WEIGHT = 0.85


@dataclass(frozen=True)
class Locale:
    """What the document's own numbers say about how it writes them."""

    decimal_mark: str | None = None  # "," or "."
    date_order: str | None = None  # "DMY" or "MDY"


@dataclass(frozen=True)
class Candidate:
    value: str
    span: Span
    page: int
    score: float
    line: int = -1
    label: str = ""

    def to_field(self, document: Document, confidence: float | None = None) -> FieldValue:
        score = self.score if confidence is None else confidence
        reading = min(1.0, max(self.span.confidence, 0.3))
        return FieldValue(
            value=self.value,
            confidence=round(max(0.0, min(1.0, score * reading)), 3),
            page=self.page + 1,
            bbox=self.span.bbox if self.span.words else None,
            source=document.source(self.page),
        )


# ---------------------------------------------------------------------------------------------
# Locale

_COMMA_DECIMAL = re.compile(r"\d,\d{2}(?![\d.,])")
_DOT_DECIMAL = re.compile(r"\d\.\d{2}(?![\d.,])")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})(?!\d)")


def infer_locale(text: str) -> Locale:
    commas, dots = len(_COMMA_DECIMAL.findall(text)), len(_DOT_DECIMAL.findall(text))
    mark = "," if commas > dots else "." if dots > commas else None
    day_first = month_first = 0
    for a, b, _ in _NUMERIC_DATE.findall(text):
        day_first += int(a) > 12 >= int(b)
        month_first += int(b) > 12 >= int(a)
    order = "DMY" if day_first > month_first else "MDY" if month_first > day_first else None
    if order is None and ("$" in text or "USD" in text) and "€" not in text:
        order = "MDY"
    return Locale(mark, order)


# ---------------------------------------------------------------------------------------------
# Readers

# Thousands are grouped by a dot, a comma or an apostrophe, or (French, Belgian, Nordic style)
# by a space: "14 550,29". A space-grouped number must end in cents, so that "2 550,00" is
# read as one amount only where nothing else can be meant.
_AMOUNT = re.compile(
    r"(?<![\w.,/:-])[-−(]?\s?(?:[$€£¥₹]|RM|EUR|USD|GBP|CHF|INR|Rs\.?)?\s?[-−]?"
    r"(?:\d{1,3}(?:[.,'’]\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?=[.,]\d{2}(?![\d.,]))|\d+)"
    r"(?:[.,]\s?\d{1,4})\)?-?(?![\w.,/]*\d)",
)
_OCR_SPLIT_DECIMAL = re.compile(r"(\d)([.,]) (\d{2})\b")


def amount_reader(locale: Locale) -> Reader:
    """The last decimal amount in a text ("Tax 15% on 112.90 16.94" → 16.94)."""

    def read(text: str) -> Found:
        found: Found = None
        for match in _AMOUNT.finditer(text):
            value = parse_amount(
                _OCR_SPLIT_DECIMAL.sub(r"\1\2\3", match.group()), locale.decimal_mark
            )
            if value is not None:
                found = (value, match.start(), match.end())
        return found

    return read


def date_reader(locale: Locale) -> Reader:
    def read(text: str) -> Found:
        return find_date(text, locale.date_order)

    return read


_TOKEN = re.compile(r"[^\s]+")
_ID_STRIP = " :#.-°º\"'()[]"


def read_identifier(text: str) -> Found:
    """The first token of ``text`` if it looks like a document number (has a digit)."""
    stripped = text.lstrip(" :#.-°º\t")
    offset = len(text) - len(stripped)
    for match in _TOKEN.finditer(stripped):
        token = match.group().strip(_ID_STRIP)
        if not token:
            continue
        if not _looks_like_identifier(token) or find_date(token) is not None:
            return None
        start = offset + match.start() + match.group().find(token)
        return token, start, start + len(token)
    return None


def _looks_like_identifier(token: str) -> bool:
    digits = sum(ch.isdigit() for ch in token)
    return digits >= 1 and len(token) >= 3 and not re.fullmatch(r"\d{1,2}[.,]\d{2}", token)


def read_currency(text: str) -> Found:
    code = parse_currency(text)
    return (code, 0, len(text)) if code else None


def read_text(text: str) -> Found:
    stripped = text.strip(" :")
    if len(stripped) < 2:
        return None
    start = text.find(stripped)
    return stripped, start, start + len(stripped)


# ---------------------------------------------------------------------------------------------
# Labels and their values


def _first_label(cell: Cell, labels: Sequence[Label]) -> tuple[re.Match[str], float] | None:
    best: tuple[re.Match[str], float] | None = None
    for pattern, weight in labels:
        match = pattern.search(cell.text)
        if match and (best is None or weight > best[1]):
            best = (match, weight)
    return best


def labelled(
    document: Document,
    labels: Sequence[Label],
    read: Reader,
    *,
    exclude: re.Pattern[str] | None = None,
    below: int = 2,
    right: int = 2,
) -> list[Candidate]:
    """Every value that ``read`` finds next to a label of ``labels``."""
    found: list[Candidate] = []
    for line in document.lines:
        for index, cell in enumerate(line.cells):
            hit = _first_label(cell, labels)
            if hit is None or (exclude is not None and exclude.search(cell.text)):
                continue
            match, weight = hit
            found.extend(
                _values_near(
                    document, line, index, match, weight=weight, read=read, reach=(right, below)
                )
            )
    return found


def _values_near(
    document: Document,
    line: Line,
    index: int,
    match: re.Match[str],
    *,
    weight: float,
    read: Reader,
    reach: tuple[int, int],
) -> Iterator[Candidate]:
    right, below = reach
    cell = line.cells[index]
    label = match.group()
    rest = cell.text[match.end() :]
    hit = read(rest)
    if hit:
        yield _candidate(cell, hit, match.end(), weight, line, label=label)
        return
    for other in line.cells[index + 1 : index + 1 + right]:
        hit = read(other.text)
        if hit:
            yield _candidate(other, hit, 0, weight * RIGHT_WEIGHT, line, label=label)
            return
    for lower in document.below(line, below):
        for other in lower.cells:
            if overlaps_x(cell.bbox, other.bbox, slack=line.height):
                hit = read(other.text)
                if hit:
                    yield _candidate(other, hit, 0, weight * BELOW_WEIGHT, lower, label=label)
                    return


def _candidate(
    span: Span, hit: tuple[str, int, int], offset: int, score: float, line: Line, *, label: str
) -> Candidate:
    value, start, end = hit
    words = span.sub(offset + start, offset + end)
    return Candidate(value, words if words.words else span, line.page, score, line.number, label)


def best(candidates: Sequence[Candidate]) -> Candidate | None:
    """The candidate with the highest score; the earliest one on a tie."""
    return max(candidates, key=lambda c: (c.score, -c.line), default=None)
