"""The audit store: every audit kept per client, for history, diffs and re-audits.

SQLite in the user's data folder by default; any SQLAlchemy URL (PostgreSQL for an MSP whose technicians
share one history) by `--db` or `AUDITOR_DB`.  The schema is owned by Alembic migrations shipped in
`auditor/migrations`, applied on open, so upgrading the tool keeps existing history.  Each save is one
transaction: an interrupted save leaves earlier audits intact.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from platformdirs import user_data_dir
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from auditor.errors import StoreError
from auditor.models import Audit, Frozen
from auditor.secrets import REDACTOR

DB_VARIABLE = "AUDITOR_DB"


class Base(DeclarativeBase):
    pass


class ClientRow(Base):
    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audits"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    collected_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    grade: Mapped[str] = mapped_column(sa.String(2))
    coverage: Mapped[float] = mapped_column(sa.Float)
    baseline: Mapped[str] = mapped_column(sa.String(120))
    bundle_digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    tool_version: Mapped[str] = mapped_column(sa.String(40))
    document: Mapped[str] = mapped_column(sa.Text)


class AuditSummary(Frozen):
    """One line of a client's history."""

    id: str
    client_id: str
    collected_at: dt.datetime
    kind: str
    score: float | None
    grade: str
    coverage: float
    baseline: str
    bundle_digest: str


def default_url() -> str:
    """`AUDITOR_DB` (a URL or a file path), else a SQLite file in the user's data folder."""
    configured = os.environ.get(DB_VARIABLE)
    if configured:
        return as_url(configured)
    folder = Path(user_data_dir("msp-posture-auditor", appauthor=False))
    return f"sqlite:///{folder / 'audits.sqlite'}"


def as_url(value: str) -> str:
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


def _safe_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # only used in messages
        return "<database URL>"


class Store:
    """Opens (and migrates) the database; saves and reads audits."""

    def __init__(self, url: str | None = None) -> None:
        self.url = as_url(url) if url else default_url()
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise StoreError(f"'{_safe_url(self.url)}' is not a database URL or file path") from None
        if parsed.password:
            REDACTOR.add(parsed.password)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(self.url, future=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open store {_safe_url(self.url)}: {exc}") from None
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._migrate()

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open or upgrade store {_safe_url(self.url)}: "
                             f"{REDACTOR.redact(str(exc.orig if hasattr(exc, 'orig') else exc))}") from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"store {_safe_url(self.url)}: {REDACTOR.redact(str(exc))}") from None
        finally:
            session.close()

    def save(self, audit: Audit) -> None:
        """Save (or replace, for a re-evaluation of the same bundle and baseline) one audit, atomically."""
        document = REDACTOR.redact(audit.model_dump_json())
        with self.session() as session:
            client = session.get(ClientRow, audit.client_id)
            if client is None:
                session.add(ClientRow(id=audit.client_id, name=audit.client_name, created_at=audit.evaluated_at))
            else:
                client.name = audit.client_name
            session.merge(
                AuditRow(
                    id=audit.id,
                    client_id=audit.client_id,
                    collected_at=audit.collected_at,
                    evaluated_at=audit.evaluated_at,
                    kind=audit.kind,
                    score=audit.scores.overall,
                    grade=audit.scores.grade,
                    coverage=audit.scores.coverage,
                    baseline=f"{audit.provenance.baseline} {audit.provenance.baseline_version}",
                    bundle_digest=audit.provenance.bundle_digest,
                    tool_version=audit.provenance.tool_version,
                    document=document,
                )
            )

    def get(self, audit_id: str) -> Audit:
        with self.session() as session:
            row = session.get(AuditRow, audit_id)
            if row is None:
                matches = session.scalars(
                    sa.select(AuditRow).where(AuditRow.id.startswith(audit_id)).limit(2)
                ).all()
                if len(matches) != 1:
                    raise StoreError(f"no audit '{audit_id}' in store {_safe_url(self.url)}"
                                     + (" (the prefix is ambiguous)" if matches else ""))
                row = matches[0]
            document = row.document
        try:
            return Audit.model_validate_json(document)
        except ValidationError as exc:
            raise StoreError(f"audit {audit_id} in the store is unreadable by this version: "
                             f"{exc.errors(include_url=False)[0]['msg']}") from None

    def history(self, client_id: str) -> list[AuditSummary]:
        with self.session() as session:
            rows = session.execute(
                sa.select(AuditRow.id, AuditRow.client_id, AuditRow.collected_at, AuditRow.kind, AuditRow.score,
                          AuditRow.grade, AuditRow.coverage, AuditRow.baseline, AuditRow.bundle_digest)
                .where(AuditRow.client_id == client_id)
                .order_by(AuditRow.collected_at, AuditRow.id)
            ).all()
        return [AuditSummary.model_validate(row._asdict()) for row in rows]

    def clients(self) -> list[tuple[str, str]]:
        with self.session() as session:
            return [(r.id, r.name) for r in session.scalars(sa.select(ClientRow).order_by(ClientRow.id))]

    def latest(self, client_id: str) -> Audit | None:
        entries = self.history(client_id)
        return self.get(entries[-1].id) if entries else None


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
