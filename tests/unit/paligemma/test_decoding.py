"""Batched greedy decoding: equal to ``generate`` and to the same pages one by one."""

from __future__ import annotations

import pytest
import torch

from tests.unit.paligemma.conftest import page_image
from worker.engines.paligemma.decoding import DecodeRow, greedy_decode, image_features
from worker.engines.paligemma.loading import LoadedModel
from worker.engines.paligemma.prompts import OCR_PROMPT, prefix_text


def rows_for(loaded: LoadedModel, specs: list[tuple[str, str, int]]) -> list[DecodeRow]:
    processor, tokenizer = loaded.processor, loaded.processor.tokenizer
    rows = []
    for text, prompt, cap in specs:
        pixels = processor.image_processor(images=page_image(text), return_tensors="pt")
        ids = (loaded.ids.bos, *tokenizer.encode(prefix_text(prompt), add_special_tokens=False))
        rows.append(DecodeRow(text, pixels["pixel_values"][0], ids, cap))
    return rows


def features(loaded: LoadedModel, rows: list[DecodeRow]) -> torch.Tensor:
    with torch.inference_mode():
        return image_features(loaded.model, torch.stack([row.pixel_values for row in rows]))


def test_one_row_equals_generate_on_4096_image_tokens(loaded896) -> None:
    (row,) = rows_for(loaded896, [("INVOICE 1", OCR_PROMPT, 6)])
    feats = features(loaded896, [row])
    assert feats.shape[1] == 4096
    (mine,) = greedy_decode(loaded896.model, [row], feats, loaded896.ids)
    inputs = loaded896.processor(
        images=[page_image("INVOICE 1")], text=["<image>ocr"], return_tensors="pt"
    )
    inputs.pop("labels")
    reference = loaded896.model.generate(**inputs, max_new_tokens=6, do_sample=False)
    generated = reference[0, inputs["input_ids"].shape[1] :].tolist()
    eos = loaded896.ids.eos
    assert list(mine.token_ids) == generated[: generated.index(eos) if eos in generated else 6]
    assert all(0.0 < p <= 1.0 for p in mine.probs)


def test_a_batch_equals_its_rows_one_by_one(loaded448) -> None:
    """Different prompt lengths (left padding), caps and pages in one batch; the prefix run
    in chunks of rows changes nothing."""
    rows = rows_for(
        loaded448,
        [
            ("ACME", OCR_PROMPT, 5),
            ("Rechnung", "extract invoice", 3),
            ("ACME", "extract receipt", 6),
            ("Total", OCR_PROMPT, 2),
        ],
    )
    feats = features(loaded448, rows)
    batch = greedy_decode(loaded448.model, rows, feats, loaded448.ids)
    chunked = greedy_decode(loaded448.model, rows, feats, loaded448.ids, prefill_batch=3)
    assert [g.token_ids for g in chunked] == [g.token_ids for g in batch]
    for index, row in enumerate(rows):
        (alone,) = greedy_decode(loaded448.model, [row], feats[index : index + 1], loaded448.ids)
        assert batch[index].token_ids == alone.token_ids
        assert batch[index].probs == pytest_approx(alone.probs)
        assert len(alone.token_ids) <= row.max_new_tokens


def test_without_eos_every_row_writes_its_full_budget(loaded448) -> None:
    rows = rows_for(loaded448, [("A", OCR_PROMPT, 7), ("B", OCR_PROMPT, 3)])
    out = greedy_decode(
        loaded448.model, rows, features(loaded448, rows), loaded448.ids, stop_at_eos=False
    )
    assert [len(g.token_ids) for g in out] == [7, 3] and not any(g.finished for g in out)


def pytest_approx(values: tuple[float, ...]) -> object:
    return pytest.approx(values, rel=1e-4, abs=1e-5)
