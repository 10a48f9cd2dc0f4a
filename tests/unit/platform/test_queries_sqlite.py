"""Keyset pagination also works on the embedded SQLite database of ``make run``."""

import uuid
from datetime import timedelta
from pathlib import Path

from migrations.config import upgrade
from models import Database, Document, utcnow
from models.queries import DocumentFilter, list_documents


def test_pages_follow_each_other_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'formlens.db'}"
    upgrade(url)
    database = Database(url)
    now = utcnow()
    with database.session() as session:
        for n in range(7):
            session.add(
                Document(
                    sha256=uuid.uuid4().hex * 2,
                    filename=f"{n}.pdf",
                    storage_key="0" * 64,
                    mime_type="application/pdf",
                    size_bytes=1,
                    page_count=1,
                    created_at=now - timedelta(seconds=n % 3),
                )
            )  # ties on created_at
    seen: list[str] = []
    cursor = None
    with database.session() as session:
        while True:
            page = list_documents(session, DocumentFilter(), cursor=cursor, limit=3)
            seen += [d.filename for d in page.documents]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert sorted(seen) == [f"{n}.pdf" for n in range(7)] and len(seen) == 7
    database.engine.dispose()
