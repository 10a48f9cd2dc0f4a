"""The document list stays an index range scan however deep the page (100,000 documents
are timed by bench/document_list.py; here the plan is checked, which cannot flake)."""

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from bench.document_list import seed_documents
from models import Database
from models.queries import DocumentFilter, list_documents, page_query

pytestmark = pytest.mark.integration


def explain(database: Database, flt: DocumentFilter, cursor: str | None) -> str:
    sql = page_query(flt, cursor, 50).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    with database.session() as session:
        return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))


def test_deep_pages_use_the_index(database: Database) -> None:
    with database.session() as session:
        seed_documents(session, 20_000)
    with database.session() as session:
        cursor = None
        for _ in range(100):
            cursor = list_documents(session, DocumentFilter(), cursor=cursor).next_cursor
    for flt in (DocumentFilter(), DocumentFilter(status="needs_review")):
        plan = explain(database, flt, cursor)
        assert "Index Scan" in plan or "Index Only Scan" in plan, plan
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
