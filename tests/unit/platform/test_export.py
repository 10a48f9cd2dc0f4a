import jsonschema

from core.doctypes import INVOICE, RECEIPT
from core.domain import EngineInfo, ExtractionResult, FieldValue
from core.export import SCHEMA_ID, DocumentMeta, export_document, export_schema

META = DocumentMeta(
    id="d1", filename="a.pdf", sha256="0" * 64, pages=1, document_type="invoice", status="extracted"
)


def test_every_field_of_the_type_is_exported_and_missing_ones_are_null() -> None:
    result = ExtractionResult(
        document_type="invoice",
        fields={
            "invoice_number": FieldValue("INV-1", 0.9, 1, (0.1, 0.1, 0.2, 0.2), "textlayer"),
            "total_amount": FieldValue("12.50", 0.8, 1, None, "textlayer"),
        },
        line_items=({"description": FieldValue("Widget", 0.7)},),
        engine=EngineInfo("auto", "1"),
    )
    export = export_document(META, result, INVOICE)
    assert export["schema"] == SCHEMA_ID
    assert list(export["fields"]) == list(INVOICE.field_names)
    assert export["fields"]["due_date"]["value"] is None
    assert export["line_items"][0]["quantity"]["value"] is None
    jsonschema.validate(export, export_schema(INVOICE))


def test_the_schema_rejects_values_in_the_wrong_format() -> None:
    result = ExtractionResult(
        document_type="receipt", fields={"issue_date": FieldValue("15.03.2024", 0.9)}
    )
    export = export_document(META, result, RECEIPT)
    errors = list(jsonschema.Draft202012Validator(export_schema(RECEIPT)).iter_errors(export))
    assert any("15.03.2024" in error.message for error in errors)
