"""A loaded model as request threads use it: pages prepared for it, prompts and answers coded.

Request threads (Celery tasks) render and preprocess their pages and tokenize and detokenize
in parallel with the GPU; only the scheduler thread touches the model itself. Fast tokenizers
must not be used from two threads at once, hence the lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image

from core.domain import PageText
from worker.engines.paligemma.decoding import Generation
from worker.engines.paligemma.loading import LoadedModel
from worker.engines.paligemma.prompts import prefix_text
from worker.engines.paligemma.runtime import Runtime
from worker.engines.paligemma.tokens import DecodedText, decode_tokens
from worker.pipeline.source import RenderSpec, SourceDocument

SOURCE = "paligemma"
BLANK_LEVEL = 250  # a page whose darkest pixel is lighter than this has nothing to read


@dataclass(frozen=True)
class PreparedPage:
    """A page at the model's input size: ``key`` identifies its pixels (shared features)."""

    index: int
    key: str
    pixels: torch.Tensor
    blank: bool


@dataclass
class ServedModel:
    """A runtime (scheduler thread only) and the processor access request threads share."""

    runtime: Runtime
    lock: threading.Lock = field(default_factory=threading.Lock)
    prompts: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def loaded(self) -> LoadedModel:
        return self.runtime.loaded

    def prompt_ids(self, prompt: str) -> tuple[int, ...]:
        """``<bos>`` + prompt + ``\\n`` as token ids (cached: a handful of prompts)."""
        with self.lock:
            if prompt not in self.prompts:
                tokenizer = self.loaded.processor.tokenizer
                ids = tokenizer.encode(prefix_text(prompt), add_special_tokens=False)
                self.prompts[prompt] = (self.loaded.ids.bos, *ids)
            return self.prompts[prompt]

    def decode(self, generation: Generation) -> DecodedText:
        with self.lock:
            return decode_tokens(
                self.loaded.processor.tokenizer, generation.token_ids, generation.probs
            )

    def pixels(self, image: Image.Image) -> torch.Tensor:
        processed = self.loaded.processor.image_processor(images=image, return_tensors="pt")
        return processed["pixel_values"][0]  # type: ignore[no-any-return]


def prepare_pages(document: SourceDocument, served: ServedModel) -> list[PreparedPage]:
    """Every page rendered at the model's input size and preprocessed (raises RenderError)."""
    size = served.loaded.image_size
    pages: list[PreparedPage] = []
    for index in range(document.page_count):
        image = document.render(index, RenderSpec(size=(size, size)))
        key = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest() + f"@{size}"
        pages.append(PreparedPage(index, key, served.pixels(image), is_blank(image)))
    return pages


def is_blank(image: Image.Image) -> bool:
    """Whether the page is (nearly) all white: nothing for the model to read."""
    darkest, _ = image.convert("L").getextrema()  # (min, max) for one band
    return bool(darkest >= BLANK_LEVEL)  # type: ignore[operator]


def unread_pages(pages: Sequence[PreparedPage], size: int) -> tuple[PageText, ...]:
    """Pages whose words were not read (the adapter answered with fields only)."""
    return tuple(PageText(page.index, size, size, (), SOURCE) for page in pages)
