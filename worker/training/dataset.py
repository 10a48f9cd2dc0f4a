"""The training set of one job: examples per page, an evaluation set, and the manifest.

An example is one page: its image at the model's input size (stored as a PNG in the job's
folder), and the answer the adapter must write for it, :func:`format_target` of the reviewed
values found on that page. The prefix (``<image>`` tokens, the type's prompt) is the same for
every example of a type and is added by the trainer. The evaluation set is split off by
document, never by page, so no page of an evaluated document was seen in training.

The manifest (``manifest.json``) freezes the data: a job resumed after a worker restart trains
on exactly the examples it started with, even if people approved more documents meanwhile.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.doctypes import DocumentTypeSpec
from core.domain import FieldValue, LineItem
from worker.engines.paligemma.answer_format import format_target, select_page
from worker.pipeline.source import RenderSpec, SourceDocument

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
TRAIN_SAMPLE = 8  # training documents the new adapter reads back at evaluation
MAX_LISTED = 100  # held-out documents named in the job's statistics


@dataclass(frozen=True)
class LabelledDocument:
    """A document and the values it is known to hold (reviewed, or synthetic ground truth)."""

    name: str  # "document:<uuid>" or "synthetic:<type>:<seed>"
    path: Path
    mime_type: str
    page_count: int
    fields: Mapping[str, FieldValue]
    line_items: tuple[LineItem, ...] = ()

    def source(self) -> SourceDocument:
        return SourceDocument(self.path, self.mime_type, self.page_count, name=self.name)


@dataclass(frozen=True)
class Example:
    image: str  # PNG path relative to the job's folder
    target: str
    origin: str  # "<document name>#p<page>"


@dataclass(frozen=True)
class EvalDocument:
    """A held-out document, read as the worker reads it: its file, not pre-rendered pages."""

    name: str
    path: str
    mime_type: str
    page_count: int
    truth: dict[str, str | None]


@dataclass(frozen=True)
class Dataset:
    prompt: str
    image_size: int
    train: tuple[Example, ...]
    evaluation: tuple[EvalDocument, ...]
    train_sample: tuple[EvalDocument, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "prompt": self.prompt,
            "image_size": self.image_size,
            "train": [asdict(example) for example in self.train],
            "evaluation": [asdict(document) for document in self.evaluation],
            "train_sample": [asdict(document) for document in self.train_sample],
            "stats": self.stats,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Dataset:
        if data.get("version") != MANIFEST_VERSION:
            raise ValueError(f"manifest version {data.get('version')!r} is not understood")
        return cls(
            prompt=str(data["prompt"]),
            image_size=int(data["image_size"]),
            train=tuple(Example(**item) for item in data["train"]),
            evaluation=tuple(EvalDocument(**item) for item in data["evaluation"]),
            train_sample=tuple(EvalDocument(**item) for item in data["train_sample"]),
            stats=dict(data.get("stats") or {}),
        )


def page_targets(document: LabelledDocument, spec: DocumentTypeSpec) -> list[str]:
    """The answer for each page of ``document``: the values found on that page.

    A value people typed in without a location has no page; on a one-page document it can
    only be on that page. On longer documents it is left out (an example must not teach the
    model to write a value that is not on the page it sees).
    """
    fields = dict(document.fields)
    if document.page_count == 1:
        fields = {name: _on_first_page(value) for name, value in fields.items()}
    items = list(document.line_items)
    if document.page_count == 1:
        items = [{name: _on_first_page(v) for name, v in item.items()} for item in items]
    targets = []
    for page in range(1, document.page_count + 1):
        on_page, page_items = select_page(fields, items, page)
        targets.append(format_target(on_page, page_items, spec))
    return targets


def _on_first_page(value: FieldValue) -> FieldValue:
    return value if value.page is not None else replace(value, page=1)


def unlocated_values(document: LabelledDocument) -> int:
    """Values left out of every example (no page on a document of several pages)."""
    if document.page_count == 1:
        return 0
    return sum(1 for value in document.fields.values() if value.value and value.page is None)


def split_documents(
    names: Sequence[str], eval_fraction: float, seed: int
) -> tuple[list[str], list[str]]:
    """Documents for training and for evaluation; at least one of each when there are two."""
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a reproducible split, not a secret
    if len(shuffled) < 2 or eval_fraction <= 0:
        return shuffled, []
    held_out = min(len(shuffled) - 1, max(1, round(len(shuffled) * eval_fraction)))
    return shuffled[held_out:], shuffled[:held_out]


def truth_of(document: LabelledDocument) -> dict[str, str | None]:
    """The scored values: every field's reviewed value (null means unlabelled)."""
    return {name: value.value for name, value in document.fields.items()}


