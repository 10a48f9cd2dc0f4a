"""Checkpoint files: what is accepted, and the messages for what is not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from worker.engines.paligemma.checkpoint import (
    CheckpointError,
    inspect_checkpoint,
    resolve_model_dir,
)


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_896_checkpoint_gives_4096_image_tokens(tiny_dir: Path) -> None:
    info = inspect_checkpoint(tiny_dir)
    assert (info.family, info.image_size, info.image_tokens) == ("paligemma", 896, 4096)


def test_448_checkpoint_gives_1024_image_tokens(tiny448_dir: Path) -> None:
    assert inspect_checkpoint(tiny448_dir).image_tokens == 1024


def test_processor_that_disagrees_with_the_vision_tower_is_refused(tiny_dir, tmp_path) -> None:
    bad = copy(tiny_dir, tmp_path / "bad")
    edit_json(
        bad / "processor_config.json",
        lambda d: d["image_processor"].update(size={"height": 448, "width": 448}),
    )
    with pytest.raises(CheckpointError, match="resizes to 448x448"):
        inspect_checkpoint(bad)
    edit_json(
        bad / "processor_config.json",
        lambda d: d["image_processor"].update(
            size={"height": 896, "width": 896}, image_seq_length=256
        ),
    )
    with pytest.raises(CheckpointError, match="makes 256 image tokens"):
        inspect_checkpoint(bad)


def test_224_px_and_other_models_are_refused(tiny_dir: Path, tmp_path: Path) -> None:
    small = copy(tiny_dir, tmp_path / "small")
    edit_json(small / "config.json", lambda d: d["vision_config"].update(image_size=224))
    with pytest.raises(CheckpointError, match="224 px"):
        inspect_checkpoint(small)
    other = copy(tiny_dir, tmp_path / "other")
    edit_json(other / "config.json", lambda d: d.update(model_type="llava"))
    with pytest.raises(CheckpointError, match="not PaliGemma"):
        inspect_checkpoint(other)
    edit_json(
        other / "config.json",
        lambda d: d.update(model_type="paligemma", text_config={"model_type": "llama"}),
    )
    with pytest.raises(CheckpointError, match="neither PaliGemma 1"):
        inspect_checkpoint(other)


def test_pickled_truncated_or_missing_weights_are_refused(tiny_dir: Path, tmp_path: Path) -> None:
    damaged = copy(tiny_dir, tmp_path / "damaged")
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        inspect_checkpoint(damaged)
    weights.rename(damaged / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="only pickled weights"):
        inspect_checkpoint(damaged)
    (damaged / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json is missing"):
        inspect_checkpoint(damaged)


def test_model_names_resolve_offline(tiny_dir: Path, tmp_path: Path, monkeypatch) -> None:
    assert resolve_model_dir(str(tiny_dir)) == tiny_dir.resolve()
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(CheckpointError, match="no PaliGemma model configured"):
        resolve_model_dir("")
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_model_dir(str(tmp_path / "nowhere"))
    with pytest.raises(CheckpointError, match="Hugging Face cache"):
        resolve_model_dir("google/paligemma-3b-pt-896")
