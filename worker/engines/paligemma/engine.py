"""The PaliGemma engine: pages in, page text and fields out, through the shared batcher.

``run`` is called from several Celery threads at once. It renders the document's pages at the
checkpoint's input size and preprocesses them in the caller's thread, hands (page, prompt) rows
to the scheduler, and turns the answers into domain values:

- a type with an adapter: each page is read with the type's extraction prompt under that
  adapter; the JSON answers are parsed and merged (per field, the most confident page wins;
  line items in page order);
- a type without an adapter yet: each page is read with ``ocr`` on the base model and the CPU
  field extractor works on that text;
- no type given: ``ocr`` first, the type is detected on the text, then as above (the pages'
  image features are reused by the extraction pass).

All-white pages are not sent to the model. Failures (a page that cannot be rendered, an
adapter refused, out of memory even alone) raise :class:`EngineError` with a readable reason
for this document only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from core.doctypes import AdapterRef, DocumentTypeSpec
from core.domain import EngineInfo, ExtractionResult, FieldValue, LineItem, PageText
from core.settings import Settings
from worker.engines.base import EngineError, EngineOutput, EngineRequest, ProgressSink
from worker.engines.paligemma.adapter_files import adapter_path
from worker.engines.paligemma.adapters import AdapterCache
from worker.engines.paligemma.answer_format import parse_answer
from worker.engines.paligemma.base_model import describe_base
from worker.engines.paligemma.decoding import DecodeRow, Generation
from worker.engines.paligemma.loading import LoadedModel, load_model
from worker.engines.paligemma.ocr_text import page_text
from worker.engines.paligemma.prompts import OCR_PROMPT, extraction_prompt
from worker.engines.paligemma.runtime import Runtime, RuntimeOptions
from worker.engines.paligemma.scheduler import BatchScheduler
from worker.engines.paligemma.serving import (
    SOURCE,
    PreparedPage,
    ServedModel,
    prepare_pages,
    unread_pages,
)
from worker.engines.paligemma.tokens import DecodedText
from worker.pipeline.fields import detect_type, extract_fields
from worker.pipeline.source import RenderError, SourceDocument

ENGINE_NAME = "paligemma"
ENGINE_VERSION = "1.0"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    model: str
    device: str = "auto"
    quantization: str = ""
    max_batch: int = 16
    batch_wait_s: float = 0.02
    adapter_cache_size: int = 4
    adapter_dir: Path = Path("data/adapters")
    ocr_max_new_tokens: int = 768
    extract_max_new_tokens: int = 512
    ocr_with_adapter: bool = False  # also run ``ocr`` when an adapter extracts (page words)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        return cls(
            model=settings.paligemma_model,
            device=settings.paligemma_device,
            quantization=settings.paligemma_quantization,
            max_batch=settings.paligemma_max_batch,
            batch_wait_s=settings.paligemma_batch_wait_ms / 1000,
            adapter_cache_size=settings.adapter_cache_size,
            adapter_dir=settings.adapter_dir,
        )


@dataclass(frozen=True, slots=True)
class GroupKey:
    """What a batch shares: the base model and the adapter (``None``: base alone)."""

    base: str
    adapter: AdapterRef | None


@dataclass
class PageProgress:
    """Tells the request's sink how many pages are read, across a document's passes.

    A document may be read twice (``ocr`` to detect its type, then its adapter): the sink still
    counts pages, ``steps // passes`` of them, so it only ever moves forward.
    """

    sink: ProgressSink
    pages: int
    passes: int = 1
    steps: int = 0
    told: int = -1

    def advance(self, steps: int = 1) -> None:
        self.steps += steps
        self._tell(min(self.pages, self.steps // max(1, self.passes)))

    def finish(self) -> None:
        self._tell(self.pages)

    def _tell(self, done: int) -> None:
        if done != self.told:
            self.told = done
            self.sink(done, self.pages)


class PaliGemmaEngine:
    """Reads documents with PaliGemma; one instance per worker process, shared by threads."""

    name = ENGINE_NAME

    def __init__(
        self, config: EngineConfig, loader: Callable[[str], LoadedModel] | None = None
    ) -> None:
        self.config = config
        self._loader = loader or self._load
        self._served: dict[str, ServedModel] = {}
        self._lock = threading.Lock()
        self.scheduler: BatchScheduler[GroupKey, DecodeRow, Generation] = BatchScheduler(
            self._run_batch,
            max_batch=config.max_batch,
            wait_s=config.batch_wait_s,
            sort_key=lambda row: (len(row.prompt_ids), row.max_new_tokens),
        )
        default = self._serve(config.model)
        self.version = f"{ENGINE_VERSION}+{default.runtime.base.fingerprint[6:18]}"

    # -- loading ---------------------------------------------------------------------------

    def _load(self, name: str) -> LoadedModel:
        return load_model(name, device=self.config.device, quantization=self.config.quantization)

    def _serve(self, name: str) -> ServedModel:
        with self._lock:
            if name not in self._served:
                loaded = self._loader(name)
                base = describe_base(loaded.checkpoint.path, name)
                adapters = AdapterCache(
                    loaded.model,
                    base,
                    self.config.adapter_cache_size,
                    lambda ref: adapter_path(ref, self.config.adapter_dir),
                )
                runtime = Runtime(loaded, base, adapters, self.config.runtime)
                self._served[name] = ServedModel(runtime)
            return self._served[name]

    def runtime(self, name: str | None = None) -> Runtime:
        return self._serve(name or self.config.model).runtime

    def _run_batch(self, key: GroupKey, rows: Sequence[DecodeRow]) -> list[Generation]:
        return self._served[key.base].runtime.run_batch(key.adapter, rows)

    def close(self) -> None:
        self.scheduler.close()

    # -- reading ---------------------------------------------------------------------------

    def run(self, request: EngineRequest) -> EngineOutput:
        spec, type_confidence, texts = request.spec, 1.0, None
        progress = PageProgress(
            request.progress, request.document.page_count, self._passes(request)
        )
        served = self._serve(self._base_name(spec))
        pages = self.prepare(request.document, served)
        if spec is None:
            texts = self.read_text(served, pages, progress)
            spec, type_confidence = self._detect(texts, request.types)
            if self._base_name(spec) != served.runtime.loaded.name:  # a type's own checkpoint
                served = self._serve(self._base_name(spec))
                pages, texts = self.prepare(request.document, served), None
        texts, fields, items = self._read_fields(served, pages, spec, texts, progress)
        progress.finish()
        result = ExtractionResult(
            document_type=spec.name,
            fields=fields,
            line_items=items,
            engine=EngineInfo(self.name, self.version, spec.adapter.key if spec.adapter else None),
            type_confidence=type_confidence,
        )
        return EngineOutput(pages=texts, result=result)

    def _read_fields(
        self,
        served: ServedModel,
        pages: Sequence[PreparedPage],
        spec: DocumentTypeSpec,
        texts: tuple[PageText, ...] | None,
        progress: PageProgress,
    ) -> tuple[tuple[PageText, ...], Mapping[str, FieldValue], tuple[LineItem, ...]]:
        """With an adapter: its JSON answers; without: ``ocr`` text and the CPU extractor."""
        if spec.adapter is None:
            texts = texts or self.read_text(served, pages, progress)
            fields, items = extract_fields(texts, spec)
            return texts, fields, items
        fields, items = self.extract(served, pages, spec, spec.adapter, progress)
        if texts is None:
            size = served.loaded.image_size
            texts = (
                self.read_text(served, pages, progress)
                if self.config.ocr_with_adapter
                else unread_pages(pages, size)
            )
        return texts, fields, items

    def _passes(self, request: EngineRequest) -> int:
        """How many times each page is read: ``ocr`` and/or the adapter's prompt."""
        if request.spec is None:
            return 2 if any(t.adapter for t in request.types.values()) else 1
        return 2 if request.spec.adapter and self.config.ocr_with_adapter else 1

    def _base_name(self, spec: DocumentTypeSpec | None) -> str:
        return (spec.base_model if spec and spec.base_model else None) or self.config.model

    @staticmethod
    def _detect(
        texts: Sequence[PageText], types: Mapping[str, DocumentTypeSpec]
    ) -> tuple[DocumentTypeSpec, float]:
        if not types:
            raise EngineError("no document types to choose from")
        name, confidence = detect_type(texts, types)
        if name is None or name not in types:
            return next(iter(types.values())), 0.0
        return types[name], confidence

    def prepare(self, document: SourceDocument, served: ServedModel) -> list[PreparedPage]:
        """Every page rendered at the model's input size and preprocessed."""
        try:
            return prepare_pages(document, served)
        except RenderError as error:
            raise EngineError(str(error)) from None

    def read_text(
        self,
        served: ServedModel,
        pages: Sequence[PreparedPage],
        progress: PageProgress | None = None,
    ) -> tuple[PageText, ...]:
        """Each page's words from an ``ocr`` answer of the base model."""
        size = served.loaded.image_size
        limit = self.config.ocr_max_new_tokens
        answers = self.read(served, pages, OCR_PROMPT, None, limit, progress=progress)
        return tuple(
            page_text(answer.text, page.index, size, answer.confidence)
            if answer
            else PageText(page.index, size, size, (), SOURCE)
            for page, answer in zip(pages, answers, strict=True)
        )

    def extract(
        self,
        served: ServedModel,
        pages: Sequence[PreparedPage],
        spec: DocumentTypeSpec,
        adapter: AdapterRef,
        progress: PageProgress | None = None,
    ) -> tuple[dict[str, FieldValue], tuple[LineItem, ...]]:
        """The type's fields read by its adapter on every page, merged."""
        limit = self.config.extract_max_new_tokens
        answers = self.read(
            served, pages, extraction_prompt(spec), adapter, limit, progress=progress
        )
        per_page = []
        for page, answer in zip(pages, answers, strict=True):
            if answer is None:
                continue
            parsed = parse_answer(answer.text, spec)
            if parsed.problems:
                log.info("page %d answer: %s", page.index + 1, "; ".join(parsed.problems))
            per_page.append(parsed.to_fields(answer.confidence, page.index + 1, SOURCE))
        return merge_pages(per_page)

    def read(
        self,
        served: ServedModel,
        pages: Sequence[PreparedPage],
        prompt: str,
        adapter: AdapterRef | None,
        max_new_tokens: int,
        *,
        progress: PageProgress | None = None,
    ) -> list[DecodedText | None]:
        """Each page's answer to ``prompt`` (``None`` for blank pages)."""
        prompt_ids = served.prompt_ids(prompt)
        readable = [page for page in pages if not page.blank]
        rows = [DecodeRow(p.key, p.pixels, prompt_ids, max_new_tokens) for p in readable]
        futures = self.scheduler.submit(GroupKey(served.runtime.loaded.name, adapter), rows)
        if progress is not None:
            progress.advance(len(pages) - len(readable))  # blank pages need no reading
            for _ in as_completed(futures):
                progress.advance()
        generations = [future.result() for future in futures]
        decoded = {
            page.index: served.decode(g) for page, g in zip(readable, generations, strict=True)
        }
        for page, generation in zip(readable, generations, strict=True):
            if not generation.finished:
                log.info("page %d: answer cut at %d tokens", page.index + 1, max_new_tokens)
        return [decoded.get(page.index) for page in pages]


def merge_pages(
    per_page: Sequence[tuple[Mapping[str, FieldValue], tuple[LineItem, ...]]],
) -> tuple[dict[str, FieldValue], tuple[LineItem, ...]]:
    """Per field the most confident page's value; line items in page order."""
    best: dict[str, FieldValue] = {}
    items: list[LineItem] = []
    for fields, page_items in per_page:
        for name, value in fields.items():
            current = best.get(name)
            if value.value is not None and (
                current is None or value.confidence > current.confidence
            ):
                best[name] = value
        items.extend(page_items)
    return best, tuple(items)


def build_engine(settings: Settings) -> PaliGemmaEngine:
    """The registry's factory: loads the configured model (or raises EngineUnavailable)."""
    return PaliGemmaEngine(EngineConfig.from_settings(settings))