def render_examples(
    document: LabelledDocument, spec: DocumentTypeSpec, size: int, workdir: Path, number: int
) -> list[Example]:
    """``document``'s pages at ``size`` x ``size`` as PNG files, with their answers."""
    source = document.source()
    pages = workdir / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    examples = []
    for index, target in enumerate(page_targets(document, spec)):
        image = source.render(index, RenderSpec(size=(size, size)))
        relative = f"pages/{number:06d}-{index:03d}.png"
        image.save(workdir / relative, format="PNG")
        examples.append(Example(relative, target, f"{document.name}#p{index + 1}"))
    return examples


def eval_document(document: LabelledDocument) -> EvalDocument:
    return EvalDocument(
        name=document.name,
        path=str(document.path),
        mime_type=document.mime_type,
        page_count=document.page_count,
        truth=truth_of(document),
    )


@dataclass(frozen=True)
class DatasetPlan:
    """What goes where: reviewed documents split, synthetic ones added to training."""

    train: tuple[LabelledDocument, ...]
    evaluation: tuple[LabelledDocument, ...]
    reviewed: int
    synthetic: int


def build_dataset(
    plan: DatasetPlan,
    spec: DocumentTypeSpec,
    prompt: str,
    *,
    size: int,
    workdir: Path,
    max_examples: int,
) -> Dataset:
    """Render the plan's training pages (up to ``max_examples``) and describe the held-out set."""
    examples: list[Example] = []
    for number, document in enumerate(plan.train):
        if len(examples) >= max_examples:
            break
        examples.extend(render_examples(document, spec, size, workdir, number))
    stats = {
        "reviewed_documents": plan.reviewed,
        "synthetic_documents": plan.synthetic,
        "train_documents": len(plan.train),
        "train_examples": min(len(examples), max_examples),
        "eval_documents": len(plan.evaluation),
        "eval_source": _eval_source(plan.evaluation),
        "held_out": [document.name for document in plan.evaluation][:MAX_LISTED],
        "unlocated_values": sum(unlocated_values(d) for d in plan.train),
    }
    return Dataset(
        prompt=prompt,
        image_size=size,
        train=tuple(examples[:max_examples]),
        evaluation=tuple(eval_document(document) for document in plan.evaluation),
        train_sample=tuple(eval_document(document) for document in plan.train[:TRAIN_SAMPLE]),
        stats=stats,
    )


def _eval_source(documents: Iterable[LabelledDocument]) -> str:
    kinds = {document.name.split(":", 1)[0] for document in documents}
    if not kinds:
        return "none"
    if kinds == {"document"}:
        return "reviewed"
    return "synthetic" if kinds == {"synthetic"} else "mixed"


def save_manifest(dataset: Dataset, workdir: Path) -> None:
    temporary = workdir / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(dataset.to_json(), ensure_ascii=False), encoding="utf-8")
    temporary.replace(workdir / MANIFEST)


def load_manifest(workdir: Path) -> Dataset | None:
    """The frozen dataset of a job started before (``None`` if there is none, or unreadable)."""
    try:
        return Dataset.from_json(json.loads((workdir / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
