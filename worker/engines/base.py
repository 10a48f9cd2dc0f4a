"""The engine interface: one protocol that every way of reading a document implements.

An engine takes a :class:`EngineRequest` (the document, the type to read it as or ``None`` to
detect it, the options) and returns the pages' words and the fields it found. Normalisation,
validation and the review decision are the pipeline's, not the engine's, so every engine's
answer is judged by the same rules (see :mod:`worker.pipeline.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from core.doctypes import DocumentTypeSpec
from core.domain import ExtractionResult, PageText
from worker.pipeline.source import SourceDocument


class EngineError(Exception):
    """The engine cannot read this document; the message is shown as the failure reason."""


class EngineUnavailable(EngineError):
    """The engine cannot run in this process (missing binary, model or weights)."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    ignore_embedded_xml: bool = False
    ocr_languages: str = "eng"
    ocr_dpi: int = 300


# Told (pages done, pages in all) as an engine reads, so people can follow long documents.
ProgressSink = Callable[[int, int], None]


def ignore_progress(done: int, total: int) -> None:
    """The progress sink of callers that show no progress (the CLI, tests)."""


@dataclass(frozen=True)
class EngineRequest:
    document: SourceDocument
    # The type to read the document as, or None to detect it among ``types``.
    spec: DocumentTypeSpec | None
    types: Mapping[str, DocumentTypeSpec]
    options: ReadOptions = field(default_factory=ReadOptions)
    progress: ProgressSink = ignore_progress


@dataclass(frozen=True)
class EngineOutput:
    pages: tuple[PageText, ...]
    result: ExtractionResult


@runtime_checkable
class Engine(Protocol):
    """Reads a document. Instances are built once per process and reused for every task."""

    name: str
    version: str

    def run(self, request: EngineRequest) -> EngineOutput: ...
