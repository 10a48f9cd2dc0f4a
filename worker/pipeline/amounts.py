"""Totals and currency: the labelled amounts, and the combination of them that adds up.

Every amount printed next to a total, net or tax label is a candidate (a labelled column
header contributes each amount under it). The answer is the consistent triple (net + tax =
total) with the best labels, ties going to the largest total; without one, the best-labelled
total, and net and tax that fit under it. A missing part of a found pair is computed from the
other two, with a lower confidence. The amount due is its own label's ("Amount due",
"Zahlbetrag"); where a prepayment is printed between two totals, the later one is the amount
due and the earlier one the total.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from core.domain import FieldValue
from core.normalise import CURRENCY_CODES, format_amount, parse_currency, parse_decimal
from worker.pipeline import lexicon
from worker.pipeline.candidates import (
    BELOW_WEIGHT,
    Candidate,
    Locale,
    amount_reader,
    best,
    labelled,
    read_currency,
)
from worker.pipeline.layout import Cell, Document, Line, Span, overlaps_x

TOLERANCE = Decimal("0.02")
# Generic labels ("Total", "VAT") are ignored on a cell that also says "excl", "qty", ...;
# specific ones ("Total incl. VAT", "Grand total") are not.
SPECIFIC = 0.9
COMPUTED_CONFIDENCE = 0.5
MAX_CANDIDATES = 10
_COLUMN_DEPTH = 6


@dataclass(frozen=True)
class Totals:
    total: FieldValue | None = None
    net: FieldValue | None = None
    tax: FieldValue | None = None
    due: FieldValue | None = None

    def as_fields(self) -> dict[str, FieldValue]:
        named = {
            "total_amount": self.total,
            "net_amount": self.net,
            "tax_amount": self.tax,
            "amount_due": self.due,
        }
        return {name: value for name, value in named.items() if value is not None}


def _number(candidate: Candidate) -> Decimal:
    return parse_decimal(candidate.value, ".") or Decimal(0)


_LETTERS = re.compile(r"[A-Za-zÀ-ÿ]")


def _amount_only(text: str, read_all: list[tuple[str, int, int]]) -> bool:
    """A cell holding amounts (and a currency or tax code), not another label."""
    rest = text
    for _, start, end in sorted(read_all, key=lambda hit: -hit[1]):
        rest = rest[:start] + rest[end:]
    words = [w for w in re.findall(r"[A-Za-zÀ-ÿ]+", rest) if w.upper() not in CURRENCY_CODES]
    return bool(read_all) and sum(len(w) for w in words) <= 3


def _all_amounts(text: str, locale: Locale) -> list[tuple[str, int, int]]:
    """Every amount in ``text``, left to right (the reader finds the last; blank it, repeat)."""
    read = amount_reader(locale)
    found: list[tuple[str, int, int]] = []
    while (hit := read(text)) is not None:
        found.append(hit)
        _, start, end = hit
        text = text[:start] + " " * (end - start) + text[end:]
    return sorted(found, key=lambda h: h[1])


def amount_candidates(
    document: Document, labels: Sequence[lexicon.Label], exclude: re.Pattern[str], locale: Locale
) -> list[Candidate]:
    found: list[Candidate] = []
    for line in document.lines:
        for index, cell in enumerate(line.cells):
            hits = [(p.search(cell.text), w) for p, w in labels]
            matched = [(m, w) for m, w in hits if m]
            if not matched:
                continue
            match, weight = max(matched, key=lambda pair: pair[1])
            if (weight < SPECIFIC and exclude.search(cell.text)) or lexicon.NEVER_TOTAL.search(
                cell.text
            ):
                continue
            found.extend(
                _amounts_for_label(document, line, index, match, weight=weight, locale=locale)
            )
    return sorted(found, key=lambda c: -c.score)[: MAX_CANDIDATES * 3]


def _amounts_for_label(
    document: Document,
    line: Line,
    index: int,
    match: re.Match[str],
    *,
    weight: float,
    locale: Locale,
) -> Iterator[Candidate]:
    """The last amount right of the label (before the next label), else the column below."""
    cell = line.cells[index]
    spans: list[tuple[Span, tuple[str, int, int]]] = []
    rest = cell.text[match.end() :]
    spans.extend(
        (cell.sub(match.end() + s, match.end() + e), (v, s, e))
        for v, s, e in _all_amounts(rest, locale)
    )
    for other in line.cells[index + 1 :]:
        hits = _all_amounts(other.text, locale)
        if not _amount_only(other.text, hits):
            break
        spans.extend((other.sub(s, e), (v, s, e)) for v, s, e in hits)
    if spans:
        span, (value, _, _) = spans[-1]
        yield Candidate(value, span, line.page, weight, line.number, match.group())
        return
    lost = _lost_point(line, index, match.end())
    if lost is not None:
        span, value = lost
        score = weight * LOST_POINT_WEIGHT
        yield Candidate(value, span, line.page, score, line.number, match.group())
        return
    if len(line.cells) >= 3 and not cell.text.rstrip().endswith(":"):  # a table's header row
        yield from _column_below(document, line, cell, weight=weight, locale=locale)


# Thermal printers print the decimal point as one faint dot, and OCR often drops it: "Total
# RM 12 35", "Tendered 20 00". Right of a money label, and only where no amount reads otherwise,
# two digits set apart at the end of the value are its cents: the whole next cell, or the end
# of the label's own cell when nothing follows it.
_CENTS = r"(?<![\d.,])(\d{1,6}) (\d{2})(?:\s?[A-Za-z]{1,2})?\W{0,2}$"
_LOST_POINT_CELL = re.compile(r"^\W{0,2}(?:[A-Za-z]{1,3}\s?)?" + _CENTS)
_LOST_POINT_END = re.compile(r"\s" + _CENTS)
LOST_POINT_WEIGHT = 0.9


def _lost_point(line: Line, index: int, start: int) -> tuple[Span, str] | None:
    """The amount of a money label's value whose decimal point OCR lost, if that is all it is."""
    if index + 1 < len(line.cells):
        cell, offset = line.cells[index + 1], 0
        match = _LOST_POINT_CELL.match(cell.text.strip())
        offset = len(cell.text) - len(cell.text.lstrip())
    else:
        cell, offset = line.cells[index], start
        match = _LOST_POINT_END.search(cell.text[start:])
    if match is None:
        return None
    words = cell.sub(offset + match.start(1), offset + match.end(2))
    return words, f"{int(match.group(1))}.{match.group(2)}"


