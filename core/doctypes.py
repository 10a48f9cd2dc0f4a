"""Document types: which fields a type has, of what kind, and how they are read.

The built-in ``invoice`` and ``receipt`` specs follow the export format (shared DESIGN §6).
An admin can add types or edit these in the database; :class:`DocumentTypeSpec` is the typed,
immutable view of such a row that the pipeline works on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    TEXT = "text"
    ADDRESS = "address"
    IDENTIFIER = "identifier"
    DATE = "date"
    AMOUNT = "amount"
    CURRENCY = "currency"
    QUANTITY = "quantity"
    PERCENT = "percent"
    IBAN = "iban"
    BIC = "bic"
    VAT_ID = "vat_id"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "required": self.required,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldSpec:
        return cls(
            name=str(data["name"]),
            kind=FieldKind(data.get("kind", FieldKind.TEXT)),
            required=bool(data.get("required", False)),
            label=str(data.get("label") or ""),
        )


KEY_FIELDS = ("invoice_number", "issue_date", "total_amount", "currency", "vendor_name")


@dataclass(frozen=True)
class DocumentTypeSpec:
    """What the pipeline needs to know about a document type."""

    name: str
    fields: tuple[FieldSpec, ...]
    line_item_fields: tuple[FieldSpec, ...] = ()
    engine: str = "auto"
    prompt: str = ""
    review_threshold: float = 0.6
    use_embedded_xml: bool = True
    base_model: str = ""
    adapter: AdapterRef | None = None
    field_index: Mapping[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_index", {spec.name: spec for spec in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def line_item_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.line_item_fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.required)


@dataclass(frozen=True, slots=True)
class AdapterRef:
    """The LoRA adapter a type's extraction runs with: identity plus where its files are."""

    document_type: str
    version: int
    path: str
    base_model: str

    @property
    def key(self) -> str:
        return f"{self.document_type}@v{self.version}"


def _specs(
    items: Iterable[tuple[str, FieldKind] | tuple[str, FieldKind, bool]],
) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(item[0], item[1], *item[2:]) for item in items)


K = FieldKind
INVOICE_FIELDS = _specs(
    [
        ("invoice_number", K.IDENTIFIER, True),
        ("issue_date", K.DATE, True),
        ("due_date", K.DATE),
        ("vendor_name", K.TEXT, True),
        ("vendor_address", K.ADDRESS),
        ("vendor_tax_id", K.VAT_ID),
        ("customer_name", K.TEXT),
        ("customer_address", K.ADDRESS),
        ("customer_tax_id", K.VAT_ID),
        ("currency", K.CURRENCY, True),
        ("net_amount", K.AMOUNT),
        ("tax_amount", K.AMOUNT),
        ("total_amount", K.AMOUNT, True),
        ("amount_due", K.AMOUNT),
        ("purchase_order", K.IDENTIFIER),
        ("payment_terms", K.TEXT),
        ("iban", K.IBAN),
        ("bic", K.BIC),
    ]
)
LINE_ITEM_FIELDS = _specs(
    [
        ("description", K.TEXT),
        ("code", K.IDENTIFIER),
        ("quantity", K.QUANTITY),
        ("unit", K.TEXT),
        ("unit_price", K.AMOUNT),
        ("line_total", K.AMOUNT),
        ("tax_rate", K.PERCENT),
    ]
)
RECEIPT_FIELDS = _specs(
    [
        ("vendor_name", K.TEXT, True),
        ("vendor_address", K.ADDRESS),
        ("issue_date", K.DATE, True),
        ("total_amount", K.AMOUNT, True),
        ("tax_amount", K.AMOUNT),
        ("currency", K.CURRENCY),
    ]
)

INVOICE_PROMPT = "extract invoice"
RECEIPT_PROMPT = "extract receipt"

INVOICE = DocumentTypeSpec(
    name="invoice",
    fields=INVOICE_FIELDS,
    line_item_fields=LINE_ITEM_FIELDS,
    prompt=INVOICE_PROMPT,
)
RECEIPT = DocumentTypeSpec(name="receipt", fields=RECEIPT_FIELDS, prompt=RECEIPT_PROMPT)

BUILTIN_TYPES: Mapping[str, DocumentTypeSpec] = {INVOICE.name: INVOICE, RECEIPT.name: RECEIPT}
