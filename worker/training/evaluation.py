"""Evaluating adapters the way they will be used: through the serving engine, on whole documents.

The candidate and the type's active adapter read the same held-out documents with the
PaliGemma engine (rendering, batching, decoding and answer parsing exactly as a GPU worker
does), and their fields are scored with the acceptance scorer's rules (:mod:`core.scoring`).
The candidate also reads a sample of its own training documents: a training score far above
the held-out score means it learned the examples rather than the task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.doctypes import AdapterRef, DocumentTypeSpec
from core.scoring import Score, score_document
from worker.engines.base import EngineError, EngineRequest
from worker.engines.paligemma.engine import PaliGemmaEngine
from worker.pipeline.source import SourceDocument
from worker.training.dataset import EvalDocument

log = logging.getLogger(__name__)
ACCURACY = "all_field_accuracy"


@dataclass(frozen=True)
class Evaluation:
    candidate: dict[str, Any]  # Score.to_json() on the held-out documents
    active: dict[str, Any] | None  # the same for the active adapter (None: no active one)
    active_key: str | None
    train_sample: dict[str, Any]  # the candidate on some of its training documents

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "active": self.active,
            "active_adapter": self.active_key,
            "train_sample": self.train_sample,
        }


def score_adapter(
    engine: PaliGemmaEngine,
    spec: DocumentTypeSpec,
    adapter: AdapterRef,
    documents: Sequence[EvalDocument],
    concurrency: int = 8,
) -> Score:
    """Read ``documents`` with ``adapter`` and score their fields against the truth."""
    with_adapter = replace(spec, adapter=adapter)

    def read(document: EvalDocument) -> dict[str, Any]:
        source = SourceDocument(
            Path(document.path), document.mime_type, document.page_count, name=document.name
        )
        request = EngineRequest(source, with_adapter, {spec.name: with_adapter})
        try:
            output = engine.run(request)
        except EngineError as error:  # scored as nothing read, like a failed document
            log.warning("%s could not be read with %s: %s", document.name, adapter.key, error)
            return {}
        return {name: value.value for name, value in output.result.fields.items()}

    # Threads: the engine batches the pages of documents read at the same time.
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        predictions = list(pool.map(read, documents))
    score = Score()
    for document, predicted in zip(documents, predictions, strict=True):
        score_document(score, document.name, document.truth, predicted)
    return score


def evaluate(
    engine: PaliGemmaEngine,
    spec: DocumentTypeSpec,
    candidate: AdapterRef,
    active: AdapterRef | None,
    *,
    held_out: Sequence[EvalDocument],
    train_sample: Sequence[EvalDocument],
    progress: Callable[[str], None] = lambda _: None,
) -> Evaluation:
    progress("the new adapter reads the held-out documents")
    candidate_score = score_adapter(engine, spec, candidate, held_out).to_json()
    active_score = None
    if active is not None and held_out:
        progress(f"the active adapter {active.key} reads the same documents")
        active_score = score_adapter(engine, spec, active, held_out).to_json()
    progress("the new adapter reads some of its training documents")
    train_score = score_adapter(engine, spec, candidate, train_sample).to_json()
    return Evaluation(candidate_score, active_score, active.key if active else None, train_score)


def should_promote(auto_promote: bool, evaluation: Evaluation) -> tuple[bool, str]:
    """Whether the candidate replaces the active adapter, and why (or why not)."""
    if not auto_promote:
        return False, "auto-promote is off for this type"
    new = evaluation.candidate.get(ACCURACY)
    if new is None:
        return False, "no held-out documents were scored, so nothing shows it is better"
    if evaluation.active_key is None:
        if new > 0:
            return True, f"no adapter was active; the new one scores {new:.1%}"
        return False, "the new adapter got no field right on the held-out documents"
    old = (evaluation.active or {}).get(ACCURACY)
    if old is None or new > old:
        return True, f"it beats {evaluation.active_key}: {new:.1%} against {_percent(old)}"
    return False, f"it does not beat {evaluation.active_key}: {new:.1%} against {old:.1%}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
