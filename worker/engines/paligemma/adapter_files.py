"""Validation of a peft LoRA adapter directory, without torch (the web admin calls it on upload).

An adapter is accepted only as ``adapter_config.json`` + ``*.safetensors`` (+ an optional
``README.md``): pickled weights (``.bin``, ``.pt``, ...) are refused, since loading a pickle runs
arbitrary code. The safetensors headers must be well formed and complete, every tensor must be
a LoRA ``lora_A``/``lora_B`` pair whose shapes fit the named base module, and the adapter must
name its base: by fingerprint (stamped by :func:`stamp_adapter` when FormLens trains or
registers it) or, for adapters trained elsewhere, by the base's repository name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.doctypes import AdapterRef
from worker.engines.paligemma.base_model import (
    FINGERPRINT_PREFIX,
    BaseModelInfo,
    canonical_module,
    model_name,
)
from worker.engines.paligemma.checkpoint import PICKLED_SUFFIXES
from worker.engines.paligemma.safetensors_io import (
    SafetensorsError,
    SafetensorsHeader,
    TensorEntry,
    read_header,
    write_metadata,
)

CONFIG_FILE = "adapter_config.json"
OPTIONAL_FILES = frozenset({"README.md"})
META_FINGERPRINT = "formlens.base_fingerprint"
META_BASE_NAME = "formlens.base_model"
MAX_ADAPTER_BYTES = 2 * 1024**3
MAX_RANK = 1024
VISION_PREFIXES = ("vision_tower.", "multi_modal_projector.")
_LORA_TENSOR = re.compile(r"^(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")
_FLOAT_DTYPES = frozenset({"F32", "F16", "BF16"})
# peft options FormLens does not serve: each changes what the tensors mean or adds non-LoRA ones.
_UNSUPPORTED = {
    "use_dora": "DoRA",
    "modules_to_save": "modules_to_save (full copies of base modules)",
    "trainable_token_indices": "trainable token embeddings",
    "target_parameters": "LoRA on raw parameters",
    "lora_bias": "LoRA biases",
    "layer_replication": "layer replication",
}


class AdapterFileError(ValueError):
    """The adapter directory is refused; the message says why (shown to the admin)."""


@dataclass(frozen=True)
class AdapterInfo:
    """What a valid adapter directory holds."""

    path: Path
    base_model: str  # identity: the base's fingerprint when stamped, else its name
    base_fingerprint: str | None
    base_model_name: str
    rank: int
    alpha: float
    target_modules: tuple[str, ...]  # as declared (one entry for a regex)
    modules: tuple[str, ...]  # canonical names of the modules the tensors adapt
    touches_vision: bool  # whether image features depend on this adapter
    size_bytes: int
    sha256: str  # over the directory: sorted "name\0sha256(file)" lines
    file_sha256: Mapping[str, str]
    weight_files: tuple[str, ...]


def inspect_adapter(path: Path, base: BaseModelInfo | None = None) -> AdapterInfo:
    """Check the adapter at ``path`` (against ``base`` when given) and describe it."""
    files = _list_files(path)
    config = _read_config(path / CONFIG_FILE)
    rank, alpha = _rank_alpha(config)
    weights = sorted(name for name in files if name.endswith(".safetensors"))
    tensors = _lora_tensors(path, weights)
    pairs = _pairs(tensors, rank, strict_rank=not config.get("rank_pattern"))
    targets = _target_modules(config)
    _check_declared(pairs, targets)
    fingerprint, base_name = _base_identity(path, weights, config)
    if base is not None:
        _check_against_base(pairs, targets, fingerprint, base_name, base)
    hashes = {name: _sha256(path / name) for name in sorted(files)}
    manifest = "".join(f"{name}\0{digest}\n" for name, digest in hashes.items())
    return AdapterInfo(
        path=path,
        base_model=fingerprint or base_name,
        base_fingerprint=fingerprint,
        base_model_name=base_name,
        rank=rank,
        alpha=alpha,
        target_modules=targets.names,
        modules=tuple(sorted(pairs)),
        touches_vision=any(module.startswith(VISION_PREFIXES) for module in pairs),
        size_bytes=sum((path / name).stat().st_size for name in files),
        sha256=hashlib.sha256(manifest.encode()).hexdigest(),
        file_sha256=hashes,
        weight_files=tuple(weights),
    )


def stamp_adapter(path: Path, base: BaseModelInfo) -> None:
    """Record ``base``'s identity in the adapter's safetensors metadata (training, upload)."""
    for name in sorted(_list_files(path)):
        if name.endswith(".safetensors"):
            write_metadata(
                path / name, {META_FINGERPRINT: base.fingerprint, META_BASE_NAME: base.name}
            )


def adapter_path(ref: AdapterRef, adapter_dir: Path) -> Path:
    """Where ``ref``'s files are: its path, relative to the adapter store unless absolute."""
    path = Path(ref.path).expanduser()
    return path if path.is_absolute() else adapter_dir / path


