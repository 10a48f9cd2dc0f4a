"""The prompts FormLens gives PaliGemma, and how a prompt is laid out as tokens.

PaliGemma reads ``<image>`` x N, ``<bos>``, the prompt, ``\\n`` (the prefix, attended to
bidirectionally), then writes the answer and ``<eos>``. ``ocr`` is PaliGemma's own task
prefix for reading text; the extraction prompt of a document type is the type's ``prompt``
(e.g. ``extract invoice``), the prefix its LoRA adapter is trained on (see ``answer_format``
for the answer it is trained to write).
"""

from __future__ import annotations

from core.doctypes import DocumentTypeSpec

OCR_PROMPT = "ocr"


def extraction_prompt(spec: DocumentTypeSpec) -> str:
    """The prompt a type's adapter answers with compact JSON of the type's fields."""
    return spec.prompt or f"extract {spec.name}"


def prefix_text(prompt: str) -> str:
    """The text after ``<bos>`` in the prefix (what the processor appends to each prompt)."""
    return prompt + "\n"
