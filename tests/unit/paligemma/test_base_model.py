"""Base model identity: stable across machines and dtypes, different across weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from transformers import PaliGemmaForConditionalGeneration

from worker.engines.paligemma.base_model import (
    BaseModelInfo,
    canonical_module,
    describe_base,
    model_name,
    same_model_name,
)


def test_fingerprint_survives_a_move_and_a_bfloat16_copy(tiny448_dir: Path, tmp_path: Path) -> None:
    moved = shutil.copytree(tiny448_dir, tmp_path / "elsewhere")
    model = PaliGemmaForConditionalGeneration.from_pretrained(tiny448_dir, dtype=torch.bfloat16)
    model.save_pretrained(tmp_path / "bf16")
    for name in ("tokenizer.json", "tokenizer_config.json", "processor_config.json"):
        shutil.copy(tiny448_dir / name, tmp_path / "bf16" / name)
    original = describe_base(tiny448_dir)
    assert describe_base(moved).fingerprint == original.fingerprint
    assert describe_base(tmp_path / "bf16").fingerprint == original.fingerprint


def test_other_weights_other_fingerprint(tiny448_dir: Path, other_base_dir: Path) -> None:
    assert describe_base(tiny448_dir).fingerprint != describe_base(other_base_dir).fingerprint


def test_linear_shapes_use_canonical_names(tiny448_dir: Path) -> None:
    base = describe_base(tiny448_dir, "google/paligemma-3b-pt-448")
    assert base.linear_shapes["language_model.layers.0.self_attn.q_proj"] == (16, 32)
    assert "vision_tower.encoder.layers.0.mlp.fc1" in base.linear_shapes
    assert BaseModelInfo.from_json(base.to_json()) == base
    assert base.matches(base.fingerprint) and base.matches("paligemma-3b-pt-448")
    assert not base.matches("pgfp1:0000")


@pytest.mark.parametrize(
    "name",
    [
        "base_model.model.model.language_model.layers.0.self_attn.q_proj",
        "base_model.model.language_model.model.layers.0.self_attn.q_proj",
        "language_model.model.layers.0.self_attn.q_proj",
        "model.language_model.layers.0.self_attn.q_proj",
    ],
)
def test_canonical_module_names(name: str) -> None:
    assert canonical_module(name) == "language_model.layers.0.self_attn.q_proj"


def test_model_names_across_machines() -> None:
    cached = "/root/.cache/huggingface/hub/models--google--paligemma-3b-pt-896/snapshots/ab12"
    assert model_name(cached) == "google/paligemma-3b-pt-896"
    assert model_name("/data/models/paligemma-3b-pt-896/") == "paligemma-3b-pt-896"
    assert same_model_name(cached, "/srv/PaliGemma-3b-pt-896")
    assert not same_model_name(cached, "google/paligemma-3b-pt-448")
