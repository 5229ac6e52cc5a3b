"""Evaluation of the backup checks against hand-built evidence and inventories reconciled as in an audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.models import Exploitability, Severity, Status
from auditor_plugins.backup.checks import CHECK_IDS, CHECKS, basis_fr, evaluate
from auditor_plugins.backup.evidence import BackupEvidence, Job, ProtectedObject, Repository, RestorePoint
from auditor_plugins.backup.sources import RecordedEvidenceSource
from tests.plugins.backup.helpers import NOW, ad, by_id, context, demo_observations, names, scanned

DEMO = Path(__file__).resolve().parents[3] / "samples" / "demo-client" / "backup" / "veeam-evidence.json"
ALL_FOUR = ["DC01", "SRV-APP01", "SRV-BACKUP01", "SRV-FILE01"]


@pytest.fixture(scope="module")
def demo() -> BackupEvidence:
    return RecordedEvidenceSource(DEMO).collect()


def test_catalogue_is_complete_and_bilingual() -> None:
    assert len(CHECK_IDS) == len(set(CHECK_IDS)) == 10
    for check in CHECKS:
        assert check.id.startswith("backup.") and check.area == "backup"
        assert check.title.fr != check.title.en and check.remediation.fr != check.remediation.en
        assert check.references
    dc = next(c for c in CHECKS if c.id == "backup.dc_without_backup")
    assert dc.severity is Severity.critical and dc.exploitability is Exploitability.exposed
    servers = next(c for c in CHECKS if c.id == "backup.server_without_backup")
    assert servers.severity is Severity.critical and servers.group == dc.group == "backup_coverage"


def test_demo_estate_exact_findings(demo: BackupEvidence) -> None:
    results = by_id(evaluate(demo, context(demo)))
    assert set(results) == set(CHECK_IDS)
    dc = results["backup.dc_without_backup"]
    assert (dc.status, dc.score_share, names(dc), dc.measured) == (Status.failed, None, ["DC02"], 1)
    assert "no restore point" in dc.affected[0].detail and "account_hygiene" in dc.affected[0].detail
    assert dc.affected[0].detail_fr == \
        "aucun point de restauration dans la console de sauvegarde ; vu par account_hygiene, open_ports"
    assert (dc.threshold, dc.unit.en, dc.unit.fr) == (0, "domain controllers", "contrôleurs de domaine")
    servers = results["backup.server_without_backup"]
    assert (servers.status, servers.score_share, names(servers)) == (Status.partial, 0.75, ["SRV-LINUX01"])
    rpo = results["backup.rpo_exceeded"]
    assert (rpo.status, rpo.score_share, names(rpo), rpo.threshold) == (Status.partial, 0.75, ["SRV-FILE01"], 26.0)
    assert "worst-case data loss 3.2 days" in rpo.affected[0].detail
    assert rpo.affected[0].detail_fr == ("dernière sauvegarde réussie le 2026-11-17 à 05:41 UTC (perte de données "
                                         "possible : 3,2 jours) ; jamais testé en restauration")
    # Measured and threshold share one unit: the oldest "last good backup", in hours.
    assert (rpo.measured, rpo.unit.en, rpo.unit.fr) == (75.8, "hours", "heures")
    failing = results["backup.failing_jobs"]
    assert (failing.status, names(failing)) == (Status.failed, ["Fichiers - SRV-FILE01"])
    assert "last result failed at 2026-11-19 23:00 UTC" in failing.affected[0].detail
    assert failing.affected[0].detail_fr == \
        "dernier résultat : échec le 2026-11-19 à 23:00 UTC ; type Backup ; machines : SRV-FILE01"
    assert (failing.measured, failing.threshold, failing.unit.fr) == (1, 0, "travaux")
    assert results["backup.disabled_jobs"].status is Status.passed
    for check_id in ("backup.too_few_copies", "backup.no_offsite_copy", "backup.no_immutable_copy",
                     "backup.restore_test_overdue"):
        assert (results[check_id].status, names(results[check_id])) == (Status.failed, ALL_FOUR), check_id
    immutable = by_id(evaluate(demo, context(demo)))["backup.no_immutable_copy"]
    assert "REPO-HARDENED: WinLocal repository: this repository type cannot make backups immutable" in \
        immutable.affected[0].detail
    assert immutable.affected[0].detail_fr.startswith(
        "REPO-HARDENED : dépôt WinLocal : ce type de dépôt ne peut pas rendre les sauvegardes immuables ; ")
    assert (immutable.measured, immutable.threshold, immutable.unit.fr) == (4, 0, "machines")
    offsite = results["backup.no_offsite_copy"]
    assert offsite.affected[0].detail_fr.startswith(
        "aucune copie en stockage objet ni en niveau capacité, aucun travail de copie, toutes les copies sur "
        "SRV-BACKUP01 (REPO-HARDENED) ; ")
    copies = results["backup.too_few_copies"]
    assert copies.affected[0].detail_fr.startswith("1 copie ; dernière sauvegarde réussie le 2026-11-19 à 21:12 UTC")
    assert (copies.measured, copies.threshold, copies.unit.en, copies.unit.fr) == (1, 2, "copies", "copies")
    tested = {a.name: a.detail for a in results["backup.restore_test_overdue"].affected}
    assert "last restore test 2026-05-04 09:30 UTC (200 days ago)" in tested["DC01"]
    assert tested["SRV-FILE01"].endswith("never restore-tested")
    french = {a.name: a.detail_fr for a in results["backup.restore_test_overdue"].affected}
    assert french["DC01"].endswith("dernier test de restauration le 2026-05-04 à 09:30 UTC (il y a 200 jours)")
    assert french["SRV-FILE01"].endswith("jamais testé en restauration")
    restore = results["backup.restore_test_overdue"]
    # Some machines were never tested: no oldest age to show, only the expected one, in days.
    assert (restore.measured, restore.threshold, restore.unit.fr) == (None, 180, "jours")
    repo = results["backup.repository_nearly_full"]
    assert (repo.status, repo.measured, repo.threshold, repo.unit.fr) == (Status.passed, 63.0, 85.0, "%")


def test_demo_with_strict_thresholds(demo: BackupEvidence) -> None:
    results = by_id(evaluate(demo, context(demo, rpo_hours=8.0, restore_test_days=90,
                                          repository_full_percent=60.0)))
    # 8 h: every machine is older than that except SRV-BACKUP01 (8.1 h is older too).
    assert names(results["backup.rpo_exceeded"]) == ALL_FOUR
    assert results["backup.rpo_exceeded"].status is Status.failed
    assert names(results["backup.repository_nearly_full"]) == ["REPO-HARDENED"]


def _obj(name: str, *, last: dt.datetime | None = NOW - dt.timedelta(hours=3), copies: int = 2,
         offsite: bool | None = True, immutable: bool | None = True, ips: tuple[str, ...] = (),
         tested: dt.datetime | None = NOW - dt.timedelta(days=10), jobs: tuple[str, ...] = ("Daily",)
         ) -> ProtectedObject:
    points = (RestorePoint(time=last, repository_id="r1", repository_name="R1"),) if last else ()
    return ProtectedObject(name=name, ips=ips, jobs=jobs, restore_points=points, last_success=last, copies=copies,
                           offsite=offsite, offsite_basis="basis-offsite", immutable=immutable,
                           immutable_basis="basis-immutable", last_restore_test=tested,
                           restore_test_basis="basis-test")


def _evidence(*objects: ProtectedObject, jobs: tuple[Job, ...] = (), repositories: tuple[Repository, ...] = ()
              ) -> BackupEvidence:
    return BackupEvidence(provider="veeam", collected_at=NOW, objects=objects, jobs=jobs, repositories=repositories)


def test_fqdn_short_name_and_case_mismatches_reconcile() -> None:
    evidence = _evidence(_obj("dc01.CORP.example.com"), _obj("FILES01"), _obj("app01.corp.example.com."))
    observations = [ad("DC01.corp.example.com", "domain_controller"), ad("files01.corp.example.com"),
                    ad("APP01"), scanned("192.0.2.9", "app01.corp.example.com")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    assert results["backup.dc_without_backup"].status is Status.passed
    assert results["backup.server_without_backup"].status is Status.passed
    assert results["backup.no_offsite_copy"].status is Status.passed


def test_matching_by_ip_when_the_console_uses_another_name() -> None:
    evidence = _evidence(_obj("fileserver-vm", ips=("10.20.0.20",)))
    observations = [ad("SRV-FILE01.durand.local"), scanned("10.20.0.20", "srv-file01.durand.local")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    assert results["backup.server_without_backup"].status is Status.passed


def test_reconciled_asset_keeps_the_directory_name_over_a_console_alias() -> None:
    evidence = _evidence(_obj("fileserver-vm", ips=("10.20.0.20",), copies=1))
    observations = [ad("SRV-FILE01.durand.local"), scanned("10.20.0.20", "srv-file01.durand.local")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    assert names(results["backup.too_few_copies"]) == ["SRV-FILE01"]


def test_configured_but_never_succeeded_is_no_backup() -> None:
    evidence = _evidence(_obj("SRV-A", last=None, tested=None, jobs=("Nightly A",)), _obj("SRV-B"))
    observations = [ad("SRV-A.x.local"), ad("SRV-B.x.local")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    servers = results["backup.server_without_backup"]
    assert (servers.status, names(servers), servers.score_share) == (Status.partial, ["SRV-A"], 0.5)
    assert servers.affected[0].detail.startswith("configured in Nightly A but no restore point")
    assert servers.affected[0].detail_fr.startswith("prévu dans le travail Nightly A mais aucun point de restauration")
    rpo = results["backup.rpo_exceeded"]
    assert names(rpo) == ["SRV-A"] and rpo.affected[0].detail.startswith("no good restore point")
    # 3-2-1 and restore tests are judged on machines that have a backup at all.
    assert results["backup.too_few_copies"].status is Status.passed


def test_no_inventory_servers_is_not_assessed() -> None:
    evidence = _evidence(_obj("SRV-A"))
    results = by_id(evaluate(evidence, context(evidence, [ad("WKS-1", "workstation")])))
    for check_id in ("backup.dc_without_backup", "backup.server_without_backup"):
        assert results[check_id].status is Status.not_assessed
        assert "inventaire" in results[check_id].reason.fr


def test_all_servers_missing_fails_with_every_name() -> None:
    evidence = _evidence()
    observations = [ad("DC1", "domain_controller"), ad("DC2", "domain_controller"),
                    scanned("10.0.0.5", "lnx", "server")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    assert (results["backup.dc_without_backup"].status, names(results["backup.dc_without_backup"])) == \
        (Status.failed, ["DC1", "DC2"])
    assert names(results["backup.server_without_backup"]) == ["LNX"]
    assert results["backup.rpo_exceeded"].status is Status.not_assessed


def test_job_status_and_result_case_insensitive_and_warnings_switch() -> None:
    jobs = (
        Job(id="1", name="A", type="Backup", status="inactive", last_result="warning"),
        Job(id="2", name="B", type="backupcopy", status="inactive", last_result="failed"),
        Job(id="3", name="C", type="Backup", status="disabled", disabled=True, last_result="failed"),
        Job(id="4", name="D", type="Backup", status="running", last_result="success"),
    )
    evidence = _evidence(_obj("SRV-A"), jobs=jobs)
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A")])))
    assert names(results["backup.failing_jobs"]) == ["A", "B"]
    assert names(results["backup.disabled_jobs"]) == ["C"]
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A")], warnings_are_failures=False)))
    assert names(results["backup.failing_jobs"]) == ["B"]


def test_unknown_immutability_is_left_out_not_failed() -> None:
    evidence = _evidence(_obj("SRV-A", immutable=None), _obj("SRV-B", immutable=False))
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A"), ad("SRV-B")])))
    immutable = results["backup.no_immutable_copy"]
    assert (immutable.status, names(immutable)) == (Status.failed, ["SRV-B"])
    assert "SRV-A" in immutable.reason.en
    only_unknown = _evidence(_obj("SRV-A", immutable=None))
    result = by_id(evaluate(only_unknown, context(only_unknown, [ad("SRV-A")])))["backup.no_immutable_copy"]
    assert result.status is Status.not_assessed


def test_copies_offsite_restore_partial_shares() -> None:
    evidence = _evidence(_obj("S1", copies=1, offsite=False, tested=None), _obj("S2"), _obj("S3"),
                         _obj("S4", tested=NOW - dt.timedelta(days=181)))
    results = by_id(evaluate(evidence, context(evidence, [ad(n) for n in ("S1", "S2", "S3", "S4")])))
    assert (results["backup.too_few_copies"].score_share, names(results["backup.too_few_copies"])) == (0.75, ["S1"])
    assert names(results["backup.no_offsite_copy"]) == ["S1"]
    restore = results["backup.restore_test_overdue"]
    assert (restore.status, restore.score_share, names(restore)) == (Status.partial, 0.5, ["S1", "S4"])
    assert (results["backup.too_few_copies"].measured, results["backup.too_few_copies"].threshold) == (1, 2)


def test_repository_nearly_full_threshold_inclusive() -> None:
    repos = (Repository(id="a", name="A", type="WinLocal", capacity_gb=100, free_gb=15),
             Repository(id="b", name="B", type="WinLocal", capacity_gb=100, free_gb=16),
             Repository(id="c", name="S3", type="AmazonS3"))
    evidence = _evidence(_obj("S1"), repositories=repos)
    result = by_id(evaluate(evidence, context(evidence, [ad("S1")])))["backup.repository_nearly_full"]
    assert (result.status, names(result), result.measured) == (Status.failed, ["A"], 85.0)
    assert result.affected[0].detail.startswith("85% used (15 GB free of 100 GB)")
    assert result.affected[0].detail_fr.startswith("85 % utilisés (15 Go libres sur 100 Go) ; ")


def test_generic_evidence_leaves_jobs_and_repositories_not_assessed() -> None:
    evidence = BackupEvidence(provider="generic", collected_at=NOW, objects=(_obj("SRV-A"),), has_jobs=False,
                              has_repositories=False)
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A")])))
    for check_id in ("backup.failing_jobs", "backup.disabled_jobs", "backup.repository_nearly_full"):
        assert results[check_id].status is Status.not_assessed
    assert results["backup.server_without_backup"].status is Status.passed


def test_ages_use_the_evidence_time_not_the_evaluation_time(demo: BackupEvidence) -> None:
    ctx = context(demo)
    later = type(ctx)(plugin="backup", now=NOW + dt.timedelta(days=30), parameters=ctx.parameters,
                      inventory=ctx.inventory)
    assert evaluate(demo, ctx) == evaluate(demo, later)


def test_observations_cover_every_object(demo: BackupEvidence) -> None:
    from auditor_plugins.backup import auditor_assets

    observed = auditor_assets(evidence=demo)
    assert [o.name for o in observed] == ["DC01", "srv-app01.durand.local", "SRV-BACKUP01.durand.local",
                                          "SRV-FILE01"]
    assert {o.source for o in observed} == {"backup"}
    assert demo_observations()  # the inventory fixture describes the ESTATE.md hosts


def test_french_details_and_units_for_jobs_and_basis() -> None:
    jobs = (Job(id="3", name="C", type="Backup", disabled=True, last_result="failed"),)
    evidence = _evidence(_obj("SRV-A"), jobs=jobs)
    disabled = by_id(evaluate(evidence, context(evidence, [ad("SRV-A")])))["backup.disabled_jobs"]
    assert disabled.affected[0].detail_fr == "désactivé ; jamais exécuté ; type Backup"
    assert (disabled.measured, disabled.threshold, disabled.unit.en, disabled.unit.fr) == (1, 0, "jobs", "travaux")
    assert basis_fr("declared in backups.csv, line 3: offsite = not stated") == \
        "déclaré dans backups.csv, ligne 3 : offsite = non précisé"
    assert basis_fr("LHR: hardened Linux repository: makeRecentBackupsImmutableDays = 7, but no restore point is "
                    "younger than 7 days") == ("LHR : dépôt Linux renforcé : makeRecentBackupsImmutableDays = 7, "
                                               "mais aucun point de restauration n'a moins de 7 jours")
