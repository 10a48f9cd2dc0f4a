"""LoRA training of PaliGemma with peft, resumable from checkpoints.

The examples are laid out exactly as the engine serves them: the processor builds
``<image>`` x N, ``<bos>``, the type's prompt, ``\\n`` (the prefix, attended bidirectionally),
then the answer and ``<eos>``, and the loss counts the answer's tokens only. AdamW with a
short linear warm-up and a cosine decay, gradients clipped at 1. On a GPU the base stays in
bfloat16 under autocast with the LoRA weights in float32, and gradient checkpointing trades
compute for activation memory; on the CPU everything is float32.

Between steps the trainer reports progress and asks whether to go on (cancel, a lost claim);
every ``checkpoint_every_s`` it saves the LoRA weights, the optimizer and scheduler state and
the step, so a restarted worker continues where this one stopped. The order of examples is a
function of the seed and the epoch, so a resumed run takes the same batches as an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from PIL import Image
from safetensors.torch import load_file, save_file

from core.training_params import TrainingParams
from worker.engines.paligemma.loading import LoadedModel
from worker.training.dataset import Dataset
from worker.training.progress import StepReport, TrainingHooks

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint"
ADAPTER_DIR = "adapter"
MAX_CURVE_POINTS = 100


@dataclass(frozen=True)
class TrainResult:
    adapter_dir: Path
    steps: int
    resumed_at: int
    initial_loss: float  # mean over the first epoch
    final_loss: float  # mean over the last epoch
    loss_curve: list[list[float]]  # [step, mean loss] points, at most MAX_CURVE_POINTS

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "resumed_at_step": self.resumed_at,
            "initial_loss": round(self.initial_loss, 4),
            "final_loss": round(self.final_loss, 4),
            "loss_curve": self.loss_curve,
        }


@dataclass(frozen=True)
class Schedule:
    examples: int
    batch_size: int
    epochs: int
    seed: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.examples / self.batch_size)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def warmup(self) -> int:
        return min(100, max(1, self.total_steps // 15))

    def batch(self, step: int) -> list[int]:
        """The example indices of global step ``step`` (from 0); the same on every run."""
        epoch, offset = divmod(step, self.steps_per_epoch)
        order = list(range(self.examples))
        random.Random(self.seed * 100_003 + epoch).shuffle(order)  # noqa: S311
        return order[offset * self.batch_size : (offset + 1) * self.batch_size]

    def lr_factor(self, step: int) -> float:
        """Linear warm-up, then cosine decay to zero."""
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = (step - self.warmup) / max(1, self.total_steps - self.warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def train(
    loaded: LoadedModel,
    dataset: Dataset,
    params: TrainingParams,
    workdir: Path,
    hooks: TrainingHooks,
    *,
    checkpoint_every_s: float,
) -> TrainResult:
    """Train a LoRA adapter on ``dataset`` and save it (safetensors) to ``workdir/adapter``."""
    if not dataset.train:
        raise ValueError("no training examples")
    torch.manual_seed(params.seed)
    model = peft_model(loaded, params)
    schedule = Schedule(len(dataset.train), params.batch_size, params.epochs, params.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule.lr_factor)
    run = _Run(
        model,
        optimizer=optimizer,
        scheduler=scheduler,
        schedule=schedule,
        workdir=workdir,
        fingerprint=_fingerprint(dataset, params),
    )
    run.resume(hooks)
    run.loop(loaded, dataset, hooks, checkpoint_every_s)
    out = workdir / ADAPTER_DIR
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(str(out), safe_serialization=True)
    return run.result(out)


def peft_model(loaded: LoadedModel, params: TrainingParams) -> Any:
    config = LoraConfig(
        r=params.rank,
        lora_alpha=params.alpha,  # type: ignore[arg-type]  # peft says int; a float is fine
        target_modules=params.peft_targets(),
        lora_dropout=params.lora_dropout,
        bias="none",
    )
    model: Any = get_peft_model(loaded.model, config)
    if loaded.device.type == "cuda":
        # Non-reentrant checkpointing needs no input gradients through the frozen embeddings.
        model.base_model.model.gradient_checkpointing_enable(
            gradient_checkpointing_kwargs={"use_reentrant": False}
        )
        model.config.use_cache = False
    model.train()
    return model


class _Run:
    """One training run's state: model, optimizer, where it is, the losses so far."""

    def __init__(
        self,
        model: Any,
        *,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LambdaLR,
        schedule: Schedule,
        workdir: Path,
        fingerprint: str,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.schedule = schedule
        self.workdir = workdir
        self.fingerprint = fingerprint
        self.step = 0
        self.resumed_at = 0
        self.losses: list[float] = []

    def resume(self, hooks: TrainingHooks) -> None:
        folder = _checkpoint_folder(self.workdir)
        if folder is None:
            return
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("fingerprint") != self.fingerprint:
            hooks.log("a checkpoint of other data or parameters was found; starting over")
            return
        set_peft_model_state_dict(self.model, load_file(str(folder / "adapter.safetensors")))
        state = torch.load(folder / "state.pt", map_location="cpu", weights_only=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        self.step = self.resumed_at = int(meta["step"])
        self.losses = [float(value) for value in meta["losses"]]
        hooks.log(f"resumed from the checkpoint at step {self.step}")

    def loop(
        self, loaded: LoadedModel, dataset: Dataset, hooks: TrainingHooks, every_s: float
    ) -> None:
        started = last_saved = time.monotonic()
        total = self.schedule.total_steps
        hooks.log(
            f"training {total} steps: {len(dataset.train)} examples, "
            f"{self.schedule.epochs} epochs of {self.schedule.steps_per_epoch} steps"
        )
        while self.step < total:
            hooks.check()
            self.losses.append(self._step(loaded, dataset))
            self.step += 1
            hooks.on_step(self._report(time.monotonic() - started))
            if self.step < total and time.monotonic() - last_saved >= every_s:
                self.save_checkpoint()
                last_saved = time.monotonic()

    def _step(self, loaded: LoadedModel, dataset: Dataset) -> float:
        examples = [dataset.train[i] for i in self.schedule.batch(self.step)]
        batch = encode_batch(
            loaded,
            dataset.prompt,
            [Image.open(self.workdir / e.image).convert("RGB") for e in examples],
            [e.target for e in examples],
        )
        on_gpu = loaded.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=on_gpu):
            loss = self.model(**batch).loss
        loss.backward()
        params = [p for p in self.model.parameters() if p.requires_grad]
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"the loss became {value} at step {self.step + 1}: lower the learning rate"
            )
        return value

    def _report(self, elapsed_s: float) -> StepReport:
        window = self.losses[-self.schedule.steps_per_epoch :]
        epoch = (self.step - 1) // self.schedule.steps_per_epoch + 1
        return StepReport(
            self.step, self.schedule.total_steps, epoch, sum(window) / len(window), elapsed_s
        )

    def save_checkpoint(self) -> None:
        """Write the checkpoint to a new folder, then swap it in (a crash leaves one whole)."""
        fresh = self.workdir / f"{CHECKPOINT}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        save_file(get_peft_model_state_dict(self.model), str(fresh / "adapter.safetensors"))
        torch.save(
            {
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "rng": torch.get_rng_state(),
            },
            fresh / "state.pt",
        )
        meta = {"step": self.step, "fingerprint": self.fingerprint, "losses": self.losses}
        (fresh / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        current, old = self.workdir / CHECKPOINT, self.workdir / f"{CHECKPOINT}.old"
        shutil.rmtree(old, ignore_errors=True)
        if current.exists():
            current.rename(old)
        fresh.rename(current)
        shutil.rmtree(old, ignore_errors=True)

    def result(self, adapter_dir: Path) -> TrainResult:
        per_epoch = self.schedule.steps_per_epoch
        return TrainResult(
            adapter_dir=adapter_dir,
            steps=self.step,
            resumed_at=self.resumed_at,
            initial_loss=_mean(self.losses[:per_epoch]),
            final_loss=_mean(self.losses[-per_epoch:]),
            loss_curve=loss_curve(self.losses),
        )


def encode_batch(
    loaded: LoadedModel, prompt: str, images: Sequence[Image.Image], targets: Sequence[str]
) -> dict[str, torch.Tensor]:
    """Processor inputs with labels for ``targets`` (the answer tokens and ``<eos>`` only)."""
    batch = loaded.processor(
        images=list(images),
        text=["<image>" + prompt] * len(images),
        suffix=list(targets),
        return_tensors="pt",
        padding="longest",
    )
    moved = {key: value.to(loaded.device) for key, value in batch.items()}
    moved["pixel_values"] = moved["pixel_values"].to(loaded.dtype)
    return moved


def _checkpoint_folder(workdir: Path) -> Path | None:
    for name in (CHECKPOINT, f"{CHECKPOINT}.old"):
        folder = workdir / name
        if (folder / "meta.json").is_file():
            return folder
    return None


def _fingerprint(dataset: Dataset, params: TrainingParams) -> str:
    """What a checkpoint must have been trained on to be resumed."""
    data = {
        "params": params.to_json(),
        "train": [[e.image, e.target] for e in dataset.train],
        "prompt": dataset.prompt,
        "size": dataset.image_size,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def loss_curve(losses: Sequence[float]) -> list[list[float]]:
    """``[step, mean loss]`` over equal buckets of steps, at most MAX_CURVE_POINTS of them."""
    size = max(1, math.ceil(len(losses) / MAX_CURVE_POINTS))
    return [
        [min(start + size, len(losses)), round(_mean(losses[start : start + size]), 4)]
        for start in range(0, len(losses), size)
    ]
