"""``formlens run`` (what ``make run`` starts): the embedded default serves the portal and a
separate worker process reads an upload, with no database or broker server at all."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.documents import invoice_pdf
from tests.support.servers import free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_run_serves_the_portal_and_reads_an_upload(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMLENS_")}
    env.update(
        FORMLENS_DATA_DIR=str(tmp_path / "data"),
        FORMLENS_PORT=str(port),
        FORMLENS_SWEEP_INTERVAL_S="2",
        OMP_THREAD_LIMIT="1",
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "formlens", "run"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(("127.0.0.1", port), timeout=60)
        output = (tmp_path / "run.log").read_text()
        assert f"FormLens is running at http://127.0.0.1:{port}/" in output
        password = re.search(r"password: (\S+)", output)
        assert password, output
        web = requests.Session()
        page = web.get(f"http://127.0.0.1:{port}/login", timeout=10).text
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, page
        token = found.group(1)
        web.post(
            f"http://127.0.0.1:{port}/login",
            timeout=10,
            data={
                "email": "admin@formlens.local",
                "password": password.group(1),
                "csrf_token": token,
            },
        )
        uploaded = web.post(
            f"http://127.0.0.1:{port}/documents/upload",
            timeout=30,
            headers={"X-CSRFToken": token},
            files={"file": ("march.pdf", invoice_pdf(), "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        document_url = f"http://127.0.0.1:{port}{uploaded.json()['url']}"
        deadline = time.monotonic() + 60
        while (
            "waiting for a worker" in (html := web.get(document_url, timeout=10).text)
            or "reading 1 page" in html
        ):
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(0.5)
        assert "Invoice number" in html and "read by" in html
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
