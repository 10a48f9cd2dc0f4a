"""Resident adapters: load, switch, evict, and the adapters that must be refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from core.doctypes import AdapterRef
from worker.engines.paligemma.adapters import AdapterCache, AdapterRejected
from worker.engines.paligemma.base_model import describe_base
from worker.engines.paligemma.loading import load_model


@pytest.fixture
def fresh(tiny448_dir: Path):
    """A model of its own: adapters change the module tree."""
    loaded = load_model(str(tiny448_dir), device="cpu")
    return loaded, describe_base(tiny448_dir)


def ref(name: str, path: Path, version: int = 1) -> AdapterRef:
    return AdapterRef(name, version, str(path), "")


def logits(loaded) -> torch.Tensor:
    ids = torch.tensor([[loaded.ids.bos, 70, 71, 72, 73]])
    with torch.inference_mode():
        hidden: torch.Tensor = loaded.model.model.language_model(input_ids=ids).last_hidden_state
    return hidden[0, -1]


def test_load_switch_and_evict(fresh, adapter_dirs: dict[str, Path]) -> None:
    loaded, base = fresh
    cache = AdapterCache(loaded.model, base, capacity=2, resolve_path=lambda r: Path(r.path))
    plain = logits(loaded)
    refs = [ref(name, adapter_dirs[name]) for name in ("invoice", "receipt", "order")]
    cache.activate(refs[0])
    invoice = logits(loaded)
    assert not torch.allclose(invoice, plain)
    cache.activate(refs[1])
    receipt = logits(loaded)
    assert not torch.allclose(receipt, invoice)
    cache.activate(None)
    assert torch.allclose(logits(loaded), plain)  # base alone, adapters still resident
    cache.activate(refs[0])
    assert torch.allclose(logits(loaded), invoice)
    assert cache.keys == ("receipt@v1", "invoice@v1")
    cache.activate(refs[2])  # over capacity: the least recently used goes
    assert cache.keys == ("invoice@v1", "order@v1") and cache.loads == 3
    cache.activate(refs[1])  # back from disk, same answers
    assert torch.allclose(logits(loaded), receipt) and cache.loads == 4


def test_a_new_version_is_a_new_adapter(fresh, adapter_dirs: dict[str, Path]) -> None:
    loaded, base = fresh
    cache = AdapterCache(loaded.model, base, capacity=4, resolve_path=lambda r: Path(r.path))
    cache.activate(ref("invoice", adapter_dirs["invoice"], 1))
    v1 = logits(loaded)
    cache.activate(ref("invoice", adapter_dirs["receipt"], 2))
    assert cache.keys == ("invoice@v1", "invoice@v2") and not torch.allclose(logits(loaded), v1)


def test_pickled_adapter_is_refused_before_torch_sees_it(fresh, adapter_dirs, tmp_path) -> None:
    loaded, base = fresh
    bad = shutil.copytree(adapter_dirs["invoice"], tmp_path / "bad")
    (bad / "adapter_model.safetensors").rename(bad / "adapter_model.bin")
    cache = AdapterCache(loaded.model, base, capacity=2, resolve_path=lambda r: Path(r.path))
    with pytest.raises(AdapterRejected, match=r"invoice@v1 refused: .*pickled"):
        cache.activate(ref("invoice", bad))
    with pytest.raises(AdapterRejected, match="pickled"):  # remembered, not re-read
        cache.activate(ref("invoice", bad))
    assert cache.keys == () and cache.loads == 0


def test_adapter_for_another_base_is_refused(
    other_base_dir, tiny448_dir, adapter_dirs, tmp_path
) -> None:
    loaded = load_model(str(other_base_dir), device="cpu")
    cache = AdapterCache(
        loaded.model, describe_base(other_base_dir), capacity=2, resolve_path=lambda r: Path(r.path)
    )
    with pytest.raises(AdapterRejected, match="trained on base"):
        cache.activate(ref("invoice", adapter_dirs["invoice"]))


def test_adapters_on_different_modules_switch_cleanly(fresh, adapter_dirs) -> None:
    loaded, base = fresh
    cache = AdapterCache(loaded.model, base, capacity=4, resolve_path=lambda r: Path(r.path))
    plain = logits(loaded)
    cache.activate(ref("invoice", adapter_dirs["invoice"]))
    invoice = logits(loaded)
    vision = cache.activate(ref("vision", adapter_dirs["vision"]))
    assert vision is not None and vision.info.touches_vision
    assert not torch.allclose(logits(loaded), invoice)  # its text q/v layers differ too
    cache.activate(ref("invoice", adapter_dirs["invoice"]))
    assert torch.allclose(logits(loaded), invoice)
    cache.activate(None)
    assert torch.allclose(logits(loaded), plain)
