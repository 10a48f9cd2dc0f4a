"""The same engine on a CUDA GPU (skipped without one; bench/gpu_check.sh runs these)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.doctypes import INVOICE, RECEIPT, AdapterRef
from tests.unit.paligemma.conftest import page_image
from worker.engines.base import EngineRequest
from worker.engines.paligemma.decoding import DecodeRow, greedy_decode, image_features
from worker.engines.paligemma.engine import EngineConfig, PaliGemmaEngine
from worker.engines.paligemma.loading import load_model
from worker.engines.paligemma.prompts import OCR_PROMPT, prefix_text

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_loads_on_the_gpu_in_bfloat16_with_sdpa(tiny_dir: Path) -> None:
    loaded = load_model(str(tiny_dir), device="auto")
    assert loaded.device.type == "cuda" and loaded.dtype == torch.bfloat16
    assert loaded.model.config._attn_implementation == "sdpa"
    assert next(loaded.model.parameters()).device == loaded.device


def test_batch_equals_one_by_one_on_the_gpu(tiny_dir: Path) -> None:
    """Exact in float32; bfloat16 kernels may differ by a rounding between batch shapes."""
    loaded = load_model(str(tiny_dir), device="cuda")
    loaded = replace(loaded, model=loaded.model.float(), dtype=torch.float32)
    tokenizer = loaded.processor.tokenizer
    rows = []
    for text, prompt, cap in (("A", OCR_PROMPT, 6), ("B", "extract invoice", 4)):
        pixels = loaded.processor.image_processor(images=page_image(text), return_tensors="pt")
        ids = (loaded.ids.bos, *tokenizer.encode(prefix_text(prompt), add_special_tokens=False))
        rows.append(DecodeRow(text, pixels["pixel_values"][0], ids, cap))
    with torch.inference_mode():
        feats = image_features(loaded.model, torch.stack([r.pixel_values for r in rows]).cuda())
    batch = greedy_decode(loaded.model, rows, feats, loaded.ids)
    for index, row in enumerate(rows):
        (alone,) = greedy_decode(loaded.model, [row], feats[index : index + 1], loaded.ids)
        assert alone.token_ids == batch[index].token_ids


def test_engine_end_to_end_on_the_gpu(tiny448_dir, adapter_dirs, make_document) -> None:
    config = EngineConfig(
        model=str(tiny448_dir),
        device="cuda",
        max_batch=8,
        adapter_dir=adapter_dirs["invoice"].parent,
        ocr_max_new_tokens=8,
        extract_max_new_tokens=8,
    )
    engine = PaliGemmaEngine(config)
    try:
        document = make_document("ACME", "Total")
        spec = replace(INVOICE, adapter=AdapterRef("invoice", 1, "invoice", ""))
        extracted = engine.run(EngineRequest(document, spec, {"invoice": spec}))
        read = engine.run(EngineRequest(document, RECEIPT, {"receipt": RECEIPT}))
        assert extracted.result.engine.adapter == "invoice@v1" and len(read.pages) == 2
    finally:
        engine.close()
