"""The trainer on the tiny checkpoint: the layout it trains is the one served, a resumed run
ends exactly where an uninterrupted one does, and it stops between steps when asked."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from core.doctypes import RECEIPT
from core.training_params import TrainingParams
from worker.engines.paligemma.loading import load_model
from worker.engines.paligemma.prompts import prefix_text
from worker.training.dataset import Dataset, DatasetPlan, build_dataset
from worker.training.progress import StepReport
from worker.training.sources import synthetic_documents
from worker.training.trainer import CHECKPOINT, encode_batch, train

SHORT = {"total_amount", "currency"}
PARAMS = TrainingParams(rank=4, alpha=8, epochs=3, batch_size=1, learning_rate=1e-3, seed=3)


class Crash(Exception):
    """Stands for a worker dying between two steps."""


class Hooks:
    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.reports: list[StepReport] = []
        self.lines: list[str] = []

    def on_step(self, report: StepReport) -> None:
        self.reports.append(report)

    def check(self) -> None:
        if self.stop_after is not None and len(self.reports) >= self.stop_after:
            raise Crash

    def log(self, message: str) -> None:
        self.lines.append(message)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Path]:
    folder = tmp_path_factory.mktemp("job")
    documents = synthetic_documents("receipt", 2, 0, folder / "synthetic")
    short = [
        replace(d, fields={k: v for k, v in d.fields.items() if k in SHORT}) for d in documents
    ]
    plan = DatasetPlan(tuple(short), (), reviewed=0, synthetic=2)
    dataset = build_dataset(
        plan, RECEIPT, "extract receipt", size=448, workdir=folder, max_examples=10
    )
    return dataset, folder


def workdir_with_pages(source: Path, target: Path) -> Path:
    shutil.copytree(source / "pages", target / "pages")
    return target


def test_examples_are_laid_out_as_the_engine_serves_them(tiny_model, data) -> None:
    dataset, folder = data
    loaded = load_model(str(tiny_model), device="cpu")
    example = dataset.train[0]
    assert example.target.startswith('{"total_amount":"<loc') and example.target.endswith('"}')
    image = Image.open(folder / example.image)
    assert image.size == (448, 448)
    batch = encode_batch(loaded, dataset.prompt, [image], [example.target])
    tokenizer = loaded.processor.tokenizer
    served_prompt = [loaded.ids.bos, *tokenizer.encode(prefix_text("extract receipt"))]
    prefix = batch["input_ids"][0][batch["token_type_ids"][0] == 0].tolist()
    assert prefix == [loaded.ids.image] * 1024 + served_prompt
    answer = batch["labels"][0][batch["labels"][0] != -100].tolist()
    assert answer == [*tokenizer.encode(example.target), loaded.ids.eos]


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tiny_model, data, tmp_path) -> None:
    dataset, folder = data
    params = replace(PARAMS, lora_dropout=0.1)  # the random state must be resumed too
    whole = workdir_with_pages(folder, tmp_path / "whole")
    hooks = Hooks()
    done = train(
        load_model(str(tiny_model), device="cpu"),
        dataset,
        params,
        whole,
        hooks,
        checkpoint_every_s=3600,
    )
    assert [r.step for r in hooks.reports] == [1, 2, 3, 4, 5, 6] and done.resumed_at == 0
    assert hooks.reports[-1].epoch == 3 and hooks.reports[0].total_steps == 6

    broken = workdir_with_pages(folder, tmp_path / "broken")
    with pytest.raises(Crash):
        train(
            load_model(str(tiny_model), device="cpu"),
            dataset,
            params,
            broken,
            Hooks(stop_after=4),
            checkpoint_every_s=0,
        )
    assert (broken / CHECKPOINT / "meta.json").exists()
    resumed_hooks = Hooks()
    resumed = train(
        load_model(str(tiny_model), device="cpu"),
        dataset,
        params,
        broken,
        resumed_hooks,
        checkpoint_every_s=0,
    )
    assert resumed.resumed_at == 4 and [r.step for r in resumed_hooks.reports] == [5, 6]
    assert "resumed from the checkpoint at step 4" in resumed_hooks.lines
    expected = load_file(str(done.adapter_dir / "adapter_model.safetensors"))
    got = load_file(str(resumed.adapter_dir / "adapter_model.safetensors"))
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[key], got[key]) for key in expected)
    assert resumed.loss_curve == done.loss_curve


def test_a_checkpoint_of_other_parameters_is_not_resumed(tiny_model, data, tmp_path) -> None:
    dataset, folder = data
    workdir = workdir_with_pages(folder, tmp_path / "job")
    with pytest.raises(Crash):
        train(
            load_model(str(tiny_model), device="cpu"),
            dataset,
            PARAMS,
            workdir,
            Hooks(stop_after=2),
            checkpoint_every_s=0,
        )
    hooks = Hooks()
    other = replace(PARAMS, learning_rate=2e-3)
    result = train(
        load_model(str(tiny_model), device="cpu"),
        dataset,
        other,
        workdir,
        hooks,
        checkpoint_every_s=3600,
    )
    assert result.resumed_at == 0 and len(hooks.reports) == 6
    assert any("starting over" in line for line in hooks.lines)


def test_a_step_at_the_default_896_px(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tests train at 448 px for speed; the documents default, 896 px, takes the same path."""
    from worker.engines.paligemma.adapter_files import inspect_adapter  # noqa: PLC0415
    from worker.engines.paligemma.base_model import describe_base  # noqa: PLC0415
    from worker.engines.paligemma.tiny import build_tiny_checkpoint  # noqa: PLC0415

    model = build_tiny_checkpoint(tmp_path_factory.mktemp("tiny896"), image_size=896)
    folder = tmp_path_factory.mktemp("job896")
    documents = synthetic_documents("receipt", 1, 5, folder / "synthetic")
    plan = DatasetPlan(tuple(documents), (), reviewed=0, synthetic=1)
    dataset = build_dataset(
        plan, RECEIPT, "extract receipt", size=896, workdir=folder, max_examples=1
    )
    assert Image.open(folder / dataset.train[0].image).size == (896, 896)
    params = replace(PARAMS, epochs=1)
    result = train(
        load_model(str(model), device="cpu"),
        dataset,
        params,
        folder,
        Hooks(),
        checkpoint_every_s=3600,
    )
    assert result.steps == 1
    info = inspect_adapter(result.adapter_dir, describe_base(model))
    assert info.rank == 4 and not info.touches_vision
