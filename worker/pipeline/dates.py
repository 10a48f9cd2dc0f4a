"""Issue and due dates: a labelled date where there is one, else the document's first date.

A date printed next to a due, delivery or order label is never taken for the issue date; an
unlabelled first date is a weaker candidate (a receipt often prints its date with no label).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.domain import FieldValue
from worker.pipeline import lexicon
from worker.pipeline.candidates import Candidate, Locale, best, date_reader, labelled
from worker.pipeline.layout import Document

UNLABELLED_SCORE = 0.55


def find_issue_date(document: Document, locale: Locale) -> Candidate | None:
    read = date_reader(locale)
    found = [
        c for c in labelled(document, lexicon.ISSUE_DATE, read, exclude=lexicon.NOT_ISSUE_DATE)
    ]
    if found:
        return best(found)
    return _first_date(document, locale)


def _first_date(document: Document, locale: Locale) -> Candidate | None:
    read = date_reader(locale)
    for line in document.lines:
        for cell in line.cells:
            hit = read(cell.text)
            if hit is None or lexicon.NOT_ISSUE_DATE.search(cell.text[: hit[1]] or line.text):
                continue
            value, start, end = hit
            return Candidate(value, cell.sub(start, end), line.page, UNLABELLED_SCORE, line.number)
    return None


def find_due_date(document: Document, locale: Locale) -> Candidate | None:
    return best(labelled(document, lexicon.DUE_DATE, date_reader(locale), below=3))


def dates_fields(document: Document, locale: Locale) -> Mapping[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    issued = find_issue_date(document, locale)
    if issued:
        fields["issue_date"] = issued.to_field(document)
    due = find_due_date(document, locale)
    if due and (issued is None or due.value >= issued.value):
        fields["due_date"] = due.to_field(document)
    return fields
