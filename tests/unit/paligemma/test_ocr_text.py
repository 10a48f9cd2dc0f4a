"""``ocr`` answers as words with boxes."""

from __future__ import annotations

import pytest

from worker.engines.paligemma.ocr_text import page_text


def test_boxed_segments_give_word_boxes_inside_the_segment_box() -> None:
    text = (
        "<loc0100><loc0200><loc0150><loc0600>Invoice INV-1<loc0300><loc0100><loc0330><loc0300>Total"
    )
    page = page_text(text, 0, 896, lambda spans: 0.5)
    assert [word.text for word in page.words] == ["Invoice", "INV-1", "Total"]
    x0, y0, x1, y1 = page.words[0].bbox
    assert (y0, y1) == pytest.approx((100 / 1024, 150 / 1024), abs=1e-4)
    assert x0 == pytest.approx(200 / 1024, abs=1e-4) and x1 < page.words[1].bbox[0] + 1e-4
    assert page.words[1].bbox[2] == pytest.approx(600 / 1024, abs=1e-4)
    assert page.source == "paligemma" and page.words[0].confidence == 0.5


def test_plain_lines_get_bands_in_reading_order() -> None:
    page = page_text("ACME GmbH\n\nTotal 12.50\n", 2, 448, lambda spans: 1.0)
    assert page.text == "ACME GmbH Total 12.50" and page.index == 2 and page.width == 448
    assert page.words[0].bbox[1] == 0.0 and page.words[2].bbox[1] == 0.5
    assert page.words[0].bbox[2] <= page.words[1].bbox[0]


def test_empty_answer_is_an_empty_page() -> None:
    assert page_text("", 0, 896, lambda spans: 1.0).is_empty
