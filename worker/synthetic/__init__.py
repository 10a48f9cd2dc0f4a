"""Synthetic invoices and receipts with exact ground truth.

For bootstrapping the LoRA adapter of a type that has few reviewed documents, and for tests
that need realistic documents (the real evaluation documents never enter the repository).
Pure code: no database, Flask or Celery.

    from worker.synthetic import generate

    doc = generate("invoice", 7, language="de", output="png", noise=0.5)
    doc.fields["total_amount"], doc.boxes["total_amount"]  # "1234.50", (1, (x0, y0, x1, y1))

Modules: ``content``/``receipt_content`` (what a document says, arithmetic), ``identifiers``
(IBAN, VAT, numbers), ``corpus`` (word lists), ``locales``/``labels`` (how a language prints),
``invoice_*``/``receipt_layout`` (layouts on ``page``), ``pdf`` and ``scan`` (rendering),
``truth`` (ground truth), ``generate`` (the entry point).
"""

from worker.synthetic.document import SyntheticDocument
from worker.synthetic.generate import DOC_TYPES, Output, generate, generate_many
from worker.synthetic.locales import LANGUAGES

__all__ = ["DOC_TYPES", "LANGUAGES", "Output", "SyntheticDocument", "generate", "generate_many"]
