"""The adapter registry's rules, shared by the admin (uploads, activation, rollback) and the
training worker (new candidates, auto-promotion).

- Versions count up per document type and are handed out under a lock on the type's row, so
  two registrations never get one number.
- A type has at most one active adapter (``document_types.active_adapter_id``); activating a
  version retires the one it replaces, and rolling back activates the version that was active
  before (twice in a row toggles, like ``kubectl rollout undo``), or none.
- Every change leaves an audit entry, and a change of the active adapter an
  ``adapter.activated`` event (``adapter`` is null when a rollback leaves the type without
  one), in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapter_store import AdapterStore
from models.adapters import Adapter, AdapterStatus
from models.audit import record_audit
from models.base import utcnow
from models.documents import DocumentType
from models.outbox import record_event


class RegistryError(ValueError):
    """A registry change that cannot be made; the message says why (shown to people)."""


class _Inspected(Protocol):
    """What the engine's ``AdapterInfo`` says about a folder (models do not import engines)."""

    @property
    def base_model(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def alpha(self) -> float: ...
    @property
    def target_modules(self) -> tuple[str, ...]: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...


@dataclass(frozen=True)
class AdapterFiles:
    """What a checked adapter folder holds."""

    base_model: str
    rank: int
    alpha: float
    target_modules: tuple[str, ...]
    sha256: str
    size_bytes: int

    @classmethod
    def of(cls, info: _Inspected) -> AdapterFiles:
        return cls(
            base_model=info.base_model,
            rank=info.rank,
            alpha=info.alpha,
            target_modules=info.target_modules,
            sha256=info.sha256,
            size_bytes=info.size_bytes,
        )


def lock_type(session: Session, name: str) -> DocumentType | None:
    """The type's row, locked until the transaction ends (versions, activation)."""
    return session.scalar(select(DocumentType).where(DocumentType.name == name).with_for_update())


def next_version(session: Session, document_type_id: int) -> int:
    latest = session.scalar(
        select(func.max(Adapter.version)).where(Adapter.document_type_id == document_type_id)
    )
    return (latest or 0) + 1


def find_adapter(session: Session, type_name: str, version: int) -> Adapter | None:
    return session.scalar(
        select(Adapter)
        .join(DocumentType, Adapter.document_type_id == DocumentType.id)
        .where(DocumentType.name == type_name, Adapter.version == version)
    )


def add_adapter(
    session: Session,
    store: AdapterStore,
    doc_type: DocumentType,
    staged: Path,
    files: AdapterFiles,
    *,
    source: str,
    created_by_id: int | None,
    train_examples: int | None = None,
    metrics: dict[str, Any] | None = None,
    training_job_id: int | None = None,
) -> Adapter:
    """Move the checked folder ``staged`` into the store as the type's next version, as a
    candidate. ``doc_type`` must have been locked with :func:`lock_type`."""
    version = next_version(session, doc_type.id)
    relative = store.install(staged, doc_type.name, version)
    try:
        adapter = Adapter(
            document_type_id=doc_type.id,
            version=version,
            status=AdapterStatus.CANDIDATE.value,
            source=source,
            base_model=files.base_model,
            rank=files.rank,
            alpha=files.alpha,
            target_modules=list(files.target_modules),
            path=relative,
            sha256=files.sha256,
            size_bytes=files.size_bytes,
            train_examples=train_examples,
            metrics=metrics or {},
            created_by_id=created_by_id,
            training_job_id=training_job_id,
        )
        adapter.document_type = doc_type
        session.add(adapter)
        session.flush()
    except BaseException:
        store.discard(relative)
        raise
    record_audit(
        session,
        created_by_id,
        f"adapter.{'trained' if source == 'training' else 'uploaded'}",
        ("adapter", adapter.id),
        key=adapter.key,
        sha256=files.sha256,
        base_model=files.base_model,
    )
    return adapter


def activate(
    session: Session,
    doc_type: DocumentType,
    adapter: Adapter,
    actor_id: int | None,
    reason: str = "activate",
) -> Adapter | None:
    """Make ``adapter`` the type's active one; returns the one it replaced."""
    if adapter.document_type_id != doc_type.id:
        raise RegistryError(f"{adapter.key} is not an adapter of {doc_type.name}")
    previous = doc_type.active_adapter
    if previous is not None and previous.id == adapter.id:
        raise RegistryError(f"{adapter.key} is the active adapter already")
    if previous is not None:
        previous.status = AdapterStatus.RETIRED.value
    adapter.status = AdapterStatus.ACTIVE.value
    adapter.activated_at = utcnow()
    adapter.activated_by_id = actor_id
    _point_at(session, doc_type, adapter)
    _changed(session, doc_type, adapter, previous, actor_id=actor_id, reason=reason)
    return previous


def deactivate(
    session: Session, doc_type: DocumentType, actor_id: int | None, reason: str = "rollback"
) -> Adapter | None:
    """Leave the type without an adapter (its documents are read by the base model)."""
    previous = doc_type.active_adapter
    if previous is None:
        raise RegistryError(f"{doc_type.name} has no active adapter")
    previous.status = AdapterStatus.RETIRED.value
    _point_at(session, doc_type, None)
    _changed(session, doc_type, None, previous, actor_id=actor_id, reason=reason)
    return previous


def rollback(
    session: Session, doc_type: DocumentType, actor_id: int | None, version: int | None = None
) -> Adapter | None:
    """Activate ``version``, or the version active before the current one, or none."""
    if version is not None:
        target = find_adapter(session, doc_type.name, version)
        if target is None:
            raise RegistryError(f"{doc_type.name} has no version {version}")
    else:
        target = previous_active(session, doc_type)
    if target is None:
        deactivate(session, doc_type, actor_id)
        return None
    activate(session, doc_type, target, actor_id, reason="rollback")
    return target


def _point_at(session: Session, doc_type: DocumentType, adapter: Adapter | None) -> None:
    # The key, not the relationship: the type and its adapters point at each other, which one
    # flush cannot order; the relationship is reloaded on next use.
    session.flush()
    doc_type.active_adapter_id = adapter.id if adapter is not None else None
    session.flush()
    session.expire(doc_type, ["active_adapter"])


def previous_active(session: Session, doc_type: DocumentType) -> Adapter | None:
    """The version activated most recently, apart from the current one."""
    query = select(Adapter).where(
        Adapter.document_type_id == doc_type.id, Adapter.activated_at.is_not(None)
    )
    if doc_type.active_adapter_id is not None:
        query = query.where(Adapter.id != doc_type.active_adapter_id)
    return session.scalar(query.order_by(Adapter.activated_at.desc()).limit(1))


def retire(session: Session, adapter: Adapter, actor_id: int | None) -> None:
    """Take a version out of consideration (it can still be activated again later)."""
    if adapter.status == AdapterStatus.ACTIVE.value:
        raise RegistryError(f"{adapter.key} is active: activate another version or roll back first")
    if adapter.status == AdapterStatus.RETIRED.value:
        raise RegistryError(f"{adapter.key} is retired already")
    adapter.status = AdapterStatus.RETIRED.value
    record_audit(session, actor_id, "adapter.retired", ("adapter", adapter.id), key=adapter.key)


def adapter_summary(adapter: Adapter) -> dict[str, Any]:
    """An adapter as events and the API show it."""
    return {
        "id": adapter.id,
        "document_type": adapter.document_type.name,
        "version": adapter.version,
        "key": adapter.key,
        "status": adapter.status,
        "source": adapter.source,
        "base_model": adapter.base_model,
        "rank": adapter.rank,
        "alpha": adapter.alpha,
        "target_modules": list(adapter.target_modules),
        "sha256": adapter.sha256,
        "size_bytes": adapter.size_bytes,
        "train_examples": adapter.train_examples,
        "training_job_id": adapter.training_job_id,
        "created_at": adapter.created_at.isoformat(),
        "activated_at": adapter.activated_at.isoformat() if adapter.activated_at else None,
    }


def _changed(
    session: Session,
    doc_type: DocumentType,
    adapter: Adapter | None,
    previous: Adapter | None,
    *,
    actor_id: int | None,
    reason: str,
) -> None:
    session.flush()
    previous_key = previous.key if previous is not None else None
    target: tuple[str, object]
    if adapter is not None:
        target = ("adapter", adapter.id)
        record_audit(
            session,
            actor_id,
            "adapter.activated",
            target,
            key=adapter.key,
            previous=previous_key,
            reason=reason,
        )
    else:
        target = ("document_type", doc_type.name)
        record_audit(
            session, actor_id, "adapter.deactivated", target, previous=previous_key, reason=reason
        )
    record_event(
        session,
        "adapter.activated",
        {
            "document_type": doc_type.name,
            "adapter": adapter_summary(adapter) if adapter is not None else None,
            "previous": previous_key,
            "reason": reason,
        },
    )