def read_adapter_config(path: Path) -> dict[str, Any]:
    """The parsed ``adapter_config.json`` (after :func:`inspect_adapter` accepted ``path``)."""
    return _read_config(path / CONFIG_FILE)


def _list_files(path: Path) -> set[str]:
    if not path.is_dir():
        raise AdapterFileError(f"adapter directory {path} does not exist")
    names: set[str] = set()
    for entry in path.iterdir():
        if entry.suffix.lower() in PICKLED_SUFFIXES:
            raise AdapterFileError(
                f"{entry.name}: pickled weights are refused (loading a pickle runs code); "
                "save the adapter with safetensors (peft's default)"
            )
        if entry.is_symlink() or not entry.is_file():
            raise AdapterFileError(f"{entry.name}: only plain files are accepted")
        if (
            entry.name != CONFIG_FILE
            and entry.suffix != ".safetensors"
            and entry.name not in OPTIONAL_FILES
        ):
            raise AdapterFileError(
                f"{entry.name}: unexpected file (expected {CONFIG_FILE}, *.safetensors, README.md)"
            )
        names.add(entry.name)
    if CONFIG_FILE not in names:
        raise AdapterFileError(f"{CONFIG_FILE} is missing")
    if not any(name.endswith(".safetensors") for name in names):
        raise AdapterFileError("no .safetensors weights")
    total = sum((path / name).stat().st_size for name in names)
    if total > MAX_ADAPTER_BYTES:
        raise AdapterFileError(f"adapter is {total} bytes, more than {MAX_ADAPTER_BYTES}")
    return names


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AdapterFileError(f"{CONFIG_FILE} cannot be read: {error}") from None
    if not isinstance(config, dict):
        raise AdapterFileError(f"{CONFIG_FILE} is not a JSON object")
    if config.get("peft_type") != "LORA":
        raise AdapterFileError(f"peft_type is {config.get('peft_type')!r}; only LORA is served")
    for key, label in _UNSUPPORTED.items():
        if config.get(key):
            raise AdapterFileError(f"{label} is not supported (plain LoRA only)")
    if config.get("bias", "none") != "none":
        raise AdapterFileError(f"bias={config['bias']!r} is not supported (plain LoRA only)")
    return config


def _rank_alpha(config: Mapping[str, Any]) -> tuple[int, float]:
    rank, alpha = config.get("r"), config.get("lora_alpha")
    if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= MAX_RANK:
        raise AdapterFileError(f"rank r={rank!r} must be an integer in 1..{MAX_RANK}")
    if not isinstance(alpha, int | float) or isinstance(alpha, bool) or alpha <= 0:
        raise AdapterFileError(f"lora_alpha={alpha!r} must be a positive number")
    return rank, float(alpha)


@dataclass(frozen=True, slots=True)
class _Targets:
    """peft's ``target_modules``: names matched as suffixes, or one regex (a string)."""

    names: tuple[str, ...]
    regex: bool

    def selects(self, module: str) -> bool:
        if self.regex and self.names == ("all-linear",):
            return not module.startswith("lm_head")
        # peft matches against its own module names, which depend on the transformers
        # version: accept the canonical, the in-memory and the 4.x spelling.
        spellings = (module, "model." + module, _legacy_spelling(module))
        if self.regex:
            return any(re.fullmatch(self.names[0], name) for name in spellings)
        return any(name == t or name.endswith("." + t) for name in spellings for t in self.names)


def _legacy_spelling(module: str) -> str:
    for prefix, legacy in (
        ("language_model.", "language_model.model."),
        ("vision_tower.", "vision_tower.vision_model."),
    ):
        if module.startswith(prefix):
            return legacy + module[len(prefix) :]
    return module


