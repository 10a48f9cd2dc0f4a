"""Use cases of the adapter registry for admins: upload a version, activate, roll back, retire.

An upload is streamed into a staging folder inside the adapter store under a size limit,
unpacked by :mod:`core.archives` (paths, links and bombs refused), checked by the engine's
torch-free :func:`inspect_adapter` against the base model the type is read with (safetensors
only, LoRA tensors whose shapes fit that base, the right base), stamped with the base's
fingerprint, and renamed to ``<type>/v<N>``. The staging folder is removed whatever happens.
The web host never imports torch: the base is described from its safetensors headers (or from
the description a host with the weights published, see :func:`configured_base`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.adapter_store import AdapterStore
from core.archives import ArchiveLimits, ArchiveRefused, copy_folder, unpack_archive
from core.settings import Settings
from models import Adapter, DocumentType
from models.adapter_registry import (
    AdapterFiles,
    RegistryError,
    activate,
    add_adapter,
    lock_type,
    retire,
    rollback,
)
from web.extensions import Services
from web.services.admin_common import AdminRefused, get_type
from worker.engines.paligemma.adapter_files import (
    AdapterFileError,
    AdapterInfo,
    inspect_adapter,
    stamp_adapter,
)
from worker.engines.paligemma.base_model import BaseModelInfo, describe_base
from worker.engines.paligemma.checkpoint import CheckpointError, resolve_model_dir
from worker.engines.paligemma.safetensors_io import SafetensorsError

log = logging.getLogger(__name__)
MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AdapterUpload:
    """Who registers a new version of which type, and whether it becomes active at once."""

    type_name: str
    actor_id: int | None
    activate: bool = False


def store_of(settings: Settings) -> AdapterStore:
    return AdapterStore(settings.adapter_dir)


def archive_limits(settings: Settings) -> ArchiveLimits:
    return ArchiveLimits(
        max_bytes=settings.adapter_unpacked_max_bytes,
        max_entries=settings.adapter_archive_max_entries,
        max_ratio=settings.adapter_archive_max_ratio,
    )


# --- the base model adapters are checked against ----------------------------------------------


def base_name(settings: Settings, doc_type: DocumentType) -> str:
    """The checkpoint the type is read with: its own override, else the configured model."""
    return doc_type.base_model or settings.paligemma_model


def configured_base(settings: Settings, name: str) -> BaseModelInfo:
    """The base ``name`` as described by its files, or as a host with the weights published it."""
    if not name:
        raise AdminRefused(
            "No PaliGemma base model is configured (FORMLENS_PALIGEMMA_MODEL): adapters are "
            "checked against it before they are accepted.",
            409,
        )
    try:
        path = resolve_model_dir(name)
    except CheckpointError:
        return _published_base(settings, name)
    try:
        return _describe(str(path), name, _stamp(path))
    except (CheckpointError, SafetensorsError, OSError) as error:
        raise AdminRefused(f"The base model {name} cannot be read: {error}", 409) from None


def _stamp(path: Path) -> float:
    """Changes when the checkpoint is replaced in place (a new config or weights)."""
    return max(entry.stat().st_mtime for entry in path.iterdir() if entry.is_file())


@lru_cache(maxsize=8)
def _describe(path: str, name: str, _stamp: float) -> BaseModelInfo:
    return describe_base(Path(path), name)


def _published_base(settings: Settings, name: str) -> BaseModelInfo:
    published = store_of(settings).base_description(name)
    try:
        return BaseModelInfo.from_json(json.loads(published.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise AdminRefused(
            f"The base model {name} is not readable on this host and no worker has published "
            "its description yet (run `formlens adapters describe-base` where the weights are).",
            409,
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        message = f"The published description of {name} is damaged: {error}"
        raise AdminRefused(message, 409) from None


# --- upload --------------------------------------------------------------------------------------


def upload_adapter(services: Services, stream: IO[bytes], upload: AdapterUpload) -> int:
    """Check and register an archive of a peft LoRA folder; returns the new adapter's id."""
    settings = services.settings
    with services.database.session() as session:
        base = configured_base(settings, base_name(settings, get_type(session, upload.type_name)))
    store = store_of(settings)
    with store.staging("upload") as staging:
        archive = staging / "archive"
        _save(stream, archive, settings.adapter_upload_max_bytes)
        files = staging / "files"
        files.mkdir()
        try:
            unpack_archive(archive, files, archive_limits(settings))
        except ArchiveRefused as refused:
            raise AdminRefused(f"The archive is refused: {refused}", 422) from None
        return register_folder(services, files, base, upload)


def upload_folder(services: Services, folder: Path, upload: AdapterUpload) -> int:
    """The same for a local peft folder (the CLI), copied into staging first."""
    settings = services.settings
    with services.database.session() as session:
        base = configured_base(settings, base_name(settings, get_type(session, upload.type_name)))
    with store_of(settings).staging("upload") as staging:
        try:
            copy_folder(folder, staging, archive_limits(settings))
        except ArchiveRefused as refused:
            raise AdminRefused(f"The folder is refused: {refused}", 422) from None
        return register_folder(services, staging, base, upload)


