"""Which type a document is (invoice, receipt, or unknown), from its words and its shape.

Each type has cue words in the four languages; a receipt is also narrow and tall. The score
of each type becomes a confidence; a document with no cue at all is unknown (``None``), which
sends it to review rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from core.doctypes import DocumentTypeSpec
from core.domain import PageText

_CUES: Mapping[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    "invoice": tuple(
        (re.compile(p, re.IGNORECASE), w)
        for p, w in (
            (r"\binvoice\b|\brechnung|\bfacture\b|\bfactuur\b|\bfattura\b", 3.0),
            (r"bill\s*to|invoice\s*date|due\s*date|rechnungsdatum|factuurdatum|échéance", 2.0),
            (r"\biban\b|\bbic\b|\bswift\b|payment\s*terms|zahlungsbedingungen|zahlbar", 1.5),
            (r"ust-?id|vat\s*(?:id|no|number)|n°\s*tva|btw-?nummer|kvk|siret|handelsreg", 1.0),
            (r"\bnet(?:to)?\b|subtotal|zwischensumme|\bht\b|exclusief", 0.5),
        )
    ),
    "receipt": tuple(
        (re.compile(p, re.IGNORECASE), w)
        for p, w in (
            (
                r"\breceipt\b|kassenbon|quittung|\breçu\b|kassabon|\bkassa\b|ticket\s*de\s*caisse",
                3.0,
            ),
            (r"\bcash\b|\bchange\b|tendered|\bbargeld\b|rückgeld|\besp[eè]ces\b|wisselgeld", 2.0),
            (r"monnaie\s*rendue|\brendu\b|\bgegeben\b|\bontvangen\b|\bwechselgeld\b", 2.0),
            (r"thank\s*you|come\s*again|vielen\s*dank|merci|bedankt|cashier|kassierer", 1.5),
            (r"\bticket\b|\bcaisse\b|\bcaissier|\bkasse\b|\bbon\s*(?:n[r°o]|nummer)|\bbonnr", 1.5),
            (r"\bcash\s*bill|\bsdn\b|\bgst\b|rounding|\bpos\b|\btable\b|\bqty\b|\bvisa\b", 1.0),
        )
    ),
}
# A receipt's paper is long and narrow: width/height under this counts as a receipt cue.
_RECEIPT_ASPECT = 0.6
_ASPECT_WEIGHT = 2.0


def type_scores(pages: Sequence[PageText]) -> dict[str, float]:
    text = "\n".join(page.text for page in pages)
    scores = {
        name: sum(weight * min(len(p.findall(text)), 3) for p, weight in cues)
        for name, cues in _CUES.items()
    }
    if pages and pages[0].height and pages[0].width / pages[0].height < _RECEIPT_ASPECT:
        scores["receipt"] += _ASPECT_WEIGHT
    return scores


def detect_type(
    pages: Sequence[PageText], types: Mapping[str, DocumentTypeSpec]
) -> tuple[str | None, float]:
    """The most likely of ``types`` and a confidence in 0..1; ``None`` when nothing points."""
    scores = {name: score for name, score in type_scores(pages).items() if name in types}
    total = sum(scores.values())
    if not scores or total <= 0:
        return None, 0.0
    name, score = max(scores.items(), key=lambda item: item[1])
    margin = score / total
    strength = min(1.0, score / 6.0)
    return name, round(margin * (0.5 + 0.5 * strength), 3)
