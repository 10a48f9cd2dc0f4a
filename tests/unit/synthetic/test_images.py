"""Image output: it decodes, has the asked resolution, and its boxes follow the scan's warps."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageDraw

from tests.support.images import darkest
from worker.synthetic import generate
from worker.synthetic.scan import Placement


@pytest.mark.parametrize("output", ["png", "jpeg"])
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_images_decode(output, noise):
    for doc_type in ("invoice", "receipt"):
        doc = generate(doc_type, 3, output=output, noise=noise)
        image = Image.open(BytesIO(doc.data))
        image.load()
        assert image.format == ("PNG" if output == "png" else "JPEG")
        assert doc.mime_type == f"image/{output}"
        assert doc.pages == 1


def test_a_clean_render_has_the_asked_resolution():
    doc = generate("invoice", 4, language="de", output="png", dpi=100)  # A4
    assert Image.open(BytesIO(doc.data)).size == (827, 1170)


def test_noise_changes_pixels_not_truth():
    clean = generate("invoice", 8, output="png")
    noisy = generate("invoice", 8, output="png", noise=0.8)
    assert clean.data != noisy.data
    assert clean.fields == noisy.fields and clean.line_items == noisy.line_items
    assert clean.boxes != noisy.boxes  # rotated


def dark_bounds(image: Image.Image, threshold: int = 128) -> tuple[int, int, int, int]:
    mask = image.convert("L").point(lambda value: 255 if value < threshold else 0)
    box = mask.getbbox()
    assert box is not None
    return box


@pytest.mark.parametrize("angle", [-2.0, -0.7, 1.3, 2.0])
def test_placement_follows_pil_rotation_and_padding(angle):
    page = Image.new("RGB", (400, 600), "white")
    square = (0.6, 0.2, 0.8, 0.3)
    ImageDraw.Draw(page).rectangle((240, 120, 320, 180), fill="black")
    padded = Image.new("RGB", (480, 640), "white")
    padded.paste(page, (40, 20))
    rotated = padded.rotate(
        angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor="white"
    )
    placement = Placement((400, 600), (40, 20), padded.size, angle, rotated.size)
    x0, y0, x1, y1 = placement.box(square)
    width, height = rotated.size
    found = dark_bounds(rotated)
    expected = (x0 * width, y0 * height, x1 * width, y1 * height)
    assert all(abs(a - b) <= 2.5 for a, b in zip(found, expected, strict=True)), (found, expected)


@pytest.mark.parametrize("doc_type", ["invoice", "receipt"])
def test_boxes_cover_ink_after_rotation(doc_type):
    """Every value's box on a noisy, rotated scan still has dark ink inside it."""
    for seed in range(4):
        # Receipts are narrow: at 100 dpi their small print blurs to grey.
        dpi = 100 if doc_type == "invoice" else 150
        doc = generate(doc_type, seed, output="png", noise=1.0, dpi=dpi)
        image = Image.open(BytesIO(doc.data)).convert("L")
        width, height = image.size
        for name, (_, (x0, y0, x1, y1)) in doc.boxes.items():
            crop = image.crop(
                (int(x0 * width), int(y0 * height), int(x1 * width) + 1, int(y1 * height) + 1)
            )
            assert darkest(crop) < 128, (seed, name)
