"""The LoRA adapter registry and the retraining jobs that add to it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped
from models.documents import DocumentType


class AdapterStatus(StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


LIVE_JOB_STATUSES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class Adapter(Timestamped, Base):
    """One version of one document type's LoRA adapter; its files live in the adapter store."""

    __tablename__ = "adapters"
    __table_args__ = (
        UniqueConstraint("document_type_id", "version", name="type_version"),
        CheckConstraint("status IN ('candidate', 'active', 'retired')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type_id: Mapped[int] = mapped_column(
        ForeignKey("document_types.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=AdapterStatus.CANDIDATE.value)
    source: Mapped[str] = mapped_column(String(16), default="upload")
    base_model: Mapped[str] = mapped_column(String(512))
    rank: Mapped[int]
    alpha: Mapped[float]
    target_modules: Mapped[list[Any]] = mapped_column(default=list)
    # Relative to the adapter store, e.g. "invoice/v3".
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    train_examples: Mapped[int | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    activated_at: Mapped[datetime | None]
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    training_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_jobs.id", ondelete="SET NULL", use_alter=True)
    )

    document_type: Mapped[DocumentType] = relationship(foreign_keys=[document_type_id])

    @property
    def key(self) -> str:
        return f"{self.document_type.name}@v{self.version}"


class TrainingJob(Timestamped, Base):
    """A retraining run for one type. At most one is queued or running per type."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status"
        ),
        Index(
            "uq_training_jobs_live_per_type",
            "document_type_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type_id: Mapped[int] = mapped_column(
        ForeignKey("document_types.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"step", "total_steps", "epoch", "loss", "elapsed_s", "eta_s", "phase"}
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    log: Mapped[str] = mapped_column(Text, default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    checkpoint_dir: Mapped[str | None] = mapped_column(String(512))
    adapter_id: Mapped[int | None] = mapped_column(ForeignKey("adapters.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    # Claims so far: a job that keeps killing its worker is failed after a bounded number.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The worker (host and process) that runs or last ran the job.
    worker: Mapped[str] = mapped_column(String(255), default="", server_default="")

    document_type: Mapped[DocumentType] = relationship()