def _save(stream: IO[bytes], target: Path, limit: int) -> None:
    written = 0
    with target.open("xb") as out:
        for block in iter(lambda: stream.read(MiB), b""):
            written += len(block)
            if written > limit:
                raise AdminRefused(
                    f"The archive is larger than the limit of {limit // MiB} MiB.", 413
                )
            out.write(block)


def check_adapter(files: Path, base: BaseModelInfo) -> AdapterInfo:
    """Inspect against ``base``, stamp its fingerprint, and inspect again (hashes change)."""
    try:
        inspect_adapter(files, base)
        stamp_adapter(files, base)
        return inspect_adapter(files, base)
    except AdapterFileError as error:
        raise AdminRefused(f"The adapter is refused: {error}", 422) from None


def register_folder(
    services: Services, files: Path, base: BaseModelInfo, upload: AdapterUpload
) -> int:
    info = check_adapter(files, base)
    with services.database.session() as session:
        doc_type = lock_type(session, upload.type_name)
        if doc_type is None:
            raise AdminRefused(f"There is no document type {upload.type_name!r}.", 404)
        adapter = add_adapter(
            session,
            store_of(services.settings),
            doc_type,
            files,
            AdapterFiles.of(info),
            source="upload",
            created_by_id=upload.actor_id,
        )
        if upload.activate:
            activate(session, doc_type, adapter, upload.actor_id)
        log.info("registered %s (%s)", adapter.key, info.sha256[:12])
        return adapter.id


# --- activation, rollback, retirement -------------------------------------------------------------


def activate_adapter(services: Services, adapter_id: int, actor_id: int | None) -> str:
    """Make the adapter its type's active one, after checking its files again; returns its key."""
    with services.database.session() as session:
        adapter = _adapter(session, adapter_id)
        doc_type = _locked(session, adapter.document_type.name)
        _check_files(services.settings, adapter, doc_type)
        try:
            activate(session, doc_type, adapter, actor_id)
        except RegistryError as error:
            raise AdminRefused(str(error), 409) from None
        return adapter.key


def rollback_type(
    services: Services, type_name: str, actor_id: int | None, version: int | None = None
) -> str | None:
    """Roll back to ``version`` or to the previously active one; returns the key now active."""
    with services.database.session() as session:
        doc_type = _locked(session, type_name)
        if version is not None:
            target = session.scalar(
                select(Adapter).where(
                    Adapter.document_type_id == doc_type.id, Adapter.version == version
                )
            )
            if target is not None:
                _check_files(services.settings, target, doc_type)
        try:
            now_active = rollback(session, doc_type, actor_id, version)
        except RegistryError as error:
            raise AdminRefused(str(error), 409) from None
        return now_active.key if now_active is not None else None


def retire_adapter(services: Services, adapter_id: int, actor_id: int | None) -> str:
    with services.database.session() as session:
        adapter = _adapter(session, adapter_id)
        try:
            retire(session, adapter, actor_id)
        except RegistryError as error:
            raise AdminRefused(str(error), 409) from None
        return adapter.key


def _adapter(session: Session, adapter_id: int) -> Adapter:
    adapter = session.get(Adapter, adapter_id, options=[joinedload(Adapter.document_type)])
    if adapter is None:
        raise AdminRefused("There is no such adapter.", 404)
    return adapter


def _locked(session: Session, name: str) -> DocumentType:
    doc_type = lock_type(session, name)
    if doc_type is None:
        raise AdminRefused(f"There is no document type {name!r}.", 404)
    return doc_type


def _check_files(settings: Settings, adapter: Adapter, doc_type: DocumentType) -> None:
    """The files must still be there and fit the base the type is read with now."""
    path = store_of(settings).path(adapter.path)
    try:
        base = configured_base(settings, base_name(settings, doc_type))
    except AdminRefused:
        base = None  # checked against its base at upload; the worker checks again on load
    try:
        info = inspect_adapter(path, base)
    except AdapterFileError as error:
        raise AdminRefused(f"{adapter.key} cannot be activated: {error}", 409) from None
    if info.sha256 != adapter.sha256:
        raise AdminRefused(
            f"{adapter.key} cannot be activated: its files changed since it was registered.", 409
        )


# --- reading ------------------------------------------------------------------------------------


def list_adapters(session: Session, type_name: str | None = None) -> list[Adapter]:
    """Every version, newest first per type."""
    query = (
        select(Adapter)
        .join(DocumentType, Adapter.document_type_id == DocumentType.id)
        .options(joinedload(Adapter.document_type))
        .order_by(DocumentType.name, Adapter.version.desc())
    )
    if type_name:
        query = query.where(DocumentType.name == type_name)
    return list(session.scalars(query))
