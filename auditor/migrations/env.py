"""Alembic environment: migrations always run on the connection the store hands over.

The store runs `upgrade head` inside one transaction (BEGIN IMMEDIATE on SQLite, under an advisory lock on
PostgreSQL), so two processes opening a new store at once cannot both migrate it.

Writing a revision that alters `audits` on SQLite: batch mode recreates the table (copy, DROP, rename).
Since revision 0002, `findings`, `check_results` and `roadmap_items` reference `audits` with ON DELETE
CASCADE and the store turns SQLite foreign keys on, so dropping the old `audits` table would delete every
index row.  Such a revision must rebuild the index tables from the documents afterwards (as 0002's
backfill does), or alter the child tables in the same batch.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
