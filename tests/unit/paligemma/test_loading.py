"""Loading through the real-checkpoint code path, and what it refuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from worker.engines.paligemma.decoding import DecodeRow, greedy_decode, image_features
from worker.engines.paligemma.loading import ModelLoadError, load_model
from worker.engines.paligemma.prompts import OCR_PROMPT, prefix_text
from worker.engines.paligemma.tiny import build_tiny_checkpoint


def test_tiny_896_loads_as_a_real_checkpoint_would(loaded896) -> None:
    assert loaded896.image_size == 896 and loaded896.image_tokens == 4096
    assert loaded896.dtype == torch.float32 and loaded896.device.type == "cpu"
    assert loaded896.checkpoint.family == "paligemma"
    assert loaded896.model.config._attn_implementation == "sdpa"
    tokenizer = loaded896.processor.tokenizer
    assert (
        tokenizer.decode(tokenizer.encode("<loc0007>{}", add_special_tokens=False)) == "<loc0007>{}"
    )


def test_prompt_layout_matches_the_processor(loaded896) -> None:
    """The engine builds <image>x4096 <bos> prompt \\n itself; it must equal the processor's."""
    processor = loaded896.processor
    inputs = processor(
        images=[Image.new("RGB", (50, 70), "gray")],
        text=["<image>" + OCR_PROMPT],
        return_tensors="pt",
    )
    ids = inputs["input_ids"][0].tolist()
    assert ids[:4096] == [loaded896.ids.image] * 4096
    prompt = processor.tokenizer.encode(prefix_text(OCR_PROMPT), add_special_tokens=False)
    assert ids[4096:] == [loaded896.ids.bos, *prompt]
    assert inputs["pixel_values"].shape == (1, 3, 896, 896)


def test_paligemma2_checkpoints_load(tmp_path: Path) -> None:
    loaded = load_model(
        str(build_tiny_checkpoint(tmp_path / "pg2", image_size=448, family="paligemma2")),
        device="cpu",
    )
    assert loaded.checkpoint.family == "paligemma2" and loaded.image_tokens == 1024
    pixels = loaded.processor.image_processor(
        images=Image.new("RGB", (60, 80), "gray"), return_tensors="pt"
    )["pixel_values"]
    with torch.inference_mode():
        feats = image_features(loaded.model, pixels)
    row = DecodeRow("p", pixels[0], (loaded.ids.bos, 70, 72), 3)
    assert len(greedy_decode(loaded.model, [row], feats, loaded.ids)[0].probs) <= 3


def test_missing_or_mismatched_checkpoints_are_refused(tiny448_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(str(tmp_path / "nowhere"))
    bad = shutil.copytree(tiny448_dir, tmp_path / "bad")
    config = json.loads((bad / "config.json").read_text())
    config["text_config"]["num_image_tokens"] = 4096
    config["vision_config"]["image_size"] = 896  # weights are for 448: position embeddings differ
    (bad / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError):
        load_model(str(bad), device="cpu")
    with pytest.raises(ModelLoadError, match="quantization"):
        load_model(str(tiny448_dir), device="cpu", quantization="8bit")
