"""From PDF to a raster image that looks scanned or photographed, with boxes that follow.

The page is rendered by pdfium from the very PDF whose text layer the boxes were measured on,
then degraded: a slight rotation, lens blur, uneven lighting, paper tint, sensor noise, dust
specks and JPEG artefacts, each scaled by ``noise`` (0 = a clean render, 1 = a poor scan).
A receipt with noise lies on a table, so its page fills only part of the picture. Every
geometric step is also applied to the ground-truth boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from core.domain import BBox


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the page landed in the final image: padding, then rotation about the centre."""

    page_size: tuple[int, int]
    offset: tuple[int, int] = (0, 0)
    padded_size: tuple[int, int] = (0, 0)
    angle: float = 0.0
    final_size: tuple[int, int] = (0, 0)

    def box(self, box: BBox) -> BBox:
        """A page-normalised box as a normalised box of the final image."""
        (pw, ph), (ox, oy) = self.page_size, self.offset
        corners = [(x * pw + ox, y * ph + oy) for x in (box[0], box[2]) for y in (box[1], box[3])]
        moved = [self.rotate(x, y) for x, y in corners]
        fw, fh = self.final_size
        xs, ys = [x / fw for x, _ in moved], [y / fh for _, y in moved]
        return (
            round(max(0.0, min(xs)), 5),
            round(max(0.0, min(ys)), 5),
            round(min(1.0, max(xs)), 5),
            round(min(1.0, max(ys)), 5),
        )

    def rotate(self, x: float, y: float) -> tuple[float, float]:
        # PIL's rotate(expand=True) turns counter-clockwise about the centre and keeps the
        # centre in the centre of the larger canvas.
        (w, h), (fw, fh) = self.padded_size, self.final_size
        theta = math.radians(self.angle)
        dx, dy = x - w / 2, y - h / 2
        return (
            fw / 2 + dx * math.cos(theta) + dy * math.sin(theta),
            fh / 2 - dx * math.sin(theta) + dy * math.cos(theta),
        )


def render_page(pdf: bytes, dpi: int, index: int = 0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[index].render(scale=dpi / 72).to_pil()
        return image.convert("RGB")
    finally:
        document.close()


def scan(
    page: Image.Image, noise: float, seed: int, *, on_table: bool = False
) -> tuple[Image.Image, Placement]:
    """The degraded picture of ``page`` and where the page's pixels went."""
    if noise <= 0:
        return page, Placement(page.size, padded_size=page.size, final_size=page.size)
    rng = np.random.default_rng(seed)
    grey = rng.random() < 0.5  # many scanners deliver grey; it is also three times cheaper
    image, offset = lay_on_table(page, rng) if on_table else (page, (0, 0))
    padded = image.size
    angle = float(rng.uniform(-2.0, 2.0) * noise)
    fill: tuple[int, ...] = table_colour(rng) if on_table else (250, 250, 248)
    if grey:
        image, fill = image.convert("L"), (sum(fill) // 3,)
    # Bilinear is plenty for a turn of a degree or two, and three times faster than bicubic.
    image = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
    # A box blur approximates the lens blur of a scanner at a third of a Gaussian's cost.
    image = image.filter(ImageFilter.BoxBlur(0.2 + float(rng.uniform(0.2, 0.8)) * noise))
    # Pillow's C operations on 8-bit images: several times faster than float arrays.
    image = light_unevenly(image, rng, noise)
    image = add_grain(image, rng, noise)
    result = add_specks(image, rng, noise)
    placement = Placement(page.size, offset, padded, angle, result.size)
    return result, placement


def table_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    base = int(rng.integers(60, 140))
    return (base + 12, base + 4, base - 8)


def lay_on_table(
    page: Image.Image, rng: np.random.Generator
) -> tuple[Image.Image, tuple[int, int]]:
    width, height = page.size
    pad_x = int(width * rng.uniform(0.08, 0.3))
    pad_y = int(height * rng.uniform(0.03, 0.1))
    table = Image.new("RGB", (width + 2 * pad_x, height + 2 * pad_y), table_colour(rng))
    table.paste(page, (pad_x, pad_y))
    return table, (pad_x, pad_y)


def light_unevenly(image: Image.Image, rng: np.random.Generator, noise: float) -> Image.Image:
    """Multiply by a smooth random field: a lamp off to one side, a shadow, a paper tint."""
    coarse = rng.uniform(255 * (1 - 0.35 * noise), 255, size=(3, 4)).astype(np.uint8)
    light = Image.fromarray(coarse, mode="L").resize(image.size, Image.Resampling.BICUBIC)
    if image.mode == "RGB":
        tints = (1.0, 1 - 0.02 * noise, 1 - 0.06 * noise)
        light = Image.merge("RGB", [light.point(lambda v, t=t: round(v * t)) for t in tints])
    return ImageChops.multiply(image, light)


def add_grain(image: Image.Image, rng: np.random.Generator, noise: float) -> Image.Image:
    """Sensor noise, drawn at half resolution: as grainy, and a quarter of the random draws."""
    width, height = image.size
    half = rng.normal(128, 7.0 * noise, size=((height + 1) // 2, (width + 1) // 2))
    grain = Image.fromarray(np.clip(half, 0, 255).astype(np.uint8), mode="L")
    grain = grain.resize((width, height), Image.Resampling.NEAREST)
    if image.mode == "RGB":
        grain = Image.merge("RGB", [grain] * 3)
    return ImageChops.add(image, grain, offset=-128)


def add_specks(image: Image.Image, rng: np.random.Generator, noise: float) -> Image.Image:
    """Dust and toner dots: a few hundred dark pixel pairs per page at full noise."""
    width, height = image.size
    count = int(noise * width * height * 0.0002)
    xs = rng.integers(0, width, size=count)
    ys = rng.integers(0, height - 1, size=count)
    shades = rng.integers(20, 120, size=count)
    draw = ImageDraw.Draw(image)
    for x, y, shade in zip(xs.tolist(), ys.tolist(), shades.tolist(), strict=True):
        colour = shade if image.mode == "L" else (shade, shade, shade)
        draw.line((x, y, x, y + 1), fill=colour)
    return image


def encode(image: Image.Image, fmt: str, noise: float) -> bytes:
    """PNG or JPEG bytes; noisy PNGs went through a JPEG once, as scans mailed around do."""
    buffer = BytesIO()
    if fmt == "jpeg":
        image.save(buffer, format="JPEG", quality=round(92 - 45 * noise))
        return buffer.getvalue()
    if noise > 0.3:
        roundtrip = BytesIO()
        image.save(roundtrip, format="JPEG", quality=round(95 - 40 * noise))
        image = Image.open(BytesIO(roundtrip.getvalue()))
    # Noise does not compress; a low level saves most of the time and little of the size.
    image.save(buffer, format="PNG", compress_level=1 if noise > 0 else 6)
    return buffer.getvalue()
