"""Laid-out pages to a PDF with a real text layer (reportlab).

``invariant`` mode leaves out the creation date and random document id, so the same pages
always give the same bytes: documents are reproducible from their seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from worker.synthetic.fonts import vertical_metrics
from worker.synthetic.page import Page, Shape, TextRun


def render_pdf(pages: Sequence[Page], title: str) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(pages[0].width, pages[0].height), invariant=True)
    canvas.setTitle(title)
    canvas.setCreator("FormLens synthetic document generator")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        for shape in page.shapes:
            draw_shape(canvas, shape, page.height)
        for run in page.runs:
            draw_run(canvas, run, page.height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_run(canvas: Canvas, run: TextRun, page_height: float) -> None:
    ascent, _ = vertical_metrics(run.font)
    canvas.setFillColorRGB(*run.color)
    canvas.setFont(run.font, run.size)
    canvas.drawString(run.x, page_height - run.y - ascent * run.size, run.text)


def draw_shape(canvas: Canvas, shape: Shape, page_height: float) -> None:
    if shape.fill is not None:
        canvas.setFillColorRGB(*shape.fill)
    if shape.stroke is not None:
        canvas.setStrokeColorRGB(*shape.stroke)
    canvas.setLineWidth(shape.width)
    top, bottom = page_height - shape.y0, page_height - shape.y1
    stroke, fill = int(shape.stroke is not None), int(shape.fill is not None)
    if shape.kind == "line":
        canvas.line(shape.x0, top, shape.x1, bottom)
    elif shape.kind == "ellipse":
        canvas.ellipse(shape.x0, bottom, shape.x1, top, stroke=stroke, fill=fill)
    else:
        canvas.rect(shape.x0, bottom, shape.x1 - shape.x0, top - bottom, stroke=stroke, fill=fill)
