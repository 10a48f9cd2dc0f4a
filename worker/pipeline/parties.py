"""Vendor and customer: names and addresses from the blocks of text at the top of the page.

A *block* is a run of cells stacked closely one under the other (an address block, a column
of a letterhead). The vendor is, by strength of evidence: the block under a seller label
("Verkäufer", "Sold by"); a block in the header whose name carries a legal form (GmbH, B.V.,
Sdn Bhd); the account holder of the bank details; the first block with an address under its
name. The customer is the block under a buyer label, or the line under a window-envelope
sender line. The address is the block's lines after the name, up to contact data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.domain import FieldValue
from worker.pipeline import lexicon
from worker.pipeline.candidates import Candidate
from worker.pipeline.layout import Cell, Document, Line, Span

HEADER_SHARE = 0.45  # the top of the first page, where letterheads and address blocks are
_BLOCK_GAP = 1.8  # vertical gap between two cells of a block, in line heights
# Layouts leave a blank line inside an address block (name, blank, street; street, blank,
# postcode and town): an address line may sit this far below the cell above it.
_ADDRESS_GAP = 3.6
_MAX_ADDRESS_LINES = 4
_ACCOUNT_HOLDER = re.compile(
    r"(?:account\s*holder|kontoinhaber|titulaire\s*du\s*compte|rekeninghouder|"
    r"payable\s*to|beneficiary|bénéficiaire|begünstigter)\s*:?\s*",
    re.IGNORECASE,
)
_SKIP = re.compile(
    r"^\s*(?:gln\b|globale|nummer|number|lief-?nr|kunden-?nr|customer\s*no|\(|\[|"
    r"\d[\d\s/.-]*$|[^:]{1,30}:\s*\S)",
    re.IGNORECASE,
)
_SENDER_SEPARATORS = re.compile(r"\s[●•·|]\s|\s[-–]\s.*\d{4,5}")
_POSTCODE = re.compile(r"\b\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
_STREET = re.compile(r"^[^\W\d][\w.'/ -]*\s\d{1,4}\s?[a-zA-Z]?$")  # "Bahnhofstraße 99"
_PARTY_LABELS = (*lexicon.VENDOR, *lexicon.CUSTOMER)
_NUMBER_VALUE = re.compile(r"[\w./-]*\d[\w./-]*")
_TAX_REGISTRATION = re.compile(r"^\(?\s*(?:gst|sst|vat|co\.?)\s*(?:id|reg|no)", re.IGNORECASE)
_TRAILING_REGISTRATION = re.compile(r"\s*\(?[\w\s.-]*\d{4,}[\w\s.-]*\)?\s*$")
# A company's registration number in brackets after its name: "Maju Sdn Bhd (Co. No: 123456-A)",
# or on a line of its own under it: "(001 234567-U)" (OCR often reads the bracket as "{").
_BRACKETED_REGISTRATION = re.compile(r"(?<=\w)\s*\([^()]*\d{4,}[^()]*\)?\s*$")
_REGISTRATION_LINE = re.compile(r"^\s*[({\[][^()\[\]{}]*\d{4,}[^()\[\]{}]*[)}\]]?\s*$")


@dataclass(frozen=True)
class Entry:
    line: Line
    cell: Cell


Block = list[Entry]


def build_blocks(document: Document, page: int) -> list[Block]:
    """The page's cells grouped into blocks stacked closely one under the other."""
    blocks: list[Block] = []
    for line in (li for li in document.lines if li.page == page):
        for cell in line.cells:
            home = _block_above(blocks, line, cell)
            if home is None:
                blocks.append([Entry(line, cell)])
            else:
                home.append(Entry(line, cell))
    return blocks


def _block_above(blocks: list[Block], line: Line, cell: Cell) -> Block | None:
    height = max(line.height, 1e-3)
    reach = (_ADDRESS_GAP if _address_line(cell.text) else _BLOCK_GAP) * height
    for block in reversed(blocks):
        last = block[-1]
        if last.line.number == line.number:
            continue
        gap = cell.bbox[1] - last.cell.bbox[3]
        if gap > reach or line.number - last.line.number > 3:
            continue
        if _aligned(last.cell, cell, height):
            return block
    return None


def _address_line(text: str) -> bool:
    """A street with its house number, or a line with a postcode."""
    text = text.strip()
    return bool(_STREET.search(text) or _POSTCODE.search(text))


def _aligned(upper: Cell, lower: Cell, height: float) -> bool:
    left = abs(upper.bbox[0] - lower.bbox[0]) < 2 * height
    overlap = min(upper.bbox[2], lower.bbox[2]) - max(upper.bbox[0], lower.bbox[0])
    narrower = min(upper.bbox[2] - upper.bbox[0], lower.bbox[2] - lower.bbox[0])
    return left or overlap > 0.5 * narrower


