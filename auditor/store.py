"""The audit store: every audit kept per client, for history, diffs and re-audits.

SQLite in the user's data folder by default; any SQLAlchemy URL (PostgreSQL for an MSP whose technicians
share one history) by `--db` or `AUDITOR_DB`.  The schema is owned by Alembic migrations shipped in
`auditor/migrations`, applied on open, so upgrading the tool keeps existing history.  Each save is one
transaction: an interrupted save leaves earlier audits intact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from platformdirs import user_data_dir
from pydantic import Field, ValidationError
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
    #: Plain JSON (rows written before revision 0002); newer rows keep `document_z` (zlib of the JSON).
    document: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    document_z: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    findings_count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    critical_findings: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    area_scores: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class CheckResultRow(Base):
    """One check's outcome in one audit: what `diff` and the indicators need without opening documents."""

    __tablename__ = "check_results"

    audit_id: Mapped[str] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    area: Mapped[str] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(16))
    score_share: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    affected_count: Mapped[int] = mapped_column(sa.Integer)


class FindingRow(Base):
    """One finding of one audit: a failing check on one affected asset (asset '' when the check names none)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    check_id: Mapped[str] = mapped_column(sa.String(80))
    asset: Mapped[str] = mapped_column(sa.String(512))
    asset_kind: Mapped[str] = mapped_column(sa.String(20))
    severity: Mapped[str] = mapped_column(sa.String(10))


class RoadmapItemRow(Base):
    """One roadmap item of one audit, so roadmap progress and regressions are read by client."""

    __tablename__ = "roadmap_items"

    audit_id: Mapped[str] = mapped_column(sa.ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    remediation_group: Mapped[str] = mapped_column(sa.String(200))
    severity: Mapped[str] = mapped_column(sa.String(10))
    phase: Mapped[int] = mapped_column(sa.Integer)
    target_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    checks: Mapped[str] = mapped_column(sa.Text)


class AuditSummary(Frozen):
    """One line of a client's history (read from summary columns, no document parsed)."""

    id: str
    client_id: str
    collected_at: dt.datetime
    kind: str
    score: float | None
    grade: str
    coverage: float
    baseline: str
    bundle_digest: str
    findings_count: int | None = None
    critical_findings: int | None = None
    area_scores: dict[str, float | None] = Field(default_factory=dict)


class FindingRecord(NamedTuple):
    """A finding as the history index keeps it."""

    audit_id: str
    check_id: str
    asset: str
    asset_kind: str
    severity: str


class ResultRecord(NamedTuple):
    audit_id: str
    check_id: str
    area: str
    severity: str
    status: str
    score_share: float | None


class RoadmapRecord(NamedTuple):
    audit_id: str
    item_id: str
    remediation_group: str
    severity: str
    phase: int
    target_date: dt.date | None
    checks: tuple[str, ...]


