"""Document numbers and bank/tax identifiers: invoice number, order number, IBAN, BIC, VAT IDs.

IBANs are found anywhere on the page (grouped in fours or not) and kept only when their mod-97
checksum holds; VAT IDs are read next to their labels and assigned to the customer when the
label says so ("Ihre USt-IdNr.", "Your VAT ID"), to the vendor otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from core.domain import FieldValue
from core.normalise import parse_bic, parse_iban, parse_vat_id
from worker.pipeline import lexicon
from worker.pipeline.candidates import (
    Candidate,
    Found,
    best,
    labelled,
    read_identifier,
    read_text,
)
from worker.pipeline.layout import Document

_IBAN_START = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{1,4}){3,8}\b")  # "CH37 9684 ... 0666 6"
_VAT_TOKEN = re.compile(r"\b[A-Z]{2,3}[\s.\-]?[A-Z0-9][A-Z0-9\s.\-]{6,16}[A-Z0-9]\b")
_MAX_TERMS = 60


def find_invoice_number(document: Document) -> Candidate | None:
    return best(labelled(document, lexicon.INVOICE_NUMBER, read_identifier, below=2))


def find_iban(document: Document) -> Candidate | None:
    for line in document.lines:
        for match in _IBAN_START.finditer(line.text):
            text = match.group()
            for end in range(len(text), 14, -1):  # shortest trailing junk first
                iban = parse_iban(text[:end])
                if iban:
                    span = line.sub(match.start(), match.start() + end)
                    return Candidate(iban, span, line.page, 0.95, line.number)
    return None


def _read_bic(text: str) -> Found:
    for match in re.finditer(r"[A-Z0-9]{8,11}", text):
        bic = parse_bic(match.group())
        if bic and not bic.isdigit():
            return bic, match.start(), match.end()
    return None


def find_bic(document: Document) -> Candidate | None:
    labels = ((lexicon.BIC_LABEL, 0.95),)
    return best(labelled(document, labels, _read_bic, below=1, right=1))


def _read_vat(text: str) -> Found:
    for match in _VAT_TOKEN.finditer(text.upper()):
        vat = parse_vat_id(match.group())
        if vat:
            return vat, match.start(), match.end()
    return None


def find_tax_ids(document: Document) -> dict[str, Candidate]:
    found: dict[str, Candidate] = {}
    for candidate in labelled(document, lexicon.VAT_ID, _read_vat, below=1, right=1):
        role = (
            "customer_tax_id" if lexicon.CUSTOMER_MARK.search(candidate.label) else "vendor_tax_id"
        )
        line = document.lines[candidate.line]
        if lexicon.CUSTOMER_MARK.search(line.text[: line.text.find(candidate.label) + 1]):
            role = "customer_tax_id"
        found.setdefault(role, candidate)
    return found


def _read_terms(text: str) -> Found:
    found = read_text(text)
    if found is None or not re.search(r"\d|net|sofort|immediate|receipt|réception", text, re.I):
        return None
    value, start, end = found
    return value[:_MAX_TERMS], start, start + min(end - start, _MAX_TERMS)


def identifier_fields(document: Document) -> Mapping[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    named: dict[str, Candidate | None] = {
        "invoice_number": find_invoice_number(document),
        "purchase_order": best(labelled(document, lexicon.PURCHASE_ORDER, read_identifier)),
        "payment_terms": best(labelled(document, lexicon.PAYMENT_TERMS, _read_terms, below=1)),
        "iban": find_iban(document),
        "bic": find_bic(document),
        **find_tax_ids(document),
    }
    for name, candidate in named.items():
        if candidate is not None:
            fields[name] = candidate.to_field(document)
    if "purchase_order" in fields and fields["purchase_order"].value == _value(
        fields, "invoice_number"
    ):
        del fields["purchase_order"]
    return fields


def _value(fields: Mapping[str, FieldValue], name: str) -> str | None:
    found = fields.get(name)
    return found.value if found else None
