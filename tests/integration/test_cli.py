"""The ``formlens`` command, run as a user runs it (a subprocess with the environment)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from core.doctypes import BUILTIN_TYPES
from core.export import SCHEMA_ID, export_schema
from tests.support.documents import INVOICE_LINES, invoice_pdf, scanned_pdf

EVALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "evaldata" / "dev"
DOCUMENT_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def formlens(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "formlens", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=600,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "OMP_THREAD_LIMIT": "1",
            "FORMLENS_DATA_DIR": str(cwd / "data"),
        },
    )


def assert_valid_export(path: Path) -> dict[str, Any]:
    export: dict[str, Any] = json.loads(path.read_text())
    assert export["schema"] == SCHEMA_ID
    spec = BUILTIN_TYPES.get(export["document"]["document_type"])
    if spec is not None:
        jsonschema.validate(export, export_schema(spec))
    return export


def test_extract_writes_one_export_per_file(tmp_path: Path) -> None:
    (tmp_path / "march.pdf").write_bytes(invoice_pdf())
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf(INVOICE_LINES))
    result = formlens("extract", "--out", "out", "march.pdf", "scan.pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for stem in ("march", "scan"):
        assert_valid_export(tmp_path / "out" / f"{stem}.json")


def test_extract_to_stdout_and_a_bad_file_fails_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "march.pdf").write_bytes(invoice_pdf())
    printed = formlens("extract", "--out", "-", "--type", "invoice", "march.pdf", cwd=tmp_path)
    assert printed.returncode == 0 and json.loads(printed.stdout)["document"]["pages"] == 1
    (tmp_path / "bad.pdf").write_bytes(b"MZ not a pdf")
    failed = formlens("extract", "--out", "out", "bad.pdf", cwd=tmp_path)
    assert failed.returncode == 1
    assert "bad.pdf: failed: Only PDF, PNG, JPEG and TIFF files can be read." in failed.stderr


@pytest.mark.slow
@pytest.mark.skipif(not EVALDATA.is_dir(), reason="the shared evaluation folder is not here")
def test_extract_reads_every_evaluation_document(tmp_path: Path) -> None:
    """Done-means 4: every document of ../shared/evaldata/dev gives a valid export."""
    files = sorted(p for p in EVALDATA.iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)
    result = formlens("extract", "--out", str(tmp_path / "out"), *map(str, files), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    written = sorted((tmp_path / "out").glob("*.json"))
    assert [p.stem for p in written] == sorted(p.stem for p in files)
    for path in written:
        assert_valid_export(path)


def test_db_upgrade_users_and_tokens_on_the_embedded_database(tmp_path: Path) -> None:
    assert formlens("db", "upgrade", cwd=tmp_path).returncode == 0
    created = formlens(
        "users",
        "create",
        "ops@example.com",
        "--role",
        "admin",
        "--password",
        "long enough password",
        cwd=tmp_path,
    )
    assert created.returncode == 0 and "created admin ops@example.com" in created.stdout
    again = formlens(
        "users", "create", "ops@example.com", "--password", "another password", cwd=tmp_path
    )
    assert again.returncode == 1 and "exists already" in again.stderr
    short = formlens("users", "create", "x@example.com", "--password", "short", cwd=tmp_path)
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    token = formlens("users", "token", "ops@example.com", cwd=tmp_path)
    assert token.returncode == 0 and token.stdout.startswith("fl_")
    assert (tmp_path / "data" / "formlens.db").is_file()
