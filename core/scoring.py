"""Score extracted fields against ground truth, with exactly the rules of the acceptance scorer.

Amounts compare as numbers (sign ignored, two decimals), dates as ISO strings, identifiers
ignoring case and punctuation, names and addresses fuzzily (similarity >= 0.8, or the truth
contained in the prediction). The evaluation command and the adapter-retraining job both use
this, so "accuracy" means one thing everywhere.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.doctypes import KEY_FIELDS

AMOUNT_FIELDS = frozenset({"total_amount", "net_amount", "tax_amount", "amount_due"})
FUZZY_FIELDS = frozenset({"vendor_name", "vendor_address", "customer_name", "customer_address"})
DATE_FIELDS = frozenset({"issue_date", "due_date"})
FUZZY_RATIO = 0.8


def scored_value(value: Any) -> Any:
    """A prediction is either the bare value or an export field object with a ``value``."""
    return value.get("value") if isinstance(value, dict) else value


def amount_key(value: Any) -> Decimal | None:
    """An amount as the scorer compares it: absolute value with two decimals."""
    if value is None:
        return None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    text = re.sub(r"[^\d.,\-]", "", text)
    if "," in text and "." in text:
        if text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")
        else:
            text = text.replace(".", "").replace(",", ".")
    elif "," in text and re.search(r",\d{1,2}$", text):
        text = text.replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return abs(Decimal(text).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def _norm_text(value: Any) -> str:
    return re.sub(r"[^0-9a-z]+", " ", str(value).casefold()).strip()


def _fuzzy_match(truth: Any, prediction: Any) -> bool:
    g, p = _norm_text(truth), _norm_text(prediction)
    if not g:
        return False
    similar = difflib.SequenceMatcher(None, g, p).ratio() >= FUZZY_RATIO
    return g == p or similar or g in p.split("\n")[0]


def field_matches(name: str, truth: Any, prediction: Any) -> bool:
    """Whether ``prediction`` counts as the ground-truth ``truth`` of field ``name``."""
    if prediction is None or str(prediction).strip() == "":
        return False
    if name in AMOUNT_FIELDS:
        expected = amount_key(truth)
        return expected is not None and expected == amount_key(prediction)
    if name in FUZZY_FIELDS:
        return _fuzzy_match(truth, prediction)
    if name == "currency":
        return str(truth).upper().strip() == str(prediction).upper().strip()
    if name in DATE_FIELDS:
        return str(truth).strip()[:10] == str(prediction).strip()[:10]
    return _alnum(truth) == _alnum(prediction)


def _alnum(value: Any) -> str:
    return re.sub(r"[^0-9a-z]", "", str(value).casefold())


@dataclass(frozen=True, slots=True)
class Miss:
    document: str
    field: str
    expected: Any
    got: Any


@dataclass
class Score:
    """Counts per field; ``misses`` lists every labelled field that was not matched."""

    documents: int = 0
    per_field: dict[str, list[int]] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    def add(self, document: str, name: str, expected: Any, got: Any) -> None:
        ok = field_matches(name, expected, got)
        counts = self.per_field.setdefault(name, [0, 0])
        counts[0] += int(ok)
        counts[1] += 1
        if not ok:
            self.misses.append(Miss(document, name, expected, got))

    def accuracy(self, names: Iterable[str] | None = None) -> float | None:
        counts = self.per_field
        chosen = [counts.get(n, [0, 0]) for n in names] if names else list(counts.values())
        correct = sum(c[0] for c in chosen)
        labelled = sum(c[1] for c in chosen)
        return round(correct / labelled, 3) if labelled else None

    def to_json(self) -> dict[str, Any]:
        """The same summary as the acceptance scorer's ``--json``."""
        return {
            "documents": self.documents,
            "per_field": {
                name: {"correct": c, "labelled": n, "accuracy": round(c / n, 3)}
                for name, (c, n) in sorted(self.per_field.items())
            },
            "key_field_accuracy": self.accuracy(KEY_FIELDS),
            "all_field_accuracy": self.accuracy(),
        }


def score_document(
    score: Score,
    document: str,
    truth: Mapping[str, Any],
    predicted: Mapping[str, Any],
    fields: frozenset[str] | None = None,
) -> None:
    """Add one document's labelled fields (nulls are unlabelled and skipped) to ``score``."""
    score.documents += 1
    for name, expected in truth.items():
        if expected is None or (fields and name not in fields):
            continue
        score.add(document, name, expected, scored_value(predicted.get(name)))


def read_prediction(path: Path) -> Mapping[str, Any]:
    """The ``fields`` of an export file; a missing or broken file predicts nothing."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = data.get("fields") or {}
    except (ValueError, AttributeError):
        return {}
    return fields if isinstance(fields, dict) else {}


def score_folders(gt_dir: Path, pred_dir: Path, fields: frozenset[str] | None = None) -> Score:
    """Score every ``GT_DIR/X.json`` that has ``fields`` against ``PRED_DIR/X.json``."""
    score = Score()
    for gt_file in sorted(gt_dir.glob("*.json")):
        truth = json.loads(gt_file.read_text(encoding="utf-8"))
        if "fields" not in truth:
            continue
        predicted = read_prediction(pred_dir / gt_file.name)
        score_document(score, gt_file.stem, truth["fields"], predicted, fields)
    return score
