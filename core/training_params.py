"""The parameters of a LoRA retraining job, checked in one place for the admin, the API and the
CLI, stored as JSON on the job row and read back by the training worker.

Defaults follow common PaliGemma fine-tuning practice for documents: LoRA on the language
model's attention and MLP projections (the vision tower stays frozen, so a page's image
features do not depend on the adapter and are shared between reading passes), a few epochs,
a learning rate in the 1e-4 range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ALL_LINEAR = "all-linear"
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# When a type has fewer reviewed documents than this, "auto" tops up with synthetic ones.
AUTO_SYNTHETIC_TARGET = 64


class InvalidParams(ValueError):
    """Parameters that cannot be used; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


@dataclass(frozen=True)
class TrainingParams:
    rank: int = 16
    alpha: float = 32.0
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    vision: bool = False  # also adapt the vision tower and projector
    epochs: int = 3
    learning_rate: float = 2e-4
    batch_size: int = 4
    lora_dropout: float = 0.05
    max_examples: int = 2000
    synthetic_documents: int | None = None  # None: top up to AUTO_SYNTHETIC_TARGET
    eval_fraction: float = 0.2
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainingParams:
        """Parameters from a job row or an API body; unknown keys are refused."""
        return parse_params(data)

    def peft_targets(self) -> str | list[str]:
        """``target_modules`` as peft takes it: names anywhere, or the language model only."""
        if self.target_modules == (ALL_LINEAR,):
            return ALL_LINEAR
        if self.vision:
            return list(self.target_modules)
        names = "|".join(re.escape(name) for name in self.target_modules)
        return rf".*language_model\..*\.(?:{names})"


# name -> (low, high) for the numbers, checked inclusively.
_RANGES: Mapping[str, tuple[float, float]] = {
    "rank": (1, 256),
    "alpha": (0.01, 4096),
    "epochs": (1, 1000),
    "learning_rate": (1e-7, 0.1),
    "batch_size": (1, 256),
    "lora_dropout": (0.0, 0.5),
    "max_examples": (1, 1_000_000),
    "synthetic_documents": (0, 100_000),
    "eval_fraction": (0.0, 0.5),
    "seed": (0, 2**31 - 1),
}
_INTEGERS = frozenset(
    {"rank", "epochs", "batch_size", "max_examples", "synthetic_documents", "seed"}
)


def parse_params(data: Mapping[str, Any]) -> TrainingParams:
    """Check ``data`` (strings from a form, or JSON values) and build the parameters."""
    known = {f.name for f in fields(TrainingParams)}
    errors = {name: "unknown parameter" for name in data if name not in known}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in known or raw is None or raw == "":
            continue
        try:
            values[name] = _parse_one(name, raw)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise InvalidParams(errors)
    return TrainingParams(**values)


def _parse_one(name: str, raw: Any) -> Any:
    if name == "target_modules":
        return _targets(raw)
    if name == "vision":
        return _flag(raw)
    number = _number(raw, integer=name in _INTEGERS)
    low, high = _RANGES[name]
    if not low <= number <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    return number


def _number(raw: Any, *, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if integer:
        if value != int(value):
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on", "y"}:
        return True
    if text in {"0", "false", "no", "off", "n"}:
        return False
    raise ValueError("must be true or false")


def _targets(raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError("must be a list of module names")
    names = tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    if not names:
        raise ValueError("name at least one module (e.g. q_proj, v_proj) or all-linear")
    if ALL_LINEAR in names:
        if len(names) > 1:
            raise ValueError("all-linear stands alone")
        return names
    for name in names:
        if not _MODULE_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a module name")
    return names
