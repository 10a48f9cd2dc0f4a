"""Page images for people: each page rendered once at a screen width and stored as WebP."""

from __future__ import annotations

import io
from dataclasses import dataclass

from core.storage import BlobStore
from worker.engines.base import ProgressSink, ignore_progress
from worker.pipeline.source import RenderSpec, SourceDocument

_QUALITY = 82


@dataclass(frozen=True, slots=True)
class Preview:
    index: int
    key: str
    width: int
    height: int


def render_previews(
    source: SourceDocument, blobs: BlobStore, width: int, on_page: ProgressSink = ignore_progress
) -> list[Preview]:
    previews = []
    for index in range(source.page_count):
        image = source.render(index, RenderSpec(width=width))
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=_QUALITY, method=4)
        stored = blobs.put_bytes(buffer.getvalue())
        previews.append(Preview(index, stored.key, image.width, image.height))
        on_page(index + 1, source.page_count)
    return previews
