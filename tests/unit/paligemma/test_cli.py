"""``formlens dev tiny-paligemma``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from formlens.cli import cli
from worker.engines.paligemma.checkpoint import inspect_checkpoint


def test_tiny_paligemma_command_writes_a_loadable_checkpoint(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["dev", "tiny-paligemma", str(tmp_path / "tiny"), "--image-size", "448"]
    )
    assert result.exit_code == 0, result.output
    assert inspect_checkpoint(tmp_path / "tiny").image_tokens == 1024
