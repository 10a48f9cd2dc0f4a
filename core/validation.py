"""Validation rules over a document's fields: what a careful bookkeeper checks before paying.

:func:`validate` runs every rule that applies to the fields present and returns one
:class:`RuleResult` per rule it could judge (a rule with nothing to check is left out, so a
missing field never reads as a failed sum). The worker runs it on every engine's answer and the
review screen on people's edits, so a document is judged by the same rules wherever it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from core.doctypes import DocumentTypeSpec, FieldKind
from core.domain import FieldValue, LineItem, RuleResult
from core.normalise import (
    iban_checksum_ok,
    normalise,
    parse_bic,
    parse_decimal,
    parse_vat_id,
)

# Printed amounts are rounded per line and per tax rate: allow a few cents either way.
SUM_TOLERANCE = Decimal("0.02")
LINE_SUM_TOLERANCE = Decimal("0.05")
OLDEST_PLAUSIBLE_YEARS = 30
FUTURE_PLAUSIBLE_DAYS = 366
LATEST_DUE_DAYS = 3 * 366

Fields = Mapping[str, FieldValue]
Rule = Callable[[Fields, Sequence[LineItem]], RuleResult | None]


def _value(fields: Fields, name: str) -> str | None:
    found = fields.get(name)
    return found.value if found else None


def _amount(fields: Fields, name: str) -> Decimal | None:
    value = _value(fields, name)
    return parse_decimal(value, ".") if value else None


def _date(fields: Fields, name: str) -> date | None:
    value = _value(fields, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def totals_consistent(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    """net + tax = total, within rounding."""
    net, tax, total = (_amount(fields, n) for n in ("net_amount", "tax_amount", "total_amount"))
    if net is None or tax is None or total is None:
        return None
    ok = abs(net + tax - total) <= SUM_TOLERANCE
    message = f"net {net} + tax {tax} = {net + tax}" + (
        f" matches the total {total}" if ok else f", but the total reads {total}"
    )
    return RuleResult(
        "totals_consistent", ok, message, ("net_amount", "tax_amount", "total_amount")
    )


def line_totals_sum(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    """The line totals add up to the net amount (or to the total when no net is printed)."""
    totals = [_amount(item, "line_total") for item in items]
    known = [t for t in totals if t is not None]
    if not known or len(known) < len(totals):
        return None
    target_name = "net_amount" if _amount(fields, "net_amount") is not None else "total_amount"
    target = _amount(fields, target_name)
    if target is None:
        return None
    lines_sum = sum(known, Decimal(0))
    ok = abs(lines_sum - target) <= LINE_SUM_TOLERANCE
    verb = "match" if ok else "do not match"
    message = f"the {len(known)} line totals add up to {lines_sum}, which {verb} {target_name}"
    return RuleResult("line_totals_sum", ok, f"{message} {target}", (target_name,))


def total_covers_parts(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    """The total is not smaller than the tax on it (a swapped pair is a common misread)."""
    tax, total = _amount(fields, "tax_amount"), _amount(fields, "total_amount")
    if tax is None or total is None or total == 0 or (tax < 0) != (total < 0):
        return None
    ok = abs(tax) <= abs(total)
    message = "the tax is part of the total" if ok else f"the tax {tax} exceeds the total {total}"
    return RuleResult("tax_within_total", ok, message, ("tax_amount", "total_amount"))


def due_after_issue(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    issued, due = _date(fields, "issue_date"), _date(fields, "due_date")
    if issued is None or due is None:
        return None
    ok = issued <= due <= issued + timedelta(days=LATEST_DUE_DAYS)
    if due < issued:
        message = f"the due date {due} is before the issue date {issued}"
    elif not ok:
        message = f"the due date {due} is more than three years after the issue date {issued}"
    else:
        message = f"due {due}, issued {issued}"
    return RuleResult("due_after_issue", ok, message, ("issue_date", "due_date"))


def dates_plausible(
    fields: Fields, items: Sequence[LineItem], today: date | None = None
) -> RuleResult | None:
    """The issue date is neither decades old nor far in the future (a misread year)."""
    issued = _date(fields, "issue_date")
    if issued is None:
        return None
    today = today or date.today()
    oldest = today.replace(year=today.year - OLDEST_PLAUSIBLE_YEARS)
    latest = today + timedelta(days=FUTURE_PLAUSIBLE_DAYS)
    ok = oldest <= issued <= latest
    message = f"issued {issued}" if ok else f"the issue date {issued} is not plausible"
    return RuleResult("dates_plausible", ok, message, ("issue_date",))


def iban_valid(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    iban = _value(fields, "iban")
    if not iban:
        return None
    ok = iban_checksum_ok(iban)
    message = "the IBAN checksum is valid" if ok else f"the IBAN {iban} fails its mod-97 check"
    return RuleResult("iban_checksum", ok, message, ("iban",))


def identifiers_well_formed(fields: Fields, items: Sequence[LineItem]) -> RuleResult | None:
    """BIC and VAT IDs have the shape their standards give them."""
    bad = [
        name
        for name, parse in (
            ("bic", parse_bic),
            ("vendor_tax_id", parse_vat_id),
            ("customer_tax_id", parse_vat_id),
        )
        if _value(fields, name) and parse(_value(fields, name) or "") is None
    ]
    if not any(_value(fields, n) for n in ("bic", "vendor_tax_id", "customer_tax_id")):
        return None
    message = "identifiers are well formed" if not bad else f"malformed: {', '.join(bad)}"
    return RuleResult("identifiers_well_formed", not bad, message, tuple(bad))


RULES: tuple[Rule, ...] = (
    totals_consistent,
    line_totals_sum,
    total_covers_parts,
    due_after_issue,
    dates_plausible,
    iban_valid,
    identifiers_well_formed,
)


def values_well_formed(fields: Fields, spec: DocumentTypeSpec) -> RuleResult | None:
    """Every value reads as its kind (a reviewer typing "tomorrow" into a date field)."""
    bad = []
    for name, found in fields.items():
        field_spec = spec.field_index.get(name)
        if found.value is None or field_spec is None or field_spec.kind in _FREE_TEXT:
            continue
        if normalise(field_spec.kind, found.value) is None:
            bad.append(name)
    if not bad:
        return None
    return RuleResult(
        "values_well_formed", False, f"cannot be read as their kind: {', '.join(bad)}", tuple(bad)
    )


_FREE_TEXT = frozenset({FieldKind.TEXT, FieldKind.ADDRESS, FieldKind.IDENTIFIER})


def validate(
    fields: Fields, line_items: Sequence[LineItem], spec: DocumentTypeSpec
) -> tuple[RuleResult, ...]:
    """Every rule that can judge these fields, with its outcome and a readable message."""
    results = [rule(fields, line_items) for rule in RULES]
    results.append(values_well_formed(fields, spec))
    return tuple(result for result in results if result is not None)
