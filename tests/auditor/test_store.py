"""The audit store against SQLite AND a real PostgreSQL server (tests/servers/postgres.py).

Covers: save/get/history round trip and the history index, prefix ids, concurrent saves from threads and
processes, interrupted saves (an exception mid-transaction, and a process killed mid-transaction), the
upgrade of a database created by revision 0001 with data in it, export/import between the two backends,
and the store-side diff and indicators on the hand-built audits of test_history.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import store as store_module
from auditor.errors import StoreError
from auditor.history import HistoryError, compare, indicators
from auditor.store import Store, index_rows
from tests.auditor.test_history import BASELINE, audit_a, audit_b, audit_c
from tests.report.factory import make_audit

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audits.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _count(store: Store, table: str, audit_id: str | None = None) -> int:
    with store.engine.connect() as connection:
        query = f"SELECT COUNT(*) FROM {table}" + (" WHERE audit_id = :a" if audit_id else "")
        return connection.execute(sa.text(query), {"a": audit_id} if audit_id else {}).scalar_one()


def test_round_trip_history_and_index(url: str) -> None:
    store = Store(url)
    audit = make_audit()
    store.save(audit)
    store.save(audit)  # re-saving the same audit replaces it, never duplicates it
    assert store.get(audit.id) == audit
    assert store.get(audit.id[:12]) == audit  # a unique prefix
    [entry] = store.history(audit.client_id)
    assert (entry.id, entry.score, entry.grade, entry.coverage) == (audit.id, audit.scores.overall,
                                                                    audit.scores.grade, audit.scores.coverage)
    assert entry.collected_at == audit.collected_at
    assert entry.area_scores == {a.area: a.score for a in audit.scores.areas}
    results, findings, roadmap = index_rows(audit)
    assert entry.findings_count == len(findings) == _count(store, "findings")
    assert _count(store, "check_results") == len(results) == len(audit.results)
    assert _count(store, "roadmap_items") == len(roadmap) == len(audit.roadmap.items)
    # the accepted EDR finding is not a finding; stale accounts give one row per account
    stored = {(f.check_id, f.asset) for f in store.findings(audit.client_id)}
    assert ("edr.inactive_sensors", "WKS-004") not in stored
    assert sum(1 for c, _ in stored if c == "account_hygiene.stale_accounts") == 19
    assert entry.critical_findings == sum(1 for f in store.findings(audit.client_id) if f.severity == "critical")
    assert store.clients() == [(audit.client_id, audit.client_name)]
    store.close()


def test_unknown_and_ambiguous_ids(url: str) -> None:
    store = Store(url)
    store.save_many([audit_a(), audit_b()])
    with pytest.raises(StoreError, match="no audit 'nope'"):
        store.get("nope")
    with pytest.raises(StoreError, match="ambiguous"):
        store.get("acme-")
    with pytest.raises(StoreError, match="no audit"):
        store.get("acme-%")  # LIKE wildcards in a prefix are taken literally
    assert store.previous("acme-b").id == "acme-a" and store.previous("acme-a") is None
    store.close()


def test_compare_and_indicators_from_the_store(url: str) -> None:
    store = Store(url)
    store.save_many([audit_c(), audit_a(), audit_b()])
    history = store.history("acme")
    assert [e.id for e in history] == ["acme-a", "acme-b", "acme-c"]
    assert [e.critical_findings for e in history] == [1, 0, 1]
    assert [e.findings_count for e in history] == [7, 5, 2]
    diff = compare(store, "acme-c", baseline=BASELINE)  # OLD defaults to the audit before: B
    assert (diff.old_id, diff.new_id) == ("acme-b", "acme-c")
    # rdp on srv1 was a finding in A, fixed in B, back in C; its roadmap item was on A's roadmap only
    assert [(f.asset, f.category, f.reopened) for f in diff.findings if f.check_id == "ports.rdp"] == [
        ("srv1:3389", "regressed", True)]
    assert {i.id: i.status for i in diff.roadmap}["RM-ports.close_risky"] == "regressed"
    explicit = compare(store, "acme-c", "acme-a", baseline=BASELINE)
    assert explicit.old_id == "acme-a"
    with pytest.raises(HistoryError, match="first audit"):
        compare(store, "acme-a")  # the first audit has nothing before it

    figures = indicators(store, "acme")
    assert [(r.check_id, r.asset, r.consecutive_audits) for r in figures.recurring] == [("accounts.stale", "bob", 3)]
    assert figures.recurring_count == 1
    assert figures.reopened_count == 1  # rdp on srv1
    # closed episodes: five found in A and gone in B (92 days), telnet A->C (183: not assessed in B), four
    # found in B and gone in C (91) -> median of 91 x4, 92 x5, 183 = 92
    assert (figures.median_days_to_remediate, figures.remediated_count) == (92.0, 10)
    assert [p.critical_findings for p in figures.trend] == [1, 0, 1]
    assert indicators(store, "acme", up_to="acme-b").remediated_count == 5
    store.close()


def test_export_import_between_backends(url: str, tmp_path: Path) -> None:
    source = Store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    source.save_many([audit_a(), audit_b(), audit_a("other")])
    exported = json.loads(json.dumps(source.export_client("acme")))
    target = Store(url)
    assert target.import_history(exported, origin="acme.json") == ["acme-a", "acme-b"]
    assert [e.model_dump() for e in target.history("acme")] == [e.model_dump() for e in source.history("acme")]
    assert target.get("acme-b") == source.get("acme-b")
    assert target.history("other") == []
    target.import_history(exported)  # importing twice replaces, never duplicates
    assert _count(target, "findings") == len(source.findings("acme"))
    with pytest.raises(StoreError, match=r"acme.json: not an exported audit history"):
        target.import_history({"audits": []}, origin="acme.json")
    broken = dict(exported, audits=[{**exported["audits"][0], "scores": {"overall": "high"}}])
    with pytest.raises(StoreError, match=r"x.json: audits\[0\]\.scores"):
        target.import_history(broken, origin="x.json")
    source.close()
    target.close()


def test_concurrent_saves_from_threads(url: str) -> None:
    Store(url).close()  # created and migrated
    audits = [audit_a(f"client{i % 3}").model_copy(update={"id": f"client{i % 3}-t{i}"}) for i in range(12)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(chunk: list) -> None:
        try:
            store = Store(url)  # each technician has their own connection pool
            barrier.wait()
            for audit in chunk:
                store.save(audit)
            store.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(audits[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    store = Store(url)
    assert sorted(e.id for c in ("client0", "client1", "client2") for e in store.history(c)) == sorted(
        a.id for a in audits)
    assert _count(store, "findings") == 12 * 7
    assert _count(store, "clients") == 3
    store.close()


def _save_in_process(url: str, audit_json: str) -> None:
    from auditor.models import Audit

    store = Store(url)  # every process opens (and migrates) the store itself
    store.save(Audit.model_validate_json(audit_json))
    store.close()


def test_concurrent_saves_from_processes_on_a_new_store(url: str) -> None:
    audits = [audit_b(f"proc{i % 2}").model_copy(update={"id": f"proc{i % 2}-p{i}"}) for i in range(4)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_save_in_process, args=(url, a.model_dump_json())) for a in audits]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * 4
    store = Store(url)
    assert sorted(e.id for c in ("proc0", "proc1") for e in store.history(c)) == sorted(a.id for a in audits)
    assert _count(store, "findings") == 4 * 5
    store.close()


def test_exception_mid_transaction_leaves_earlier_audits_intact(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(url)
    store.save(audit_a())
    before = store.history("acme")
    original = store_module._write_index

    def broken(session, table, rows):
        original(session, table, rows)  # the audit row and the check results are written...
        if table is store_module.FindingRow:
            raise RuntimeError("disk full")  # ...then the save dies half-way

    monkeypatch.setattr(store_module, "_write_index", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save(audit_b())
    with pytest.raises(RuntimeError):
        store.save(audit_a().model_copy(update={"client_name": "Renamed"}))  # a replacement, interrupted
    monkeypatch.undo()
    assert store.history("acme") == before
    assert store.get("acme-a") == audit_a()
    assert store.clients() == [("acme", "Acme & Fils")]
    assert _count(store, "check_results", "acme-b") == 0 and _count(store, "findings", "acme-a") == 7
    store.save(audit_b())  # and the store still works
    assert [e.id for e in store.history("acme")] == ["acme-a", "acme-b"]
    store.close()


def test_process_killed_mid_save_leaves_earlier_audits_intact(url: str, tmp_path: Path) -> None:
    store = Store(url)
    store.save(audit_a())
    store.close()
    marker = tmp_path / "inside-transaction"
    audit_file = tmp_path / "b.json"
    audit_file.write_text(audit_b().model_dump_json())
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from auditor import store as s
        from auditor.models import Audit
        original = s._write_index
        def slow(session, table, rows):
            original(session, table, rows)
            if table is s.FindingRow:
                session.flush()
                Path({str(marker)!r}).write_text("x")
                time.sleep(60)
        s._write_index = slow
        s.Store({url!r}).save(Audit.model_validate_json(Path({str(audit_file)!r}).read_text()))
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the saving process ended before reaching the transaction"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    reopened = Store(url)
    assert [e.id for e in reopened.history("acme")] == ["acme-a"]
    assert reopened.get("acme-a") == audit_a()
    assert _count(reopened, "findings") == 7
    reopened.save(audit_b())
    assert len(reopened.history("acme")) == 2
    reopened.close()


def test_upgrade_from_revision_0001_keeps_history(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    old_audits = [make_audit(), audit_a(), audit_b()]
    with engine.begin() as connection:  # rows exactly as the 0001 store wrote them
        for client, name in {(a.client_id, a.client_name) for a in old_audits}:
            connection.execute(sa.text("INSERT INTO clients (id, name, created_at) VALUES (:i, :n, :c)"),
                               {"i": client, "n": name, "c": old_audits[0].evaluated_at})
        for audit in old_audits:
            connection.execute(sa.text(
                "INSERT INTO audits (id, client_id, collected_at, evaluated_at, kind, score, grade, coverage, "
                "baseline, bundle_digest, tool_version, document) VALUES (:id, :client, :col, :ev, :kind, :score, "
                ":grade, :cov, :base, :digest, :tool, :doc)"),
                {"id": audit.id, "client": audit.client_id, "col": audit.collected_at, "ev": audit.evaluated_at,
                 "kind": audit.kind, "score": audit.scores.overall, "grade": audit.scores.grade,
                 "cov": audit.scores.coverage, "base": "x 1", "digest": audit.provenance.bundle_digest,
                 "tool": "0.1.0", "doc": audit.model_dump_json()})
    engine.dispose()

    store = Store(url)  # opening upgrades to head
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    for audit in old_audits:
        assert store.get(audit.id) == audit
        results, findings, roadmap = index_rows(audit)
        assert _count(store, "findings", audit.id) == len(findings)
        assert _count(store, "check_results", audit.id) == len(results)
        assert _count(store, "roadmap_items", audit.id) == len(roadmap)
    [entry] = store.history(old_audits[0].client_id)
    assert entry.area_scores == {a.area: a.score for a in old_audits[0].scores.areas}
    assert entry.critical_findings == 3
    assert {(r.item_id, r.target_date) for r in store.roadmap_items("acme") if r.audit_id == "acme-a"} == {
        (i.id, i.target_date) for i in audit_a().roadmap.items}
    diff = compare(store, "acme-b", baseline=BASELINE)  # the migrated history is usable at once
    assert diff.scores.baseline_scope == 84.1
    store.save(audit_c())  # new rows are compressed, old ones stay as they were
    assert [e.id for e in store.history("acme")] == ["acme-a", "acme-b", "acme-c"]
    store.close()


def test_bad_store_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open store nosuchdb://x"):
        Store("nosuchdb://x")
    with pytest.raises(StoreError, match="cannot open or upgrade store") as error:
        Store("postgresql+psycopg://nobody:s3cr3t-pw@127.0.0.1:1/none")
    assert "s3cr3t-pw" not in str(error.value)


def test_cli_history_diff_export_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    db = str(tmp_path / "cli.sqlite")
    Store(db).save_many([audit_a(), audit_b(), audit_c()])
    assert main(["history", "acme", "--db", db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["score"], e["grade"], e["coverage"]) for e in listed] == [
        ("acme-a", 4.8, "F", 85.7), ("acme-b", 54.2, "D", 85.7), ("acme-c", 74.4, "D", 100.0)]
    assert main(["history", "--db", db, "acme"]) == 0
    assert "acme-b" in capsys.readouterr().out
    assert main(["diff", "acme-a", "acme-b", "--db", db, "--json", "--lang", "fr"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["counts"] == {"resolved": 5, "regressed": 2, "new": 2, "persisting": 1, "accepted": 0,
                              "unverified": 1}
    assert diff["scores"]["baseline_scope"] == 84.1 and diff["summary"][0].startswith("Score global : 4,8")
    pdf = tmp_path / "reaudit.pdf"
    assert main(["diff", "acme-c", "--db", db, "--pdf", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "acme-b → acme-c" in out and pdf.stat().st_size > 5000
    export = tmp_path / "acme.json"
    assert main(["history", "export", "acme", "--out", str(export), "--db", db]) == 0
    other = str(tmp_path / "other.sqlite")
    assert main(["history", "import", str(export), "--db", other]) == 0
    assert [e.id for e in Store(other).history("acme")] == ["acme-a", "acme-b", "acme-c"]
    capsys.readouterr()
    assert main(["diff", "acme-a", "--db", db]) == 2
    assert "first audit of client 'acme'" in capsys.readouterr().err
    assert main(["history", "nobody", "--db", db]) == 2
    assert main(["diff", "a", "b", "c", "--db", db]) == 2


def test_prepare_reaudit_carries_the_roadmap_forward(tmp_path: Path) -> None:
    from auditor.history import carry_forward, prepare_reaudit

    store = Store(str(tmp_path / "r.sqlite"))
    first = prepare_reaudit(store, audit_a())
    assert first == audit_a() and first.kind == "onboarding"  # nothing before it: unchanged
    store.save(first)
    second = prepare_reaudit(store, audit_b())
    assert second == carry_forward(audit_a(), audit_b()) and second.kind == "re-audit"
    store.save(second)
    # re-evaluating A's bundle later (same collection time) still finds nothing before A
    assert prepare_reaudit(store, audit_a()).kind == "onboarding"
    assert [e.kind for e in store.history("acme")] == ["onboarding", "re-audit"]


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                                        children, max_size=4),
                     max_leaves=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(audits=st.lists(_json, max_size=3), version=st.sampled_from([1, 2, "1", None]))
def test_import_of_arbitrary_json_is_a_clear_error_or_a_clean_import(tmp_path: Path, audits: list,
                                                                     version: object) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fuzz.sqlite'}")
    data = {"format": "msp-posture-auditor/history", "version": version, "audits": audits}
    try:
        store.import_history(data, origin="fuzz.json")
    except StoreError as exc:
        assert str(exc).startswith("fuzz.json: ")
    else:
        assert version == 1 and audits == []
    assert store.clients() == []
    store.close()
