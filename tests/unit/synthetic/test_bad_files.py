"""Each builder in tests/support/bad_files.py is bad in exactly the way it says."""

from __future__ import annotations

import time
import zipfile
from io import BytesIO

import facturx
import pypdf
import pypdfium2 as pdfium
import pytest
from lxml import etree
from PIL import Image

from core.files import sniff_mime
from tests.support import bad_files
from tests.support.images import darkest


def page_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "".join(str(page.get_textpage().get_text_range()) for page in pdf)
    finally:
        pdf.close()


def render(data: bytes, scale: float = 0.5) -> Image.Image:
    pdf = pdfium.PdfDocument(data)
    try:
        image: Image.Image = pdf[0].render(scale=scale).to_pil()
        return image.convert("L")
    finally:
        pdf.close()


def test_encrypted_pdf_needs_its_password():
    data = bad_files.encrypted_pdf("secret")
    with pytest.raises(pdfium.PdfiumError, match="password"):
        pdfium.PdfDocument(data)
    opened = pdfium.PdfDocument(data, password="secret")
    assert len(opened) == 1
    assert pypdf.PdfReader(BytesIO(data)).is_encrypted


def test_truncated_pdf_cannot_be_opened():
    data = bad_files.truncated_pdf()
    assert sniff_mime(data) == "application/pdf"
    assert b"%%EOF" not in data and b"startxref" not in data
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(data)


def test_page_count_bomb_is_small_quick_and_has_thousands_of_pages():
    started = time.perf_counter()
    data = bad_files.page_count_bomb(5000)
    assert time.perf_counter() - started < 1.0
    assert len(data) < 1_000_000
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 5000
    assert pdf[4999].get_size() == (72, 72)


def test_decompression_bomb_png_declares_gigapixels_in_kilobytes():
    data = bad_files.decompression_bomb_png()
    assert sniff_mime(data) == "image/png"
    assert len(data) < 50_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(BytesIO(data))


def test_huge_page_pdf_has_a_five_metre_page():
    pdf = pdfium.PdfDocument(bad_files.huge_page_pdf())
    assert len(pdf) == 1
    assert pdf[0].get_size() == (14400, 14400)


def test_empty_file_is_empty():
    assert bad_files.empty_file() == b""
    assert sniff_mime(bad_files.empty_file()) is None


def test_zip_archive_is_a_zip_not_a_document():
    data = bad_files.zip_archive()
    assert sniff_mime(data) is None
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.namelist() == ["invoice.pdf"]


def test_windows_executable_has_mz_and_pe_headers():
    data = bad_files.windows_executable()
    assert sniff_mime(data) is None
    assert data.startswith(b"MZ")
    pe_offset = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe_offset : pe_offset + 4] == b"PE\0\0"


def test_image_only_pdf_has_a_picture_but_no_text():
    data = bad_files.image_only_pdf()
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 1
    kinds = {obj.type for obj in pdf[0].get_objects()}
    assert kinds == {pdfium.raw.FPDF_PAGEOBJ_IMAGE}
    assert page_text(data).strip() == ""


def test_broken_facturx_attachment_is_there_but_not_xml():
    data = bad_files.broken_facturx_pdf()
    attachments = pypdf.PdfReader(BytesIO(data)).attachments
    assert list(attachments) == ["factur-x.xml"]
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(attachments["factur-x.xml"][0])
    assert facturx.get_xml_from_pdf(data, check_xsd=False) == (False, False)
    assert page_text(data).strip()  # the page itself is readable


def test_blank_pages_are_white():
    assert render(bad_files.blank_page_pdf()).getextrema() == (255, 255)
    assert page_text(bad_files.blank_page_pdf()) == ""
    assert Image.open(BytesIO(bad_files.blank_page_png())).convert("L").getextrema() == (255, 255)


def test_logo_only_page_has_ink_but_no_text():
    data = bad_files.logo_only_pdf()
    assert page_text(data) == ""
    assert darkest(render(data)) < 128


def test_rotated_scan_lies_on_its_side():
    image = Image.open(BytesIO(bad_files.rotated_scan(90)))
    width, height = image.size
    assert width > height  # a portrait page turned by 90 degrees
    assert darkest(image) < 128