def _column_below(
    document: Document, line: Line, header: Cell, *, weight: float, locale: Locale
) -> Iterator[Candidate]:
    label = header.text
    score = weight * BELOW_WEIGHT
    found_any = False
    for lower in document.below(line, _COLUMN_DEPTH):
        cells = [c for c in lower.cells if overlaps_x(header.bbox, c.bbox, slack=line.height)]
        hits = [(c, _all_amounts(c.text, locale)) for c in cells]
        hits = [(c, h) for c, h in hits if _amount_only(c.text, h)]
        if not hits:
            if found_any:
                return
            continue
        cell, amounts = hits[0]
        value, start, end = amounts[-1]
        found_any = True
        yield Candidate(value, cell.sub(start, end), lower.page, score, lower.number, label)


# On a document type without a net amount (a receipt), "Net total" is the amount to pay.
_NET_TOTAL = ((re.compile(r"\bnet(?:t|to)?\s*total", re.IGNORECASE), 1.0),)


def find_totals(document: Document, locale: Locale, has_net: bool = True) -> Totals:
    labels = lexicon.TOTAL if has_net else (*lexicon.TOTAL, *_NET_TOTAL)
    totals = amount_candidates(document, labels, lexicon.NOT_TOTAL, locale)
    totals = _tendered_minus_change(document, totals, locale)
    totals, due = _split_at_prepayment(document, totals, locale)
    found = _net_tax_and_total(document, locale, totals, has_net)
    return replace(found, due=due.to_field(document) if due else None)