def _target_modules(config: Mapping[str, Any]) -> _Targets:
    targets = config.get("target_modules")
    if isinstance(targets, str) and targets:
        return _Targets((targets,), regex=True)
    if isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets):
        return _Targets(tuple(sorted(targets)), regex=False)
    raise AdapterFileError(f"target_modules={targets!r} must name the adapted modules")


def _lora_tensors(path: Path, weights: Iterable[str]) -> dict[str, TensorEntry]:
    tensors: dict[str, TensorEntry] = {}
    for name in weights:
        header = _header(path / name)
        for key, entry in header.tensors.items():
            if key in tensors:
                raise AdapterFileError(f"tensor {key} appears in two files")
            if entry.dtype not in _FLOAT_DTYPES or len(entry.shape) != 2:
                raise AdapterFileError(
                    f"tensor {key}: {entry.dtype} {list(entry.shape)} is not a LoRA matrix"
                )
            tensors[key] = entry
    if not tensors:
        raise AdapterFileError("the weights hold no tensors")
    return tensors


def _header(path: Path) -> SafetensorsHeader:
    try:
        return read_header(path)
    except SafetensorsError as error:
        raise AdapterFileError(str(error)) from None
    except OSError as error:
        raise AdapterFileError(f"{path.name} cannot be read: {error}") from None


def _pairs(
    tensors: Mapping[str, TensorEntry], rank: int, *, strict_rank: bool
) -> dict[str, tuple[int, int]]:
    """Canonical module -> (out, in) implied by its lora_A [r, in] and lora_B [out, r]."""
    parts: dict[str, dict[str, TensorEntry]] = {}
    for key, entry in tensors.items():
        match = _LORA_TENSOR.match(key)
        if match is None:
            raise AdapterFileError(f"tensor {key} is not a LoRA lora_A/lora_B weight")
        parts.setdefault(canonical_module(match["module"]), {})[match["part"]] = entry
    shapes: dict[str, tuple[int, int]] = {}
    for module, pair in sorted(parts.items()):
        if set(pair) != {"A", "B"}:
            raise AdapterFileError(f"{module}: lora_A and lora_B must both be present")
        (r_a, n_in), (n_out, r_b) = pair["A"].shape, pair["B"].shape
        if r_a != r_b or (strict_rank and r_a != rank):
            raise AdapterFileError(
                f"{module}: LoRA rank {r_a}/{r_b} in the tensors, r={rank} in the config"
            )
        shapes[module] = (n_out, n_in)
    return shapes


def _check_declared(pairs: Mapping[str, tuple[int, int]], targets: _Targets) -> None:
    """Every adapted module must be one that ``target_modules`` selects."""
    for module in pairs:
        if not targets.selects(module):
            raise AdapterFileError(f"{module} has weights but is not in target_modules")


def _base_identity(
    path: Path, weights: Iterable[str], config: Mapping[str, Any]
) -> tuple[str | None, str]:
    fingerprints = {_header(path / name).metadata.get(META_FINGERPRINT) for name in weights}
    if len(fingerprints) > 1:
        raise AdapterFileError("weight files disagree about their base model")
    fingerprint = fingerprints.pop()
    if fingerprint is not None and not fingerprint.startswith(FINGERPRINT_PREFIX):
        raise AdapterFileError(f"malformed base fingerprint {fingerprint!r}")
    name = str(config.get("base_model_name_or_path") or "")
    if fingerprint is None and not name:
        raise AdapterFileError("the adapter does not say which base model it was trained on")
    return fingerprint, model_name(name) if name else ""


def _check_against_base(
    pairs: Mapping[str, tuple[int, int]],
    targets: _Targets,
    fingerprint: str | None,
    base_name: str,
    base: BaseModelInfo,
) -> None:
    identity = fingerprint or base_name
    if not base.matches(identity):
        raise AdapterFileError(
            f"the adapter was trained on base {base_name or '?'} ({identity}); "
            f"the configured base is {base.name} ({base.fingerprint})"
        )
    for target in targets.names:
        one = _Targets((target,), targets.regex)
        if not any(one.selects(module) for module in base.linear_shapes):
            raise AdapterFileError(f"target module {target!r} does not exist in {base.name}")
    for module, shape in pairs.items():
        expected = base.linear_shapes.get(module)
        if expected is None:
            raise AdapterFileError(f"{module} does not exist in {base.name}")
        if expected != shape:
            raise AdapterFileError(
                f"{module}: adapter expects {shape[1]}->{shape[0]} features, "
                f"the base has {expected[1]}->{expected[0]}"
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
