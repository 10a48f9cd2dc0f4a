"""Each engine on documents the tests generate: text-layer PDFs, scans, e-invoices, bad input."""

import shutil
from pathlib import Path

import facturx
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from core.doctypes import BUILTIN_TYPES, INVOICE, DocumentTypeSpec
from core.files import JPEG, PDF, PNG
from core.settings import Settings
from tests.unit.builders import INVOICE_EN, image_only_pdf, render_image, write_pdf
from worker.engines.base import EngineOutput, EngineRequest, ReadOptions
from worker.engines.einvoice import EInvoiceError, parse_einvoice
from worker.engines.ocr import TesseractReader
from worker.engines.registry import EngineRegistry
from worker.pipeline.run import run_pipeline
from worker.pipeline.source import SourceDocument

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
 xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>XML-42</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime>
   <udt:DateTimeString format="102">20240312</udt:DateTimeString>
  </ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:SpecifiedTradeProduct><ram:Name>Widget</ram:Name></ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeDelivery>
    <ram:BilledQuantity unitCode="C62">2</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation>
    <ram:LineTotalAmount>100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Xml Seller GmbH</ram:Name>
    <ram:PostalTradeAddress><ram:PostcodeCode>10115</ram:PostcodeCode>
     <ram:LineOne>Weg 1</ram:LineOne>
     <ram:CityName>Berlin</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Xml Buyer AG</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>119.00</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"""


@pytest.fixture(scope="module")
def engines():
    return EngineRegistry(Settings(ocr_languages="eng"))


def _run(
    engines: EngineRegistry,
    name: str,
    path: Path,
    mime: str,
    pages: int = 1,
    ignore_xml: bool = False,
    spec: DocumentTypeSpec | None = INVOICE,
) -> EngineOutput:
    source = SourceDocument(path, mime, pages)
    request = EngineRequest(
        source,
        spec,
        BUILTIN_TYPES,
        ReadOptions(ignore_embedded_xml=ignore_xml, ocr_languages="eng", ocr_dpi=200),
    )
    return run_pipeline(request, engines.get(name))


def _value(output: EngineOutput, name: str) -> str | None:
    return output.result.fields[name].value


def test_textlayer_reads_words_in_reading_order(engines, tmp_path):
    output = _run(engines, "textlayer", write_pdf(tmp_path / "a.pdf", [INVOICE_EN]), PDF)
    words = [w.text for w in output.pages[0].words]
    assert words[:3] == ["Northwind", "Traders", "Ltd"]
    assert _value(output, "invoice_number") == "NW-2024-0117"
    assert _value(output, "total_amount") == "1512.00"
    assert output.result.fields["total_amount"].source == "textlayer"


def test_validation_runs_on_the_engines_answer(engines, tmp_path):
    output = _run(engines, "textlayer", write_pdf(tmp_path / "a.pdf", [INVOICE_EN]), PDF)
    rules = {rule.rule: rule for rule in output.result.validation}
    assert rules["totals_consistent"].ok and rules["iban_checksum"].ok
    assert not output.result.needs_review


@needs_tesseract
def test_tesseract_reads_a_scan(engines, tmp_path):
    path = tmp_path / "scan.png"
    render_image(INVOICE_EN).save(path)
    output = _run(engines, "tesseract", path, PNG)
    assert output.pages[0].source == "tesseract"
    assert _value(output, "invoice_number") == "NW-2024-0117"
    assert _value(output, "total_amount") == "1512.00"
    assert _value(output, "issue_date") == "2024-03-12"


@needs_tesseract
def test_auto_falls_back_to_ocr_on_an_image_only_pdf(engines, tmp_path):
    path = image_only_pdf(tmp_path / "scan.pdf", render_image(INVOICE_EN))
    output = _run(engines, "auto", path, PDF)
    assert output.pages[0].source in ("tesseract", "tesseract+rapidocr")  # + a second look
    assert _value(output, "total_amount") == "1512.00"


@needs_tesseract
def test_a_scan_fed_upside_down_is_turned(engines, tmp_path):
    path = tmp_path / "rotated.jpg"
    render_image(INVOICE_EN).rotate(180).save(path)
    output = _run(engines, "tesseract", path, JPEG)
    assert _value(output, "invoice_number") == "NW-2024-0117"


@needs_tesseract
def test_the_image_for_a_second_reader_is_turned_as_the_words_were_read():
    page = render_image(INVOICE_EN, scale=2.0).convert("L")
    text, upright = TesseractReader("eng").read_upright(page.rotate(180), 0)
    assert upright.size == page.size  # its own scale: Tesseract's upscaling is undone
    assert upright.tobytes() == page.tobytes()
    assert any(word.text == "NW-2024-0117" for word in text.words)


@needs_tesseract
@pytest.mark.parametrize("kind", ["blank", "logo"])
def test_pages_without_text_give_null_fields_and_a_message(engines, tmp_path, kind):
    image = Image.new("RGB", (1200, 1700), "white")
    if kind == "logo":
        image.paste((20, 60, 160), (400, 300, 800, 700))
    path = tmp_path / f"{kind}.png"
    image.save(path)
    output = _run(engines, "auto", path, PNG)
    assert all(value.value is None for value in output.result.fields.values())
    messages = [r.message for r in output.result.validation if r.rule == "page_read"]
    assert messages and "no text" in messages[0]
    assert output.result.needs_review


def test_einvoice_xml_is_exact_and_can_be_ignored(engines, tmp_path):
    plain = write_pdf(tmp_path / "plain.pdf", [INVOICE_EN]).read_bytes()
    path = tmp_path / "facturx.pdf"
    path.write_bytes(facturx.generate_from_binary(plain, CII.encode(), check_xsd=False))
    output = _run(engines, "auto", path, PDF)
    assert output.result.engine.name == "einvoice"
    assert _value(output, "invoice_number") == "XML-42"
    assert _value(output, "vendor_address") == "Weg 1, 10115 Berlin, DE"
    assert output.result.fields["total_amount"].source == "einvoice_xml"
    assert output.result.fields["total_amount"].confidence == 1.0
    assert output.result.line_items[0]["quantity"].value == "2"
    ignored = _run(engines, "auto", path, PDF, ignore_xml=True)
    assert _value(ignored, "invoice_number") == "NW-2024-0117"


def test_broken_xml_attachment_falls_back_to_the_page(engines, tmp_path):
    writer = PdfWriter(clone_from=PdfReader(write_pdf(tmp_path / "plain.pdf", [INVOICE_EN])))
    writer.add_attachment("factur-x.xml", CII.replace("</rsm:CrossIndustryInvoice>", "").encode())
    path = tmp_path / "broken.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    output = _run(engines, "auto", path, PDF)
    assert output.result.engine.name == "auto"
    assert _value(output, "invoice_number") == "NW-2024-0117"


def test_malformed_xml_is_a_readable_error():
    with pytest.raises(EInvoiceError, match="not well-formed"):
        parse_einvoice(b"<rsm:CrossIndustryInvoice")
    with pytest.raises(EInvoiceError, match="unsupported"):
        parse_einvoice(b"<Invoice/>")


def test_einvoice_engine_on_a_pdf_without_xml_says_so(engines, tmp_path):
    output = _run(engines, "einvoice", write_pdf(tmp_path / "a.pdf", [INVOICE_EN]), PDF)
    assert all(value.value is None for value in output.result.fields.values())
    assert any("no e-invoice XML" in r.message for r in output.result.validation)


def test_multi_page_pdf(engines, tmp_path):
    first = [item for item in INVOICE_EN if item[1] < 300]
    second = [(x, y - 200, text) for x, y, text in INVOICE_EN if y >= 300]
    output = _run(
        engines, "textlayer", write_pdf(tmp_path / "two.pdf", [first, second]), PDF, pages=2
    )
    assert output.result.fields["invoice_number"].page == 1
    assert output.result.fields["total_amount"].page == 2


def test_a_text_layer_engine_given_an_image_does_not_raise(engines, tmp_path):
    path = tmp_path / "scan.png"
    render_image(INVOICE_EN, scale=1.0).save(path)
    output = _run(engines, "textlayer", path, PNG)
    assert output.result.fields["total_amount"].value is None
    assert output.result.needs_review


def test_unknown_type_detection_on_empty_pdf(engines, tmp_path):
    path = write_pdf(tmp_path / "empty.pdf", [()])
    output = _run(engines, "auto", path, PDF, spec=None)
    assert output.result.type_confidence == 0.0
    assert "uncertain_type" in output.result.review_reasons