EXPORT_FORMAT = "msp-posture-auditor/history"
EXPORT_VERSION = 1


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
    """Opens (and migrates) the database; saves and reads audits and the history index.

    Concurrency: on SQLite every write transaction starts with `BEGIN IMMEDIATE` (one writer at a time,
    others wait up to the busy timeout instead of failing on a stale snapshot); on PostgreSQL saves of one
    client are serialised by a transaction-scoped advisory lock and the migration by another, so two
    technicians saving at once, or two processes opening a new store at once, never collide.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = as_url(url) if url else default_url()
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise StoreError(f"'{_safe_url(self.url)}' is not a database URL or file path") from None
        if parsed.password:
            REDACTOR.add(parsed.password)
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(self.url, future=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open store {_safe_url(self.url)}: {exc}") from None
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._writer = self.engine.execution_options(auditor_write=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)
        self._migrate()

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self._writer.begin() as connection:
                if self.backend == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open or upgrade store {_safe_url(self.url)}: "
                             f"{REDACTOR.redact(str(exc.orig if hasattr(exc, 'orig') else exc))}") from None

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back (nothing written) on any exception."""
        session = (self._write_sessions if write else self._sessions)()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"store {_safe_url(self.url)}: {REDACTOR.redact(str(exc))}") from None
        finally:
            session.close()

    def save(self, audit: Audit) -> None:
        """Save (or replace, for a re-evaluation of the same bundle and baseline) one audit, atomically."""
        self.save_many([audit])

    def save_many(self, audits: Iterable[Audit]) -> int:
        """Save several audits in ONE transaction (imports, benchmarks): all of them or none."""
        return self.save_prepared([_prepare(audit) for audit in audits])

    def save_prepared(self, prepared: list[_Prepared]) -> int:
        """Save audits already turned into rows by `prepare` (to load the same audits into several stores)."""
        if not prepared:
            return 0
        with self.session(write=True) as session:
            self._write(session, prepared)
        return len(prepared)

    def _write(self, session: Session, prepared: list[_Prepared]) -> None:
        if self.backend == "postgresql":
            for client_id in sorted({p.audit_row["client_id"] for p in prepared}):
                session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(client_id)})
        clients: dict[str, dict] = {}
        for item in prepared:
            clients[item.audit_row["client_id"]] = item.client_row
        for client_id, row in sorted(clients.items()):
            existing = session.get(ClientRow, client_id)
            if existing is None:
                session.add(ClientRow(**row))
            else:
                existing.name = row["name"]
        session.flush()
        ids = [p.audit_row["id"] for p in prepared]
        for chunk in _chunks(ids, 500):
            for table in (FindingRow, CheckResultRow, RoadmapItemRow, AuditRow):
                column = table.id if table is AuditRow else table.audit_id
                session.execute(sa.delete(table).where(column.in_(chunk)))
        session.execute(sa.insert(AuditRow), [p.audit_row for p in prepared])
        _write_index(session, CheckResultRow, [r for p in prepared for r in p.results])
        _write_index(session, FindingRow, [r for p in prepared for r in p.findings])
        _write_index(session, RoadmapItemRow, [r for p in prepared for r in p.roadmap])

    def _rows(self, statement: sa.Executable) -> list[sa.Row]:
        """Run one read-only query on a plain connection (no ORM bookkeeping: the history reads are hot)."""
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(statement).all())
        except SQLAlchemyError as exc:
            raise StoreError(f"store {_safe_url(self.url)}: {REDACTOR.redact(str(exc))}") from None

    def resolve(self, audit_id: str) -> str:
        """The full id of an audit given its id or an unambiguous prefix of it."""
        return self.locate(audit_id)[0]

    def locate(self, audit_id: str) -> tuple[str, str]:
        """(full id, client id) of an audit given its id or an unambiguous prefix."""
        rows = self._rows(sa.select(AuditRow.id, AuditRow.client_id).where(AuditRow.id == audit_id))
        if not rows:
            rows = self._rows(sa.select(AuditRow.id, AuditRow.client_id)
                              .where(AuditRow.id.startswith(audit_id, autoescape=True)).limit(2))
        if len(rows) != 1:
            raise StoreError(f"no audit '{audit_id}' in store {_safe_url(self.url)}"
                             + (" (the prefix is ambiguous)" if rows else ""))
        return rows[0][0], rows[0][1]

    def get(self, audit_id: str) -> Audit:
        """An audit by id or unique prefix (the whole stored document, validated)."""
        rows = self._rows(sa.select(AuditRow.id, AuditRow.document, AuditRow.document_z)
                          .where(AuditRow.id == audit_id))
        if not rows:
            full_id = self.resolve(audit_id)
            rows = self._rows(sa.select(AuditRow.id, AuditRow.document, AuditRow.document_z)
                              .where(AuditRow.id == full_id))
        full_id, text, packed = rows[0]
        document = zlib.decompress(packed).decode("utf-8") if packed is not None else text
        try:
            return Audit.model_validate_json(document or "")
        except ValidationError as exc:
            raise StoreError(f"audit {full_id} in the store is unreadable by this version: "
                             f"{exc.errors(include_url=False)[0]['msg']}") from None

    def history(self, client_id: str) -> list[AuditSummary]:
        """A client's audits, oldest first, from the summary columns (no document is parsed)."""
        rows = self._rows(
            sa.select(AuditRow.id, AuditRow.client_id, AuditRow.collected_at, AuditRow.kind, AuditRow.score,
                      AuditRow.grade, AuditRow.coverage, AuditRow.baseline, AuditRow.bundle_digest,
                      AuditRow.findings_count, AuditRow.critical_findings, AuditRow.area_scores)
            .where(AuditRow.client_id == client_id)
            .order_by(AuditRow.collected_at, AuditRow.id)
        )
        out = []
        for row in rows:
            data = row._asdict()
            data["collected_at"] = _aware(data["collected_at"])
            data["area_scores"] = json.loads(data["area_scores"]) if data["area_scores"] else {}
            out.append(AuditSummary.model_validate(data))
        return out

    def client_of(self, audit_id: str) -> str:
        return self.locate(audit_id)[1]

    def previous(self, audit_id: str) -> AuditSummary | None:
        """The audit of the same client collected just before this one (None for the first)."""
        full_id = self.resolve(audit_id)
        entries = self.history(self.client_of(full_id))
        index = next(i for i, e in enumerate(entries) if e.id == full_id)
        return entries[index - 1] if index > 0 else None

    def clients(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._rows(sa.select(ClientRow.id, ClientRow.name).order_by(ClientRow.id))]

    def latest(self, client_id: str) -> Audit | None:
        entries = self.history(client_id)
        return self.get(entries[-1].id) if entries else None

    def latest_before(self, client_id: str, collected_at: dt.datetime, *, exclude: str | None = None) -> Audit | None:
        """The client's most recent audit collected before `collected_at` (what a new audit re-audits)."""
        candidates = [e for e in self.history(client_id)
                      if e.collected_at < collected_at and e.id != exclude]
        return self.get(candidates[-1].id) if candidates else None

    # -- the history index -------------------------------------------------------------------------

    def findings(self, client_id: str, audits: Iterable[str] | None = None) -> list[FindingRecord]:
        """Finding rows of a client (optionally only of the given audits)."""
        query = sa.select(FindingRow.audit_id, FindingRow.check_id, FindingRow.asset, FindingRow.asset_kind,
                          FindingRow.severity).where(FindingRow.client_id == client_id)
        if audits is not None:
            query = query.where(FindingRow.audit_id.in_(list(audits)))
        return [FindingRecord(*row) for row in self._rows(query)]

    def results(self, client_id: str) -> list[ResultRecord]:
        rows = self._rows(sa.select(CheckResultRow.audit_id, CheckResultRow.check_id, CheckResultRow.area,
                                    CheckResultRow.severity, CheckResultRow.status, CheckResultRow.score_share)
                          .where(CheckResultRow.client_id == client_id))
        return [ResultRecord(*row) for row in rows]

    def roadmap_items(self, client_id: str, audits: Iterable[str] | None = None) -> list[RoadmapRecord]:
        """Roadmap item rows of a client (optionally only of the given audits)."""
        query = sa.select(RoadmapItemRow.audit_id, RoadmapItemRow.item_id, RoadmapItemRow.remediation_group,
                          RoadmapItemRow.severity, RoadmapItemRow.phase, RoadmapItemRow.target_date,
                          RoadmapItemRow.checks).where(RoadmapItemRow.client_id == client_id)
        if audits is not None:
            query = query.where(RoadmapItemRow.audit_id.in_(list(audits)))
        return [RoadmapRecord(*row[:6], tuple(row[6].split())) for row in self._rows(query)]

    # -- moving a client between stores -------------------------------------------------------------

    def export_client(self, client_id: str) -> dict:
        """One client's whole history as a JSON-ready document (`auditor history export`)."""
        entries = self.history(client_id)
        if not entries:
            raise StoreError(f"no audits of client '{client_id}' in store {_safe_url(self.url)}")
        name = dict(self.clients()).get(client_id, client_id)
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "client": {"id": client_id, "name": name},
            "audits": [json.loads(self.get(e.id).model_dump_json()) for e in entries],
        }

    def import_history(self, data: object, *, origin: str = "history file") -> list[str]:
        """Save every audit of an exported history (replacing audits with the same id); all or nothing."""
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise StoreError(f"{origin}: not an exported audit history (expected \"format\": \"{EXPORT_FORMAT}\")")
        if data.get("version") != EXPORT_VERSION:
            raise StoreError(f"{origin}: history format version {data.get('version')!r} is not supported "
                             f"(expected {EXPORT_VERSION})")
        audits_data = data.get("audits")
        if not isinstance(audits_data, list):
            raise StoreError(f"{origin}: field 'audits' must be a list of audits")
        audits = []
        for index, item in enumerate(audits_data):
            try:
                audits.append(Audit.model_validate(item))
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                raise StoreError(f"{origin}: audits[{index}].{where}: {first['msg']}") from None
        clients = {a.client_id for a in audits}
        if len(clients) > 1:
            raise StoreError(f"{origin}: holds audits of several clients ({', '.join(sorted(clients))}); "
                             "an export moves one client")
        self.save_many(audits)
        return [a.id for a in audits]