def _split_at_prepayment(
    document: Document, totals: list[Candidate], locale: Locale
) -> tuple[list[Candidate], Candidate | None]:
    """The totals that are the invoice's, and the amount still due.

    Where a prepayment is printed between two totals ("Rechnungsbetrag 2.212,09 / Anzahlung
    -663,63 / Zahlbetrag 1.548,46"), the totals after it are what is left to pay.
    """
    dues = amount_candidates(document, lexicon.AMOUNT_DUE, lexicon.NOT_TOTAL, locale)
    paid = next(
        (
            line.number
            for line in document.lines
            if lexicon.PREPAYMENT.search(line.text) and _all_amounts(line.text, locale)
        ),
        None,
    )
    before = [t for t in totals if paid is not None and t.line < paid]
    if paid is None or not before:
        return totals, _best_total(dues)
    return before, _best_total([c for c in [*totals, *dues] if c.line > paid])


def _net_tax_and_total(
    document: Document, locale: Locale, totals: list[Candidate], has_net: bool
) -> Totals:
    # A type without a net amount (a receipt) still prints one ("Total excl. GST"): it checks
    # the total (net + tax), though it is not reported. "Net total" is its total, not a net.
    nets = amount_candidates(document, lexicon.NET, lexicon.NOT_NET, locale)
    if not has_net:
        nets = [n for n in nets if not _NET_TOTAL[0][0].search(n.label)]
    taxes = amount_candidates(document, lexicon.TAX, lexicon.NOT_TAX, locale)
    taxes = [*taxes, *_tax_sums(taxes)]
    triple = _consistent(totals, nets, taxes)
    if triple:
        total, net, tax = triple
        return Totals(total.to_field(document), net.to_field(document), tax.to_field(document))
    return _fill_in(document, _best_total(totals), nets, taxes)


def _tax_sums(taxes: Sequence[Candidate]) -> list[Candidate]:
    """Tax printed per rate (7 % and 19 %) adds up to the tax total: runs of adjacent lines."""
    by_line = sorted({c.line: c for c in taxes}.values(), key=lambda c: c.line)
    sums: list[Candidate] = []
    for start in range(len(by_line)):
        for end in range(start + 2, min(len(by_line), start + 4) + 1):
            run = by_line[start:end]
            if run[-1].line - run[0].line > 3 * len(run):
                break
            total = sum((_number(c) for c in run), Decimal(0))
            words = tuple(w for c in run for w in c.span.words)
            score = min(c.score for c in run) * 0.9
            sums.append(replace(run[0], value=format_amount(total), span=Span(words), score=score))
    return sums


def _consistent(
    totals: Sequence[Candidate], nets: Sequence[Candidate], taxes: Sequence[Candidate]
) -> tuple[Candidate, Candidate, Candidate] | None:
    triples = [
        (t, n, x)
        for t in totals[:MAX_CANDIDATES]
        for n in nets[:MAX_CANDIDATES]
        for x in taxes[:MAX_CANDIDATES]
        if _number(t) != 0
        and abs(_number(n) + _number(x) - _number(t)) <= TOLERANCE
        and abs(_number(x)) < abs(_number(t))
    ]
    return max(
        triples,
        key=lambda tr: (round(tr[0].score + tr[1].score + tr[2].score, 1), abs(_number(tr[0]))),
        default=None,
    )


def _best_total(totals: Sequence[Candidate]) -> Candidate | None:
    """The best-labelled total; among equals the last printed (after rounding, after charges)."""
    return max(totals, key=lambda c: (round(c.score, 1), c.line), default=None)


def _payments(document: Document, pattern: re.Pattern[str], locale: Locale) -> list[Candidate]:
    labels = ((pattern, 1.0),)
    return amount_candidates(document, labels, re.compile("$^"), locale)


