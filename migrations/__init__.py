"""Alembic migrations. ``formlens db upgrade`` runs them; see :mod:`migrations.config`."""
