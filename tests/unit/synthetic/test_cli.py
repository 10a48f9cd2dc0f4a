"""formlens dev synth: files and ground truth on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from formlens.commands.dev import dev


def test_synth_writes_documents_and_ground_truth(tmp_path):
    args = ["synth", "--type", "invoice", "--count", "3", "--out", str(tmp_path), "--seed", "7"]
    result = CliRunner().invoke(dev, args)
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [f"invoice-00000{n}.{ext}" for n in (7, 8, 9) for ext in ("json", "pdf")]
    truth = json.loads((tmp_path / "invoice-000007.json").read_text(encoding="utf-8"))
    assert truth["doc_type"] == "invoice"
    assert truth["fields"]["invoice_number"]
    assert (tmp_path / "invoice-000007.pdf").read_bytes().startswith(b"%PDF-")


def test_synth_images_with_language_and_noise(tmp_path):
    args = ["synth", "--type", "receipt", "--count", "2", "--out", str(tmp_path)]
    args += ["--format", "jpeg", "--language", "nl", "--noise", "0.5"]
    result = CliRunner().invoke(dev, args)
    assert result.exit_code == 0, result.output
    for path in tmp_path.glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["language"] == "nl"
    assert len(list(tmp_path.glob("*.jpg"))) == 2


def test_synth_refuses_noise_on_pdf(tmp_path):
    args = ["synth", "--type", "invoice", "--out", str(tmp_path), "--noise", "0.5"]
    result = CliRunner().invoke(dev, args)
    assert result.exit_code != 0
    assert "noise applies" in result.output


SCORE_TOOL = Path(__file__).resolve().parents[4] / "shared" / "tools" / "score.py"


@pytest.mark.skipif(
    not SCORE_TOOL.is_file(), reason="the shared scoring tool is not beside the repo"
)
def test_the_evaluation_scorer_reads_synthetic_ground_truth(tmp_path):
    """Ground truth scored against itself is perfect: the scorer understands its shape."""
    for doc_type in ("invoice", "receipt"):
        args = ["synth", "--type", doc_type, "--count", "3", "--out", str(tmp_path)]
        assert CliRunner().invoke(dev, args).exit_code == 0
    run = subprocess.run(
        [sys.executable, str(SCORE_TOOL), str(tmp_path), str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(run.stdout)
    assert report["documents"] == 6
    assert report["all_field_accuracy"] == 1.0
