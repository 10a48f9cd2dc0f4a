"""What the admin templates show, computed in Python: metrics side by side, curves, progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint

from models import JobStatus, TrainingJob
from models.adapters import LIVE_JOB_STATUSES


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One field's accuracy for the new adapter and the active one on the same documents."""

    name: str
    candidate: float | None
    active: float | None
    labelled: int

    @property
    def delta(self) -> float | None:
        if self.candidate is None or self.active is None:
            return None
        return round(self.candidate - self.active, 3)


def metric_rows(metrics: Mapping[str, Any]) -> list[MetricRow]:
    """Per-field accuracy of ``metrics['candidate']`` beside ``metrics['active']``."""
    candidate = (metrics.get("candidate") or {}).get("per_field") or {}
    active = (metrics.get("active") or {}).get("per_field") or {}
    rows = []
    for name in sorted(set(candidate) | set(active)):
        new, old = candidate.get(name) or {}, active.get(name) or {}
        rows.append(
            MetricRow(
                name,
                new.get("accuracy"),
                old.get("accuracy"),
                int(new.get("labelled") or old.get("labelled") or 0),
            )
        )
    return rows


def curve_points(curve: Sequence[Sequence[float]], width: int = 360, height: int = 90) -> str:
    """An SVG polyline's ``points`` for a loss curve of ``[step, loss]`` pairs."""
    if len(curve) < 2:
        return ""
    steps = [point[0] for point in curve]
    losses = [point[1] for point in curve]
    low, high = min(losses), max(losses)
    span_x = (steps[-1] - steps[0]) or 1
    span_y = (high - low) or 1
    return " ".join(
        f"{(step - steps[0]) / span_x * width:.1f},{(high - loss) / span_y * height:.1f}"
        for step, loss in zip(steps, losses, strict=True)
    )


@dataclass(frozen=True, slots=True)
class ProgressView:
    phase: str
    live: bool
    step: int | None
    total_steps: int | None
    epoch: int | None
    loss: float | None
    elapsed_s: float | None
    eta_s: float | None

    @property
    def percent(self) -> int | None:
        if not self.step or not self.total_steps:
            return None
        return min(100, round(100 * self.step / self.total_steps))


def progress_view(job: TrainingJob) -> ProgressView:
    progress = job.progress or {}
    return ProgressView(
        phase=str(progress.get("phase") or job.status),
        live=job.status in LIVE_JOB_STATUSES,
        step=progress.get("step"),
        total_steps=progress.get("total_steps"),
        epoch=progress.get("epoch"),
        loss=progress.get("loss"),
        elapsed_s=progress.get("elapsed_s"),
        eta_s=progress.get("eta_s"),
    )


def duration(seconds: float | None) -> str:
    """``75`` -> ``1 min 15 s``; ``None`` -> an em dash."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def filesize(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - the loop returns


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def job_status_class(status: str) -> str:
    """The portal's badge colours for job states."""
    return {
        JobStatus.QUEUED.value: "queued",
        JobStatus.RUNNING.value: "processing",
        JobStatus.SUCCEEDED.value: "approved",
        JobStatus.FAILED.value: "failed",
        JobStatus.CANCELLED.value: "cancelled",
    }.get(status, status)


def register_filters(blueprint: Blueprint) -> None:
    for name, function in (
        ("duration", duration),
        ("filesize", filesize),
        ("percent", percent),
        ("job_status_class", job_status_class),
    ):
        blueprint.add_app_template_filter(function, name)
