"""Fixtures for the PaliGemma engine: tiny random checkpoints built once per test session.

Two checkpoints: the 896 px one (4096 image tokens, the documents default) for what must be
shown at full input size, and a 448 px one (1024 image tokens, 16x cheaper attention on CPU)
for the tests that run many batches. Both go through the same loading code as a real model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from core.files import PNG, TIFF
from worker.engines.paligemma.loading import LoadedModel, load_model
from worker.engines.paligemma.tiny import build_tiny_adapter, build_tiny_checkpoint
from worker.pipeline.source import SourceDocument


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny896"), image_size=896)


@pytest.fixture(scope="session")
def tiny448_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny448"), image_size=448)


@pytest.fixture(scope="session")
def other_base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Same architecture as ``tiny448_dir``, other weights: a different base model."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("other448"), image_size=448, seed=7)


@pytest.fixture(scope="session")
def loaded896(tiny_dir: Path) -> LoadedModel:
    return load_model(str(tiny_dir), device="cpu")


@pytest.fixture(scope="session")
def loaded448(tiny448_dir: Path) -> LoadedModel:
    return load_model(str(tiny448_dir), device="cpu")


@pytest.fixture(scope="session")
def adapter_dirs(tiny448_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stamped adapters for the 448 px checkpoint: three on the language model only, one that
    also adapts the vision tower (q_proj/v_proj exist in SigLIP too)."""
    root = tmp_path_factory.mktemp("adapters")
    text_only = ("o_proj", "gate_proj", "down_proj")
    dirs = {
        name: build_tiny_adapter(tiny448_dir, root / name, seed=seed, target_modules=text_only)
        for seed, name in enumerate(("invoice", "receipt", "order"), start=1)
    }
    dirs["vision"] = build_tiny_adapter(
        tiny448_dir, root / "vision", seed=9, target_modules=("q_proj", "v_proj")
    )
    return dirs


def page_image(text: str, size: int = 600, seed: int = 0) -> Image.Image:
    """A page with some dark text and a box, different for each ``text``/``seed``."""
    image = Image.new("RGB", (size, int(size * 1.3)), "white")
    draw = ImageDraw.Draw(image)
    for line in range(8):
        draw.text((40, 40 + 60 * line), f"{text} {seed}-{line} 12.50 EUR", fill="black")
    draw.rectangle((size // 2, 500 + seed * 7, size - 40, 560 + seed * 7), outline="black")
    return image


def write_document(path: Path, pages: list[Image.Image]) -> SourceDocument:
    if len(pages) == 1:
        pages[0].save(path.with_suffix(".png"))
        return SourceDocument(path.with_suffix(".png"), PNG, 1)
    pages[0].save(path.with_suffix(".tif"), save_all=True, append_images=pages[1:])
    return SourceDocument(path.with_suffix(".tif"), TIFF, len(pages))


@pytest.fixture
def make_document(tmp_path: Path) -> Iterator[object]:
    counter = iter(range(10_000))

    def make(*texts: str, blank: bool = False) -> SourceDocument:
        images = [page_image(text, seed=i) for i, text in enumerate(texts)]
        if blank:
            images.append(Image.new("RGB", (600, 780), "white"))
        return write_document(tmp_path / f"doc{next(counter)}", images)

    yield make
