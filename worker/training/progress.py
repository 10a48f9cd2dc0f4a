"""What the trainer tells while it runs, and how it is asked to stop (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StepReport:
    step: int  # steps done
    total_steps: int
    epoch: int  # from 1
    loss: float  # mean over the last epoch's worth of steps
    elapsed_s: float  # training time of this run (a resumed run counts from its own start)


class TrainingHooks(Protocol):
    def on_step(self, report: StepReport) -> None: ...

    def check(self) -> None:
        """Raise to stop between steps (cancelled, or the job was handed to another worker)."""

    def log(self, message: str) -> None: ...