def _tendered_minus_change(
    document: Document, totals: list[Candidate], locale: Locale
) -> list[Candidate]:
    """On a receipt, cash handed over minus change given is the total: it confirms one.

    A receipt may print the cash payment at the total ("Cash 13.45") and then what was handed
    over ("Tendered 20.00"): the change comes from the larger of the two.
    """
    handed = _payments(document, lexicon.TENDERED, locale)
    cash = max(handed, key=_number, default=None)
    changes = _payments(document, lexicon.CHANGE, locale)
    change = changes[0] if changes else None
    if cash is None or change is None or not _number(cash) > _number(change) > 0:
        return totals
    paid = _number(cash) - _number(change)
    confirmed = [replace(t, score=t.score + 0.5) for t in totals if _number(t) == paid]
    if confirmed:
        return confirmed + [t for t in totals if _number(t) != paid]
    return [*totals, replace(_computed(cash, paid), score=0.55)]


def _fill_in(
    document: Document,
    total: Candidate | None,
    nets: Sequence[Candidate],
    taxes: Sequence[Candidate],
) -> Totals:
    if total is None:
        net, tax = best(nets), best(taxes)
        if net and tax:
            computed = _computed(net, _number(net) + _number(tax))
            return Totals(
                computed.to_field(document, COMPUTED_CONFIDENCE),
                net.to_field(document),
                tax.to_field(document),
            )
        return Totals(None, net.to_field(document) if net else None, None)
    limit = abs(_number(total))
    net = best([n for n in nets if abs(_number(n)) <= limit])
    tax = best([x for x in taxes if abs(_number(x)) < limit])
    if net is None and tax is not None:
        net = _computed(tax, _number(total) - _number(tax))
        return Totals(
            total.to_field(document),
            net.to_field(document, COMPUTED_CONFIDENCE),
            tax.to_field(document),
        )
    return Totals(
        total.to_field(document),
        net.to_field(document) if net else None,
        tax.to_field(document) if tax else None,
    )


def _computed(origin: Candidate, value: Decimal) -> Candidate:
    return replace(origin, value=format_amount(value))


# ---------------------------------------------------------------------------------------------
# Currency

_CURRENCY_TOKEN = re.compile(
    r"(?<![A-Za-z])(?:[A-Z]{3})(?![A-Za-z])|[$€£¥₹]|(?<![A-Za-z])(?:RM|Rs\.?)(?![A-Za-z])"
)


def find_currency(document: Document, total: FieldValue | None) -> FieldValue | None:
    """The currency a label names, else the one printed with the total, else the commonest."""
    named = best(labelled(document, lexicon.CURRENCY, read_currency, below=1, right=1))
    if named:
        return named.to_field(document)
    counts: Counter[str] = Counter()
    first: dict[str, tuple[Line, str]] = {}
    for line in document.lines:
        for token in _CURRENCY_TOKEN.findall(line.text):
            code = parse_currency(token)
            if code:
                weight = 3 if total and total.page == line.page + 1 and _on_line(total, line) else 1
                counts[code] += weight
                first.setdefault(code, (line, token))
    if not counts:
        return None
    code, _ = counts.most_common(1)[0]
    line, token = first[code]
    words = tuple(w for w in line.words if token in w.text) or line.words
    span = Span(words[:1])
    agreement = counts[code] / sum(counts.values())
    return Candidate(code, span, line.page, 0.5 + 0.45 * agreement).to_field(document)


def _on_line(found: FieldValue, line: Line) -> bool:
    if found.bbox is None:
        return False
    centre = (found.bbox[1] + found.bbox[3]) / 2
    return line.bbox[1] <= centre <= line.bbox[3]


def amounts_fields(
    document: Document, locale: Locale, has_net: bool = True
) -> Mapping[str, FieldValue]:
    totals = find_totals(document, locale, has_net)
    fields = totals.as_fields()
    currency = find_currency(document, totals.total)
    if currency:
        fields["currency"] = currency
    return fields
