"""The start-up check: a worker with missing or damaged files must not start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.doctypes import AdapterRef
from core.settings import load_settings
from worker.engines.paligemma.health import HealthCheckFailed, check_health


def settings(model: Path | str, data_dir: Path):
    return load_settings(paligemma_model=str(model), data_dir=data_dir)


def test_healthy_model_and_adapters(tiny448_dir, adapter_dirs, tmp_path) -> None:
    refs = [
        AdapterRef("invoice", 1, str(adapter_dirs["invoice"]), ""),
        AdapterRef("receipt", 2, "receipt", ""),
    ]  # relative to the adapter store
    shutil.copytree(adapter_dirs["receipt"], tmp_path / "adapters" / "receipt")
    report = check_health(settings(tiny448_dir, tmp_path), refs)
    assert report.bases[0].image_size == 448 and len(report.adapters) == 2
    assert report.adapters[0].base_model == report.bases[0].fingerprint


def test_every_problem_is_reported_at_once(tiny448_dir, adapter_dirs, tmp_path) -> None:
    broken = shutil.copytree(tiny448_dir, tmp_path / "model")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    pickled = shutil.copytree(adapter_dirs["invoice"], tmp_path / "pickled")
    (pickled / "adapter_model.safetensors").rename(pickled / "adapter_model.bin")
    refs = [
        AdapterRef("invoice", 3, str(pickled), ""),
        AdapterRef("receipt", 1, str(tmp_path / "gone"), ""),
    ]
    with pytest.raises(HealthCheckFailed) as failure:
        check_health(settings(broken, tmp_path), refs)
    problems = failure.value.problems
    assert len(problems) == 3
    assert "truncated" in problems[0] and "pickled" in problems[1]
    assert "does not exist" in problems[2]


def test_adapter_of_a_model_this_worker_does_not_load(
    tiny448_dir, other_base_dir, adapter_dirs, tmp_path
) -> None:
    ref = AdapterRef("invoice", 1, str(adapter_dirs["invoice"]), "")
    with pytest.raises(HealthCheckFailed, match="does not load"):
        check_health(settings(other_base_dir, tmp_path), [ref])
    # ... unless that model is loaded too, for a type that names it.
    report = check_health(
        settings(other_base_dir, tmp_path), [ref], extra_models=[str(tiny448_dir)]
    )
    assert len(report.bases) == 2


def test_unset_model_fails(tmp_path) -> None:
    with pytest.raises(HealthCheckFailed, match="not set"):
        check_health(settings("", tmp_path))