_MIGRATION_LOCK = 0x61756469  # "audi": one migration at a time on a shared PostgreSQL


class _Prepared(NamedTuple):
    client_row: dict
    audit_row: dict
    results: list[dict]
    findings: list[dict]
    roadmap: list[dict]


def index_rows(audit: Audit) -> tuple[list[dict], list[dict], list[dict]]:
    """The history index of one audit: (check result rows, finding rows, roadmap item rows).

    A finding is a result that is failed or partial and not covered by a live accepted risk
    (`CheckResult.is_finding`); it gives one row per affected asset (names compared without case), or one
    row with asset '' when the check names no asset.
    """
    severities = {c.id: c.severity.value for c in audit.checks}
    areas = {c.id: c.area for c in audit.checks}
    results, findings = [], []
    for result in audit.results:
        severity = severities.get(result.check_id, "low")
        results.append({"audit_id": audit.id, "client_id": audit.client_id, "check_id": result.check_id,
                        "area": areas.get(result.check_id, ""), "severity": severity,
                        "status": result.status.value, "score_share": result.score_share,
                        "affected_count": len(result.affected)})
        if not result.is_finding:
            continue
        seen: set[str] = set()
        for name, kind in [(a.name, a.kind) for a in result.affected] or [("", "")]:
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            findings.append({"audit_id": audit.id, "client_id": audit.client_id, "check_id": result.check_id,
                             "asset": name[:512], "asset_kind": kind, "severity": severity})
    roadmap = [{"audit_id": audit.id, "client_id": audit.client_id, "item_id": item.id[:200],
                "remediation_group": item.remediation_group[:200], "severity": item.severity.value,
                "phase": item.phase, "target_date": item.target_date,
                "checks": " ".join(item.acceptance_checks or item.checks)}
               for item in audit.roadmap.items]
    return results, findings, roadmap


