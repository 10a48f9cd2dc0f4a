"""Validation rules over a document's fields (first cut).

Stand-in with the interface of the CPU-extraction work (``validate(fields, line_items, spec)``):
one :class:`RuleResult` per rule that could judge the fields present, so a missing field never
reads as a failed sum. The review screen re-runs it on every save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from core.doctypes import DocumentTypeSpec, FieldKind
from core.domain import FieldValue, LineItem, RuleResult
from core.normalise import normalise

SUM_TOLERANCE = Decimal("0.02")
_FREE_TEXT = frozenset({FieldKind.TEXT, FieldKind.ADDRESS, FieldKind.IDENTIFIER})

Fields = Mapping[str, FieldValue]


def _amount(fields: Fields, name: str) -> Decimal | None:
    found = fields.get(name)
    if found is None or found.value is None:
        return None
    try:
        return Decimal(found.value)
    except InvalidOperation:
        return None


def totals_consistent(fields: Fields) -> RuleResult | None:
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


def values_well_formed(fields: Fields, spec: DocumentTypeSpec) -> RuleResult | None:
    """Every value reads as its kind."""
    bad = [
        name
        for name, found in fields.items()
        if found.value is not None
        and (kind := spec.field_index.get(name)) is not None
        and kind.kind not in _FREE_TEXT
        and normalise(kind.kind, found.value) is None
    ]
    if not bad:
        return None
    message = f"cannot be read as their kind: {', '.join(bad)}"
    return RuleResult("values_well_formed", False, message, tuple(bad))


def validate(
    fields: Fields, line_items: Sequence[LineItem], spec: DocumentTypeSpec
) -> tuple[RuleResult, ...]:
    """Every rule that can judge these fields, with its outcome and a readable message."""
    results = (totals_consistent(fields), values_well_formed(fields, spec))
    return tuple(result for result in results if result is not None)
