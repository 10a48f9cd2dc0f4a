"""The adapter store: where LoRA adapter files live on disk (``FORMLENS_DATA_DIR/adapters``).

Layout: ``<type>/v<version>/`` holds one adapter version (``adapter_config.json`` and
``*.safetensors``), the path an ``Adapter`` row records relative to the store and
:func:`models.catalog.adapter_ref` resolves for the workers. New files are first written to
``.staging/<random>/`` inside the store, checked there, and renamed into place: a rename on
one filesystem, so a worker never sees half an adapter, and nothing being checked is ever
written outside the store. ``.bases/`` holds descriptions of base models (identity and layer
shapes) published by hosts that have the weights, for hosts that check adapters without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGING = ".staging"
BASES = ".bases"
# Document type names become folder names: keep them to a safe alphabet.
TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class AdapterStore:
    root: Path

    def relative_path(self, type_name: str, version: int) -> str:
        if not TYPE_NAME.fullmatch(type_name) or version < 1:
            raise ValueError(f"no adapter path for {type_name!r} v{version}")
        return f"{type_name}/v{version}"

    def path(self, relative: str) -> Path:
        return self.root / relative

    @contextmanager
    def staging(self, label: str = "") -> Iterator[Path]:
        """A fresh, empty folder inside the store, removed (with what is left in it) after."""
        suffix = f"-{label}" if label else ""
        folder = self.root / STAGING / f"{uuid.uuid4().hex}{suffix}"
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def install(self, files: Path, type_name: str, version: int) -> str:
        """Move the checked folder ``files`` (in staging) into place; returns its path.

        A folder already at that place has no row (versions are only handed out under the
        type's row lock, and a row is written right after this): it is what a crash between
        the move and the commit left behind, and is replaced.
        """
        relative = self.relative_path(type_name, version)
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        files.rename(target)
        return relative

    def base_description(self, model: str) -> Path:
        """Where the description of base ``model`` (as configured) is published for hosts
        that check adapters without the weights (the web server); see ``BaseModelInfo``."""
        digest = hashlib.sha256(model.encode()).hexdigest()[:16]
        return self.root / BASES / f"{digest}.json"

    def publish_base(self, model: str, description: dict[str, Any]) -> None:
        """Write a base's description (``BaseModelInfo.to_json()``) where others read it."""
        target = self.base_description(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(description), encoding="utf-8")
        temporary.replace(target)

    def discard(self, relative: str) -> None:
        """Remove an installed version whose row was never written."""
        shutil.rmtree(self.path(relative), ignore_errors=True)