def prepare(audit: Audit) -> _Prepared:
    """The rows one audit is stored as (redacted, compressed document; summary; history index)."""
    return _prepare(audit)


def _prepare(audit: Audit) -> _Prepared:
    document = REDACTOR.redact(audit.model_dump_json())
    results, findings, roadmap = index_rows(audit)
    return _Prepared(
        client_row={"id": audit.client_id, "name": audit.client_name, "created_at": audit.evaluated_at},
        audit_row={
            "id": audit.id,
            "client_id": audit.client_id,
            "collected_at": audit.collected_at,
            "evaluated_at": audit.evaluated_at,
            "kind": audit.kind,
            "score": audit.scores.overall,
            "grade": audit.scores.grade,
            "coverage": audit.scores.coverage,
            "baseline": f"{audit.provenance.baseline} {audit.provenance.baseline_version}"[:120],
            "bundle_digest": audit.provenance.bundle_digest,
            "tool_version": audit.provenance.tool_version,
            "document": None,
            "document_z": zlib.compress(document.encode("utf-8"), 6),
            "findings_count": len(findings),
            "critical_findings": sum(1 for f in findings if f["severity"] == "critical"),
            "area_scores": json.dumps({a.area: a.score for a in audit.scores.areas}, sort_keys=True),
        },
        results=results,
        findings=findings,
        roadmap=roadmap,
    )


def _write_index(session: Session, table: type[Base], rows: list[dict]) -> None:
    """Insert index rows in batches (executemany); a hook the interruption tests break on purpose."""
    for chunk in _chunks(rows, 5000):
        session.execute(sa.insert(table), chunk)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _lock_key(client_id: str) -> int:
    return zlib.crc32(client_id.encode("utf-8"))


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive: they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _sqlite_pragmas(connection: object, _record: object) -> None:
    connection.isolation_level = None  # type: ignore[attr-defined]  # we issue BEGIN ourselves (see below)
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writers take the write lock up front, so a concurrent writer waits instead of failing mid-way."""
    immediate = connection.get_execution_options().get("auditor_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