def _block_of(blocks: list[Block], cell: Cell) -> tuple[Block, int] | None:
    for block in blocks:
        for index, entry in enumerate(block):
            if entry.cell is cell:
                return block, index
    return None


# ---------------------------------------------------------------------------------------------
# Names


def _name_like(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return (
        letters >= 3
        and letters >= 0.4 * len(text.replace(" ", ""))
        and not lexicon.NOT_A_NAME.search(text.strip())
        and not lexicon.ADDRESS_STOP.search(text)
    )


def clean_name(text: str) -> str:
    text = _BRACKETED_REGISTRATION.sub("", text).strip(" :,;-") or text.strip(" :,;-")
    cleaned = _TRAILING_REGISTRATION.sub("", text) if re.search(r"\d{4,}", text) else text
    return cleaned.strip(" :,;-") or text


@dataclass(frozen=True)
class Party:
    name: Candidate
    address: Candidate | None = None


def _party_from(block: Block, start: int, score: float) -> Party | None:
    """The first name-like cell of ``block`` from ``start`` on, and the address under it."""
    for index in range(start, len(block)):
        entry = block[index]
        text = _BRACKETED_REGISTRATION.sub("", entry.cell.text) or entry.cell.text
        if _SKIP.search(text) or not _name_like(text):
            continue
        name_span, name_text = _with_previous_line(block, index)
        name = Candidate(
            clean_name(name_text), name_span, entry.line.page, score, entry.line.number
        )
        return Party(name, _address_after(block, index + 1, score))
    return None


def _with_previous_line(block: Block, index: int) -> tuple[Span, str]:
    """A name whose line is only a legal form ("CO. (M) SDN BHD") starts a line higher."""
    cell = block[index].cell
    others = [w for w in lexicon.LEGAL_FORM.sub(" ", cell.text).split() if len(w) > 1]
    if index > 0 and lexicon.LEGAL_FORM.search(cell.text) and len(others) <= 2:
        upper = block[index - 1].cell
        label = _is_label(upper.text, _PARTY_LABELS)
        if _name_like(upper.text) and not _SKIP.search(upper.text) and not label:
            return Span(upper.words + cell.words), f"{upper.text} {cell.text}"
    return cell, cell.text


def _address_after(block: Block, start: int, score: float) -> Candidate | None:
    lines: list[Entry] = []
    for entry in block[start:]:
        text = entry.cell.text
        registration = (
            lexicon.REGISTRATION.search(text)
            or _TAX_REGISTRATION.search(text)
            or _REGISTRATION_LINE.search(text)
        )
        if not lines and registration:
            continue  # receipts print registration numbers between the name and the address
        if lexicon.ADDRESS_STOP.search(text) or len(lines) >= _MAX_ADDRESS_LINES:
            break
        if registration or (not lines and not re.search(r"\d", text)):
            continue  # a registration number, or a contact person before the street
        lines.append(entry)
    if not lines:
        return None
    text = ", ".join(e.cell.text.strip(" ,") for e in lines)
    words = tuple(w for e in lines for w in e.cell.words)
    return Candidate(text, Span(words), lines[0].line.page, score * 0.9, lines[0].line.number)


# ---------------------------------------------------------------------------------------------
# Evidence, strongest first


def _labelled_party(document: Document, labels: Iterable[lexicon.Label]) -> Party | None:
    for page in sorted({line.page for line in document.lines}):
        blocks = build_blocks(document, page)
        for block in blocks:
            for index, entry in enumerate(block):
                party = _party_under_label(document, blocks, (block, index), entry, labels)
                if party:
                    return party
    return None


def _party_under_label(
    document: Document,
    blocks: list[Block],
    where: tuple[Block, int],
    entry: Entry,
    labels: Iterable[lexicon.Label],
) -> Party | None:
    block, index = where
    for pattern, weight in labels:
        match = pattern.search(entry.cell.text)
        if not match:
            continue
        after = entry.cell.text[match.end() :]
        rest = after.strip(" :/")
        if rest and not after.lstrip().startswith(":") and not _is_label(rest, labels):
            continue  # "Lieferant GmbH" is a name that starts like a label, not a label
        if _NUMBER_VALUE.fullmatch(rest):
            continue  # "Customer: 2" labels a customer number, not the customer's block
        if _name_like(rest) and not _SKIP.search(rest) and not _is_label(rest, labels):
            span = entry.cell.sub(len(entry.cell.text) - len(rest), len(entry.cell.text))
            name = Candidate(clean_name(rest), span, entry.line.page, weight, entry.line.number)
            return Party(name, _address_after(block, index + 1, weight))
        party = _party_from(block, index + 1, weight)
        if party is None:
            party = _party_in_next_block(document, blocks, entry, weight)
        if party:
            return party
    return None


def _is_label(text: str, labels: Iterable[lexicon.Label]) -> bool:
    return any(pattern.search(text.strip(" :/")) for pattern, _ in labels)


def _party_in_next_block(
    document: Document, blocks: list[Block], entry: Entry, score: float
) -> Party | None:
    """A label set apart from its block by a gap: the next block below it."""
    for lower in document.below(entry.line, 3):
        for cell in lower.cells:
            if min(cell.bbox[2], entry.cell.bbox[2]) > max(cell.bbox[0], entry.cell.bbox[0]):
                found = _block_of(blocks, cell)
                if found:
                    return _party_from(found[0], found[1], score * 0.9)
    return None


def _is_header(entry: Entry) -> bool:
    return entry.line.page == 0 and entry.cell.bbox[1] < HEADER_SHARE


def _legal_form_party(blocks: list[Block], customer: Party | None) -> Party | None:
    for block in blocks:
        for index, entry in enumerate(block):
            if not _is_header(entry) or not lexicon.LEGAL_FORM.search(entry.cell.text):
                continue
            party = _party_from(block, index, 0.85)
            if party and not _same(party, customer):
                return party
    return None


def _account_holder(document: Document) -> Party | None:
    for line in document.lines:
        for cell in line.cells:
            match = _ACCOUNT_HOLDER.search(cell.text)
            rest = cell.text[match.end() :] if match else ""
            if match and _name_like(rest):
                span = cell.sub(match.end(), len(cell.text))
                return Party(Candidate(clean_name(rest), span, line.page, 0.75, line.number))
    return None


def _first_block_party(blocks: list[Block], customer: Party | None) -> Party | None:
    """The top block of the header; one with an address or contact data under its name wins
    over one without (a logo's words, a till's "Operator 9")."""
    parties: list[tuple[Party, bool]] = []
    for block in blocks:
        if not _is_header(block[0]):
            continue
        party = _party_from(block, 0, 0.6)
        if party and not _same(party, customer):
            contact = any(lexicon.CONTACT.search(entry.cell.text) for entry in block)
            parties.append((party, party.address is not None or contact))
    chosen = [p for p, evidence in parties if evidence] or [p for p, _ in parties]
    return chosen[0] if chosen else None


def _same(party: Party, other: Party | None) -> bool:
    return other is not None and party.name.line == other.name.line


def _sender_line_customer(document: Document) -> Party | None:
    """Under a window envelope's sender line ("Firm ● Street 1 ● 12345 Town") is the customer."""
    for line in document.lines:
        if line.page != 0 or line.bbox[1] > HEADER_SHARE:
            continue
        for cell in line.cells:
            if _SENDER_SEPARATORS.search(cell.text) and _POSTCODE.search(cell.text):
                blocks = build_blocks(document, 0)
                found = _block_of(blocks, cell)
                party = _party_from(found[0], found[1] + 1, 0.7) if found else None
                return party or _party_in_next_block(document, blocks, Entry(line, cell), 0.7)
    return None


def find_customer(document: Document) -> Party | None:
    return _labelled_party(document, lexicon.CUSTOMER) or _sender_line_customer(document)


def find_vendor(document: Document, customer: Party | None) -> Party | None:
    labelled = _labelled_party(document, lexicon.VENDOR)
    if labelled:
        return labelled
    blocks = build_blocks(document, 0) if document.lines else []
    return (
        _legal_form_party(blocks, customer)
        or _account_holder(document)
        or _first_block_party(blocks, customer)
    )


def _sender_line_address(document: Document, vendor: Party) -> Party:
    """A window envelope's sender line spells out the vendor's address: "Firm ● Street ● Town"."""
    if vendor.address is not None and "," in vendor.address.value:
        return vendor
    for line in document.lines:
        for cell in line.cells:
            parts = [p.strip() for p in re.split(r"\s[●•·|]\s", cell.text)]
            if len(parts) >= 3 and parts[0] == vendor.name.value and _POSTCODE.search(cell.text):
                start = cell.text.find(parts[1])
                span = cell.sub(start, len(cell.text))
                address = Candidate(", ".join(parts[1:]), span, line.page, 0.8, line.number)
                return Party(vendor.name, address)
    return vendor


def party_fields(document: Document) -> Mapping[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    customer = find_customer(document)
    vendor = find_vendor(document, customer)
    if vendor is not None:
        vendor = _sender_line_address(document, vendor)
    for role, party in (("vendor", vendor), ("customer", customer)):
        if party is None:
            continue
        fields[f"{role}_name"] = party.name.to_field(document)
        if party.address is not None:
            fields[f"{role}_address"] = party.address.to_field(document)
    return fields
