"""Adapter directory validation (what the admin calls on upload; no torch)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import save_file

from worker.engines.paligemma.adapter_files import (
    AdapterFileError,
    inspect_adapter,
    stamp_adapter,
)
from worker.engines.paligemma.base_model import describe_base


@pytest.fixture
def adapter(adapter_dirs: dict[str, Path], tmp_path: Path) -> Path:
    return shutil.copytree(adapter_dirs["invoice"], tmp_path / "invoice")


def edit_config(path: Path, **changes: object) -> None:
    config = json.loads((path / "adapter_config.json").read_text())
    config.update(changes)
    (path / "adapter_config.json").write_text(json.dumps(config))


def test_validation_does_not_import_torch() -> None:
    code = (
        "import sys, worker.engines.paligemma.adapter_files, worker.engines.paligemma.health;"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


def test_a_valid_adapter_is_described(adapter: Path, tiny448_dir: Path) -> None:
    base = describe_base(tiny448_dir)
    info = inspect_adapter(adapter, base)
    assert (info.rank, info.alpha, info.base_model) == (4, 8.0, base.fingerprint)
    assert info.target_modules == ("down_proj", "gate_proj", "o_proj")
    assert "language_model.layers.1.mlp.down_proj" in info.modules and not info.touches_vision
    assert info.size_bytes > 0 and len(info.sha256) == 64
    assert inspect_adapter(adapter).sha256 == info.sha256  # without a base: structure only


def test_vision_adapter_is_flagged(adapter_dirs: dict[str, Path], tiny448_dir: Path) -> None:
    assert inspect_adapter(adapter_dirs["vision"], describe_base(tiny448_dir)).touches_vision


def test_pickled_adapter_is_refused(adapter: Path) -> None:
    (adapter / "adapter_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(AdapterFileError, match="pickled weights are refused"):
        inspect_adapter(adapter)


def test_unexpected_or_missing_files_are_refused(adapter: Path) -> None:
    (adapter / "run.py").write_text("print(1)")
    with pytest.raises(AdapterFileError, match="unexpected file"):
        inspect_adapter(adapter)
    (adapter / "run.py").unlink()
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(AdapterFileError, match=r"no \.safetensors"):
        inspect_adapter(adapter)


def test_adapter_for_another_base_is_refused(adapter: Path, other_base_dir: Path) -> None:
    with pytest.raises(AdapterFileError, match="trained on base"):
        inspect_adapter(adapter, describe_base(other_base_dir))


def test_unstamped_adapter_is_matched_by_base_name(
    adapter: Path, tiny448_dir: Path, tmp_path: Path
) -> None:
    weights = adapter / "adapter_model.safetensors"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"]  # peft wrote the training machine's path
    # Rebuild the weights without our metadata key, as an adapter trained elsewhere.
    with safe_open(weights, "pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    save_file(tensors, weights, metadata={"format": "pt"})
    base = describe_base(tiny448_dir)
    assert inspect_adapter(adapter, base).base_model == base.name
    edit_config(adapter, base_model_name_or_path="google/paligemma-3b-pt-896")
    with pytest.raises(AdapterFileError, match="trained on base google/paligemma-3b-pt-896"):
        inspect_adapter(adapter, base)
    stamp_adapter(adapter, base)  # registering it against this base
    assert inspect_adapter(adapter, base).base_fingerprint == base.fingerprint


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"peft_type": "IA3"}, "only LORA"),
        ({"use_dora": True}, "DoRA"),
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
        ({"r": 8}, "rank 4/4 in the tensors, r=8"),
        ({"r": 0}, "rank"),
        ({"lora_alpha": -1}, "lora_alpha"),
        ({"target_modules": ["q_proj"]}, "not in target_modules"),
        ({"bias": "all"}, "bias"),
    ],
)
def test_configs_that_do_not_fit_are_refused(
    adapter: Path, changes: dict[str, object], reason: str
) -> None:
    edit_config(adapter, **changes)
    with pytest.raises(AdapterFileError, match=reason):
        inspect_adapter(adapter)


def test_target_modules_must_exist_in_the_base(adapter: Path, tiny448_dir: Path) -> None:
    edit_config(adapter, target_modules=["o_proj", "gate_proj", "down_proj", "w_in"])
    with pytest.raises(AdapterFileError, match="'w_in' does not exist"):
        inspect_adapter(adapter, describe_base(tiny448_dir))


def test_shapes_must_fit_the_base(adapter: Path, tiny_dir: Path, tiny448_dir: Path) -> None:
    base = describe_base(tiny448_dir)
    wider = describe_base(tiny_dir)  # other module shapes would fail: fake one mismatch
    shapes = dict(base.linear_shapes)
    shapes["language_model.layers.0.self_attn.o_proj"] = (32, 64)
    with pytest.raises(AdapterFileError, match="adapter expects 16->32 features"):
        inspect_adapter(adapter, replace(base, linear_shapes=shapes))
    assert wider.fingerprint != base.fingerprint
