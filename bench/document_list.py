"""Benchmark: the document list with 100,000 documents in PostgreSQL.

Usage: python -m bench.document_list [--count 100000] [--database-url postgresql://...]

Creates a scratch database, fills it with ``count`` documents in SQL (seconds, not minutes),
then times the queries the portal and API run: the first page, a page deep in the list
(by cursor), a status-filtered page, a type-filtered page, and the status counts.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from migrations.config import upgrade
from models import Database
from models.queries import DocumentFilter, list_documents, status_counts
from models.seed import seed_document_types

SEED_SQL = """
INSERT INTO documents (id, sha256, filename, storage_key, mime_type, size_bytes, page_count,
    options, status, attempts, review_reasons, progress, created_at, updated_at, version,
    document_type_id)
SELECT gen_random_uuid(), md5(i::text) || md5((i + 1)::text), 'document-' || i || '.pdf',
    repeat('0', 64), 'application/pdf', 1000, 1, '{}',
    (ARRAY['queued', 'processing', 'extracted', 'needs_review', 'failed', 'approved'])
        [1 + (i % 23 % 6)],
    0, '[]', '{}', now() - make_interval(secs => i), now(), 1,
    (SELECT id FROM document_types ORDER BY id LIMIT 1 OFFSET (i % 2))
FROM generate_series(1, :count) AS i
"""


def seed_documents(session: Session, count: int) -> None:
    session.execute(text(SEED_SQL), {"count": count})
    session.execute(text("ANALYZE documents"))


def timed(call: Callable[[], object], repeat: int = 20) -> float:
    """Median milliseconds of ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def deep_cursor(session: Session, pages: int) -> str | None:
    cursor = None
    for _ in range(pages):
        cursor = list_documents(session, DocumentFilter(), cursor=cursor, limit=50).next_cursor
    return cursor


def run(server_url: str, count: int) -> None:
    name = f"formlens_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        database = Database(url)
        with database.session() as session:
            seed_document_types(session)
            started = time.perf_counter()
            seed_documents(session, count)
            print(f"seeded {count:,} documents in {time.perf_counter() - started:.1f} s")
        with database.session() as session:
            cursor = deep_cursor(session, 1000)
            cases: dict[str, Callable[[], object]] = {
                "first page (50)": lambda: list_documents(session, DocumentFilter()),
                "page 1,001 by cursor": lambda: list_documents(
                    session, DocumentFilter(), cursor=cursor
                ),
                "status=needs_review": lambda: list_documents(
                    session, DocumentFilter(status="needs_review")
                ),
                "type=receipt": lambda: list_documents(
                    session, DocumentFilter(document_type="receipt")
                ),
                "status counts": lambda: status_counts(session),
            }
            for label, call in cases.items():
                print(f"{label:24s} {timed(call):8.2f} ms (median of 20)")
        database.engine.dispose()
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    run(args.database_url, args.count)


if __name__ == "__main__":
    main()
