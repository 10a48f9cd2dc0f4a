"""E-invoice XML embedded in PDFs: ZUGFeRD 1.0 (CrossIndustryDocument) and ZUGFeRD 2.x /
Factur-X / XRechnung (UN/CEFACT CrossIndustryInvoice).

The XML is the invoice's own data, so its values are exact: ``source="einvoice_xml"`` and
confidence 1.0. Elements are found by local name, which reads both generations (their element
names mostly agree and their namespaces differ). A PDF whose attachment is missing, unreadable
or not an invoice yields ``None`` and a reason, never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import facturx
from lxml import etree

from core.domain import FieldValue, LineItem
from core.normalise import format_amount, parse_date

SOURCE = "einvoice_xml"
_MAX_XML_BYTES = 20 * 1024 * 1024
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EInvoice:
    fields: Mapping[str, FieldValue]
    line_items: tuple[LineItem, ...]
    filename: str
    flavour: str


class EInvoiceError(Exception):
    """The PDF carries an attachment that is not a readable e-invoice."""


def embedded_xml(path: Path) -> tuple[str, bytes] | None:
    """The e-invoice XML attached to the PDF at ``path``: (file name, bytes), or None."""
    try:
        name, xml = facturx.get_xml_from_pdf(path.read_bytes(), check_xsd=False)
    except Exception as error:  # pypdf raises many kinds on broken PDFs
        _log.info("no readable e-invoice attachment in %s: %s", path.name, error)
        return None
    if not name or not xml:
        return None
    return str(name), bytes(xml)


def read_einvoice(path: Path) -> EInvoice | None:
    """The fields of the e-invoice embedded in ``path``; None when it carries none."""
    found = embedded_xml(path)
    if found is None:
        return None
    name, xml = found
    return parse_einvoice(xml, name)


def parse_einvoice(xml: bytes, filename: str = "") -> EInvoice:
    """Fields and line items of a CII (ZUGFeRD 2.x, Factur-X) or ZUGFeRD 1.0 document."""
    if len(xml) > _MAX_XML_BYTES:
        raise EInvoiceError("the e-invoice XML is too large")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise EInvoiceError(f"the e-invoice XML is not well-formed: {error}") from None
    flavour = etree.QName(root).localname
    if flavour not in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        raise EInvoiceError(f"unsupported e-invoice format <{flavour}>")
    fields = {name: _exact(value) for name, value in _header_values(root).items() if value}
    items = tuple(_line_item(node) for node in _all(root, "IncludedSupplyChainTradeLineItem"))
    return EInvoice(fields, items, filename, flavour)


def _exact(value: str) -> FieldValue:
    return FieldValue(value=value, confidence=1.0, source=SOURCE)


# ---------------------------------------------------------------------------------------------
# XPath by local names: "A/B" finds any A anywhere, then its child B.


def _path(steps: str) -> str:
    parts = [f"*[local-name()='{step}']" for step in steps.split("/")]
    return ".//" + "/".join(parts)


def _all(node: Any, steps: str) -> list[Any]:
    return list(node.xpath(_path(steps)))


def _text(node: Any, steps: str) -> str | None:
    for found in _all(node, steps):
        text = (found.text or "").strip()
        if text:
            return " ".join(text.split())
    return None


def _amount(node: Any, steps: str, currency: str | None = None) -> str | None:
    candidates = _all(node, steps)
    if currency:  # a tax total may be given twice, in the invoice and the accounting currency
        same = [c for c in candidates if c.get("currencyID") in (None, currency)]
        candidates = same or candidates
    for found in candidates:
        try:
            return format_amount(Decimal((found.text or "").strip()))
        except InvalidOperation:
            continue
    return None


def _number(node: Any, steps: str) -> str | None:
    text = _text(node, steps)
    try:
        return format(Decimal(text).normalize(), "f") if text else None
    except InvalidOperation:
        return None


def _date(node: Any, steps: str) -> str | None:
    for found in _all(node, steps + "/DateTimeString"):
        text = (found.text or "").strip()
        if found.get("format", "102") == "102" and len(text) == 8 and text.isdigit():
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        if text:
            return parse_date(text)
    return None


def _address(party: Any) -> str | None:
    parts = [
        _text(party, f"PostalTradeAddress/{name}") for name in ("LineOne", "LineTwo", "LineThree")
    ]
    postcode = _text(party, "PostalTradeAddress/PostcodeCode")
    city = _text(party, "PostalTradeAddress/CityName")
    town = " ".join(p for p in (postcode, city) if p)
    lines = [p for p in (*parts, town, _text(party, "PostalTradeAddress/CountryID")) if p]
    return ", ".join(lines) or None


def _party(root: Any, role: str) -> dict[str, str | None]:
    nodes = _all(root, f"{role}TradeParty")
    if not nodes:
        return {}
    party = nodes[0]
    vat = next(
        (
            (node.text or "").strip()
            for node in _all(party, "SpecifiedTaxRegistration/ID")
            if node.get("schemeID") == "VA"
        ),
        None,
    )
    return {"name": _text(party, "Name"), "address": _address(party), "tax_id": vat}


def _header_values(root: Any) -> dict[str, str | None]:
    document = (_all(root, "ExchangedDocument") or _all(root, "HeaderExchangedDocument"))[:1]
    head = document[0] if document else root
    currency = _text(root, "InvoiceCurrencyCode")
    seller, buyer = _party(root, "Seller"), _party(root, "Buyer")
    return {
        "invoice_number": _text(head, "ID"),
        "issue_date": _date(head, "IssueDateTime"),
        "due_date": _date(root, "SpecifiedTradePaymentTerms/DueDateDateTime"),
        "vendor_name": seller.get("name"),
        "vendor_address": seller.get("address"),
        "vendor_tax_id": seller.get("tax_id"),
        "customer_name": buyer.get("name"),
        "customer_address": buyer.get("address"),
        "customer_tax_id": buyer.get("tax_id"),
        "currency": currency,
        **_totals(root, currency),
        "purchase_order": _text(root, "BuyerOrderReferencedDocument/IssuerAssignedID")
        or _text(root, "BuyerOrderReferencedDocument/ID"),
        "payment_terms": _text(root, "SpecifiedTradePaymentTerms/Description"),
        "iban": _text(root, "PayeePartyCreditorFinancialAccount/IBANID"),
        "bic": _text(root, "PayeeSpecifiedCreditorFinancialInstitution/BICID"),
    }


def _totals(root: Any, currency: str | None) -> dict[str, str | None]:
    summations = _all(root, "SpecifiedTradeSettlementHeaderMonetarySummation") or _all(
        root, "SpecifiedTradeSettlementMonetarySummation"
    )
    # ZUGFeRD 1.0 uses the same element name in line items; the header's has the grand total.
    headers = [node for node in summations if _all(node, "GrandTotalAmount")]
    if not headers:
        return {}
    totals = headers[0]
    return {
        "net_amount": _amount(totals, "TaxBasisTotalAmount", currency),
        "tax_amount": _amount(totals, "TaxTotalAmount", currency),
        "total_amount": _amount(totals, "GrandTotalAmount", currency),
        "amount_due": _amount(totals, "DuePayableAmount", currency),
    }


def _line_item(node: Any) -> LineItem:
    quantity = _all(node, "BilledQuantity")
    values = {
        "description": _text(node, "SpecifiedTradeProduct/Name"),
        "code": _text(node, "SpecifiedTradeProduct/SellerAssignedID"),
        "quantity": _number(node, "BilledQuantity"),
        "unit": quantity[0].get("unitCode") if quantity else None,
        "unit_price": _amount(node, "NetPriceProductTradePrice/ChargeAmount"),
        "line_total": _amount(node, "LineTotalAmount"),
        "tax_rate": _number(node, "RateApplicablePercent") or _number(node, "ApplicablePercent"),
    }
    return {name: _exact(value) for name, value in values.items() if value}
