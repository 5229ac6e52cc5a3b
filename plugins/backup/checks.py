"""The backup checks: declared catalogue and pure evaluation from evidence + inventory.

The question the audit answers: "if the servers fail tomorrow, how much data is lost and can we
restore?".  Coverage is judged against the reconciled inventory (AD computers, scanned hosts, console
devices), not against the backup console's own idea of the estate.  Ages are computed against the time
the evidence was collected (`evidence.collected_at`), so re-evaluating a bundle later gives the same
result.  Nothing here touches the network, the disk or the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import Field

from auditor.inventory import InventoryIndex, short_name
from auditor.models import (
    AffectedAsset,
    Asset,
    Check,
    CheckResult,
    Exploitability,
    FrameworkRef,
    LocalizedText,
    Severity,
    Status,
)
from auditor.plugin_api import EvaluationContext, PluginParameters
from auditor_plugins.backup.evidence import BackupEvidence, ProtectedObject

PLUGIN = "backup"
AREA = "backup"


class BackupParameters(PluginParameters):
    """Baseline thresholds for the backup checks."""

    #: Recovery point objective: the newest good restore point must be younger than this.
    rpo_hours: float = Field(default=26.0, gt=0, le=24 * 365)
    #: 3-2-1: how many copies (distinct repositories) each machine needs.
    min_copies: int = Field(default=2, ge=1, le=10)
    #: A successful restore test (SureBackup or declared) must be younger than this.
    restore_test_days: int = Field(default=180, ge=1, le=3650)
    #: A repository at or above this percentage of its capacity is nearly full.
    repository_full_percent: float = Field(default=85.0, gt=0, le=100)
    #: Count jobs whose last result is "warning" as failing (not only "failed").
    warnings_are_failures: bool = True


def _t(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


CIS_11_1 = FrameworkRef(framework="CIS Controls v8", control="11.1")
CIS_11_2 = FrameworkRef(framework="CIS Controls v8", control="11.2")
CIS_11_3 = FrameworkRef(framework="CIS Controls v8", control="11.3")
CIS_11_4 = FrameworkRef(framework="CIS Controls v8", control="11.4")
CIS_11_5 = FrameworkRef(framework="CIS Controls v8", control="11.5")
ANSSI_37 = FrameworkRef(framework="ANSSI hygiene guide", control="37")
NIST_DS11 = FrameworkRef(framework="NIST CSF 2.0", control="PR.DS-11")

CHECKS: tuple[Check, ...] = (
    Check(
        id="backup.dc_without_backup", plugin=PLUGIN, area=AREA, severity=Severity.critical,
        exploitability=Exploitability.exposed,
        title=_t("Domain controllers without a backup", "Contrôleurs de domaine sans sauvegarde"),
        rationale=_t(
            "Ransomware operators go for the domain controllers first. Without a backup of at least the "
            "Active Directory database, every account, group and policy has to be rebuilt by hand, which "
            "stops the whole company for days.",
            "Les attaquants par rançongiciel visent d'abord les contrôleurs de domaine. Sans sauvegarde de "
            "l'annuaire Active Directory, il faut recréer à la main tous les comptes, groupes et règles : "
            "toute l'entreprise est arrêtée pendant plusieurs jours."),
        remediation=_t(
            "Add every domain controller to a backup job (image or system state) and check the next run "
            "succeeds.",
            "Ajouter chaque contrôleur de domaine à un travail de sauvegarde (image complète ou état du "
            "système) et vérifier que la prochaine exécution réussit."),
        remediation_group="backup_coverage", effort_hours=1.0, effort_per_asset_hours=1.0,
        references=(CIS_11_2, ANSSI_37, NIST_DS11),
    ),
    Check(
        id="backup.server_without_backup", plugin=PLUGIN, area=AREA, severity=Severity.critical,
        exploitability=Exploitability.lateral,
        title=_t("Servers without a backup", "Serveurs sans sauvegarde"),
        rationale=_t(
            "A server with no restore point cannot be recovered after a disk failure, a mistake or "
            "ransomware: its data is simply lost.",
            "Un serveur sans point de restauration ne peut pas être récupéré après une panne de disque, une "
            "erreur de manipulation ou un rançongiciel : ses données sont perdues."),
        remediation=_t(
            "Add each listed server to a backup job (agent or image backup) and check the next run succeeds.",
            "Ajouter chaque serveur listé à un travail de sauvegarde (agent ou image) et vérifier que la "
            "prochaine exécution réussit."),
        remediation_group="backup_coverage", effort_hours=1.0, effort_per_asset_hours=1.0,
        references=(CIS_11_2, ANSSI_37, NIST_DS11),
    ),
    Check(
        id="backup.rpo_exceeded", plugin=PLUGIN, area=AREA, severity=Severity.high,
        title=_t("Last good backup older than the recovery point objective",
                 "Dernière sauvegarde réussie plus ancienne que l'objectif de perte de données"),
        rationale=_t(
            "The age of the newest good restore point is the amount of work lost if the machine fails "
            "now. Beyond the agreed objective, the business loses more than it accepted.",
            "L'âge du dernier point de restauration valide correspond au travail perdu si la machine tombe "
            "en panne maintenant. Au-delà de l'objectif convenu, l'entreprise perd plus que ce qu'elle "
            "accepte."),
        remediation=_t(
            "Find why the job stopped producing restore points (failed runs, disabled schedule, full "
            "repository), fix it and run it once by hand.",
            "Trouver pourquoi le travail ne produit plus de points de restauration (échecs, planification "
            "désactivée, dépôt plein), corriger la cause et le relancer une fois manuellement."),
        remediation_group="backup_job_repair", effort_hours=1.0, effort_per_asset_hours=0.5,
        references=(CIS_11_2, NIST_DS11),
    ),
    Check(
        id="backup.failing_jobs", plugin=PLUGIN, area=AREA, severity=Severity.high,
        title=_t("Backup jobs failing or ending with warnings", "Travaux de sauvegarde en échec ou en avertissement"),
        rationale=_t(
            "A failing job silently stops protecting its machines; warnings often mean some disks or "
            "machines were skipped.",
            "Un travail en échec cesse de protéger ses machines sans que personne ne s'en aperçoive ; un "
            "avertissement signifie souvent que des disques ou des machines ont été ignorés."),
        remediation=_t(
            "Read the job's last session log, fix the cause (credentials, space, network, VSS) and make "
            "sure failure e-mails reach someone who acts on them.",
            "Lire le journal de la dernière session, corriger la cause (identifiants, espace, réseau, VSS) "
            "et s'assurer que les alertes d'échec arrivent à quelqu'un qui les traite."),
        remediation_group="backup_job_repair", effort_hours=1.0, effort_per_asset_hours=0.5,
        references=(CIS_11_2, NIST_DS11),
    ),
    Check(
        id="backup.disabled_jobs", plugin=PLUGIN, area=AREA, severity=Severity.medium,
        title=_t("Disabled backup jobs", "Travaux de sauvegarde désactivés"),
        rationale=_t(
            "A disabled job is often left over from a maintenance and forgotten: its machines are no "
            "longer backed up.",
            "Un travail désactivé est souvent un oubli après une maintenance : ses machines ne sont plus "
            "sauvegardées."),
        remediation=_t(
            "Re-enable each disabled job, or delete it once its machines are protected by another job.",
            "Réactiver chaque travail désactivé, ou le supprimer une fois ses machines protégées par un "
            "autre travail."),
        remediation_group="backup_job_review", effort_hours=0.5, effort_per_asset_hours=0.25,
        references=(CIS_11_2,),
    ),
    Check(
        id="backup.too_few_copies", plugin=PLUGIN, area=AREA, severity=Severity.high,
        title=_t("Fewer than two backup copies", "Moins de deux copies de sauvegarde"),
        rationale=_t(
            "With a single copy, one broken disk array, one deleted repository or one encrypted backup "
            "server means no backup at all (the 3-2-1 rule asks for several copies).",
            "Avec une seule copie, une baie de disques en panne, un dépôt supprimé ou un serveur de "
            "sauvegarde chiffré suffit à tout perdre (la règle 3-2-1 demande plusieurs copies)."),
        remediation=_t(
            "Add a backup copy job to a second repository, ideally off site (object storage or a cloud "
            "provider).",
            "Ajouter un travail de copie de sauvegarde vers un second dépôt, idéalement hors site "
            "(stockage objet ou prestataire cloud)."),
        remediation_group="backup_offsite_copy", effort_hours=4.0, effort_per_asset_hours=0.25,
        references=(CIS_11_4, ANSSI_37, NIST_DS11),
    ),
    Check(
        id="backup.no_offsite_copy", plugin=PLUGIN, area=AREA, severity=Severity.high,
        title=_t("No offsite backup copy", "Aucune copie de sauvegarde hors site"),
        rationale=_t(
            "Fire, flood, theft or an attacker on the local network can destroy the servers and the "
            "backups kept next to them at the same time.",
            "Un incendie, un dégât des eaux, un vol ou un attaquant sur le réseau local peuvent détruire "
            "en même temps les serveurs et les sauvegardes conservées à côté."),
        remediation=_t(
            "Send a copy of the backups off site: a backup copy job or a capacity tier to object storage, "
            "or a cloud backup provider.",
            "Envoyer une copie des sauvegardes hors site : travail de copie ou niveau de capacité vers un "
            "stockage objet, ou prestataire de sauvegarde cloud."),
        remediation_group="backup_offsite_copy", effort_hours=4.0, effort_per_asset_hours=0.25,
        references=(CIS_11_4, ANSSI_37, NIST_DS11),
    ),
    Check(
        id="backup.no_immutable_copy", plugin=PLUGIN, area=AREA, severity=Severity.high,
        exploitability=Exploitability.lateral,
        title=_t("No immutable backup copy", "Aucune copie de sauvegarde immuable"),
        rationale=_t(
            "Ransomware operators delete or encrypt the backups before encrypting the servers. Only an "
            "immutable copy (hardened Linux repository, object storage with object lock) survives an "
            "attacker holding the backup administrator's password.",
            "Les attaquants suppriment ou chiffrent les sauvegardes avant de chiffrer les serveurs. Seule "
            "une copie immuable (dépôt Linux durci, stockage objet avec verrouillage) résiste à un "
            "attaquant qui a le mot de passe de l'administrateur des sauvegardes."),
        remediation=_t(
            "Enable immutability: a hardened Linux repository with 'make recent backups immutable', or "
            "object storage with immutability, and point a job or a copy job at it.",
            "Activer l'immuabilité : dépôt Linux durci avec l'option « rendre les sauvegardes récentes "
            "immuables », ou stockage objet avec immuabilité, et y diriger un travail ou une copie."),
        remediation_group="backup_immutable_copy", effort_hours=6.0, effort_per_asset_hours=0.25,
        references=(CIS_11_3, CIS_11_4, NIST_DS11),
    ),
    Check(
        id="backup.restore_test_overdue", plugin=PLUGIN, area=AREA, severity=Severity.medium,
        title=_t("No recent restore test", "Aucun test de restauration récent"),
        rationale=_t(
            "A backup that has never been restored is a hope, not a plan: corrupt restore points, missing "
            "disks or forgotten passwords are found during the crisis.",
            "Une sauvegarde jamais restaurée est un espoir, pas un plan : points de restauration corrompus, "
            "disques manquants ou mots de passe oubliés se découvrent en pleine crise."),
        remediation=_t(
            "Schedule an automated restore test (Veeam SureBackup) of the critical servers, or restore them "
            "by hand in an isolated network, and record the result.",
            "Planifier un test de restauration automatique (Veeam SureBackup) des serveurs critiques, ou "
            "les restaurer manuellement dans un réseau isolé, et consigner le résultat."),
        remediation_group="backup_restore_testing", effort_hours=4.0, effort_per_asset_hours=0.5,
        depends_on=("backup_job_repair",),
        references=(CIS_11_5, NIST_DS11),
    ),
    Check(
        id="backup.repository_nearly_full", plugin=PLUGIN, area=AREA, severity=Severity.medium,
        title=_t("Backup repository nearly full", "Dépôt de sauvegarde presque plein"),
        rationale=_t(
            "A full repository makes every job writing to it fail, usually without warning before it "
            "happens.",
            "Un dépôt plein fait échouer tous les travaux qui y écrivent, en général sans prévenir avant."),
        remediation=_t(
            "Free space (retention, old backups of removed machines) or extend the repository.",
            "Libérer de l'espace (durée de rétention, anciennes sauvegardes de machines retirées) ou "
            "agrandir le dépôt."),
        remediation_group="backup_repository_capacity", effort_hours=2.0,
        references=(CIS_11_2,),
    ),
)

CHECK_IDS = tuple(c.id for c in CHECKS)


@dataclass
class _View:
    """One machine as the audit sees it: its inventory asset (if reconciled) and the console's objects."""

    name: str
    asset: Asset | None
    objects: list[ProtectedObject] = field(default_factory=list)

    @property
    def last_success(self) -> dt.datetime | None:
        return max((o.last_success for o in self.objects if o.last_success), default=None)

    @property
    def last_restore_test(self) -> dt.datetime | None:
        return max((o.last_restore_test for o in self.objects if o.last_restore_test), default=None)

    @property
    def copies(self) -> int:
        return max((o.copies for o in self.objects), default=0)

    def flag(self, attribute: str) -> bool | None:
        values = [getattr(o, attribute) for o in self.objects if o.last_success]
        if any(v is True for v in values):
            return True
        if any(v is None for v in values) or not values:
            return None
        return False

    def basis(self, attribute: str) -> str:
        return "; ".join(getattr(o, attribute) for o in self.objects if getattr(o, attribute))


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def _when_fr(moment: dt.datetime | None) -> str:
    return f"le {moment:%Y-%m-%d} à {moment:%H:%M} UTC" if moment else "jamais"


def _hours(now: dt.datetime, moment: dt.datetime) -> float:
    return (now - moment).total_seconds() / 3600


def _age(now: dt.datetime, moment: dt.datetime) -> str:
    hours = _hours(now, moment)
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _age_fr(now: dt.datetime, moment: dt.datetime) -> str:
    hours = _hours(now, moment)
    return (f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} jours").replace(".", ",")


def protection_detail(view: _View, now: dt.datetime) -> str:
    """The per-server line a report shows: worst-case data loss and last restore test."""
    last = view.last_success
    loss = (f"last good restore point {_when(last)} (worst-case data loss {_age(now, last)})" if last
            else "no good restore point")
    test = view.last_restore_test
    tested = f"last restore test {_when(test)} ({(now - test).days} days ago)" if test else "never restore-tested"
    return f"{loss}; {tested}"


def protection_detail_fr(view: _View, now: dt.datetime) -> str:
    """`protection_detail` in French."""
    last = view.last_success
    loss = (f"dernière sauvegarde réussie {_when_fr(last)} (perte de données possible : {_age_fr(now, last)})"
            if last else "aucune sauvegarde réussie")
    test = view.last_restore_test
    tested = (f"dernier test de restauration {_when_fr(test)} (il y a {(now - test).days} jours)" if test
              else "jamais testé en restauration")
    return f"{loss} ; {tested}"


#: The fixed wording of the derived `*_basis` texts (derive.py, generic.py), in French.  The basis is
#: recorded in English in the evidence; it is translated here, phrase by phrase, so recorded bundles keep
#: working.  Order matters: longer phrases first.  Anything unknown (names, vendor types) stays as is.
_BASIS_FR: tuple[tuple[str, str], ...] = (
    (r"no copy in object storage or a capacity tier, no backup copy job, all copies on ",
     "aucune copie en stockage objet ni en niveau capacité, aucun travail de copie, toutes les copies sur "),
    (r"makeRecentBackupsImmutableDays is not set", "makeRecentBackupsImmutableDays n'est pas défini"),
    (r"makeRecentBackupsImmutableDays is 0", "makeRecentBackupsImmutableDays vaut 0"),
    (r"backups on it are not immutable", "ses sauvegardes ne sont pas immuables"),
    (r"hardened Linux repository, but", "dépôt Linux renforcé, mais"),
    (r"hardened Linux repository", "dépôt Linux renforcé"),
    (r"object storage / cloud repository", "stockage objet / dépôt cloud"),
    (r"object storage", "stockage objet"),
    (r" without an immutability setting", " sans réglage d'immuabilité"),
    (r"(\S+) repository: this repository type cannot make backups immutable",
     r"dépôt \1 : ce type de dépôt ne peut pas rendre les sauvegardes immuables"),
    (r"(\S+) repository: the API does not say whether backups are immutable",
     r"dépôt \1 : l'API n'indique pas si les sauvegardes sont immuables"),
    (r"scale-out repository with a capacity tier \(copy policy\)",
     "dépôt scale-out avec niveau capacité (copie)"),
    (r"scale-out repository with a capacity tier \(move policy\)",
     "dépôt scale-out avec niveau capacité (déplacement)"),
    (r"scale-out repository without an enabled capacity tier", "dépôt scale-out sans niveau capacité activé"),
    (r"every performance extent is immutable", "toutes les extensions de performance sont immuables"),
    (r"the immutability of some performance extents is not known",
     "l'immuabilité de certaines extensions de performance est inconnue"),
    (r"neither the performance extents nor the capacity tier are immutable",
     "ni les extensions de performance ni le niveau capacité ne sont immuables"),
    (r"its capacity extent", "son extension de capacité"),
    (r"(^|: )capacity tier ", r"\1niveau capacité "),
    (r"(\S+) repository on a local host", r"dépôt \1 sur un hôte local"),
    (r"(\S+) repository on ", r"dépôt \1 sur "),
    (r"(\d+) restore point\(s\) in ", r"\1 point(s) de restauration dans "),
    (r"restore points in ", "points de restauration dans "),
    (r"processed by backup copy job ", "traité par le travail de copie "),
    (r"copies in repositories on different hosts", "copies dans des dépôts sur des hôtes différents"),
    (r", but no restore point is younger than (\d+) days",
     r", mais aucun point de restauration n'a moins de \1 jours"),
    (r"no restore point", "aucun point de restauration"),
    (r"unknown repository", "dépôt inconnu"),
    (r"\bone site\b", "un seul site"),
    (r"^declared in ", "déclaré dans "),
    (r"; declared in ", "; déclaré dans "),
    (r", line (\d+): ", r", ligne \1: "),
    (r"= not stated", "= non précisé"),
    (r"= true, (\d+) days", r"= true, \1 jours"),
    (r" \(to ", " (vers "),
    (r"dépôt unknown\b", "dépôt de type inconnu"),
    (r" on ", " sur "),
    (r" ?: ", " : "),
    (r" ?; ", " ; "),
)
_BASIS_FR_COMPILED = tuple((re.compile(pattern), french) for pattern, french in _BASIS_FR)


def basis_fr(text: str) -> str:
    """A derived basis text in French (see `_BASIS_FR`)."""
    for pattern, french in _BASIS_FR_COMPILED:
        text = pattern.sub(french, text)
    return text


def views(evidence: BackupEvidence, inventory: Iterable[Asset]) -> list[_View]:
    """Group the console's objects by reconciled asset (FQDN vs short name, case, IP all match)."""
    index = InventoryIndex(inventory)
    grouped: dict[str, _View] = {}
    for obj in evidence.objects:
        asset = index.find(obj.name, obj.ips)
        key = f"asset:{asset.key}" if asset else f"console:{short_name(obj.name) or obj.name.lower()}"
        view = grouped.setdefault(key, _View(name=asset.name if asset else obj.name, asset=asset))
        view.objects.append(obj)
    return sorted(grouped.values(), key=lambda v: v.name.lower())


def _not_assessed(check_id: str, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=check_id, status=Status.not_assessed, reason=_t(en, fr))


HOURS = _t("hours", "heures")
DAYS = _t("days", "jours")
COPIES = _t("copies", "copies")
MACHINES = _t("machines", "machines")
JOBS = _t("jobs", "travaux")
PERCENT = _t("%", "%")


def _coverage(check_id: str, affected: list[AffectedAsset], total: int, threshold: float | int | None,
              reason: LocalizedText | None = None, *, unit: LocalizedText | None = None,
              own_measure: bool = False, measured: float | int | None = None) -> CheckResult:
    """Pass when nothing is affected; partial in proportion of machines that comply; fail when none does.

    The measure is the number of affected machines (then `threshold` must be a number of machines too),
    unless `own_measure`: checks whose threshold is a duration or a count of copies pass `measured` in that
    unit.
    """
    affected = sorted(affected, key=lambda a: (a.name.lower(), a.detail))
    value = measured if own_measure else len(affected)
    if not affected:
        return CheckResult(check_id=check_id, status=Status.passed, measured=value, threshold=threshold,
                           unit=unit, reason=reason)
    share = (total - len(affected)) / total if total else 0.0
    status = Status.partial if 0 < share < 1 else Status.failed
    return CheckResult(check_id=check_id, status=status, score_share=share if status is Status.partial else None,
                       measured=value, threshold=threshold, unit=unit, affected=tuple(affected), reason=reason)


def evaluate(evidence: BackupEvidence, context: EvaluationContext) -> list[CheckResult]:
    """Every declared check, from the evidence and the reconciled inventory."""
    params = context.parameters if isinstance(context.parameters, BackupParameters) else BackupParameters()
    now = evidence.collected_at
    machine_views = views(evidence, context.inventory)
    protected = [v for v in machine_views if v.last_success is not None]
    results = [
        *_coverage_checks(evidence, context.inventory, machine_views, now),
        _rpo(machine_views, params, now),
        _failing_jobs(evidence, params),
        _disabled_jobs(evidence),
        _copies(protected, params, now),
        _flag_check("backup.no_offsite_copy", protected, "offsite", "offsite_basis", now,
                    ("kept off site", "conservée hors site")),
        _flag_check("backup.no_immutable_copy", protected, "immutable", "immutable_basis", now,
                    ("immutable", "immuable")),
        _restore_tests(evidence, protected, params, now),
        _repositories(evidence, params),
    ]
    return results


def _coverage_checks(evidence: BackupEvidence, inventory: Iterable[Asset], machine_views: list[_View],
                     now: dt.datetime) -> list[CheckResult]:
    inventory = tuple(inventory)
    covered = {v.asset.key for v in machine_views if v.asset is not None and v.last_success is not None}
    configured = {v.asset.key: v for v in machine_views if v.asset is not None}
    results = []
    for check_id, roles, noun, unit in (
        ("backup.dc_without_backup", ("domain_controller",), ("domain controller", "contrôleur de domaine"),
         _t("domain controllers", "contrôleurs de domaine")),
        ("backup.server_without_backup", ("server",), ("server", "serveur"), _t("servers", "serveurs")),
    ):
        machines = [a for a in inventory if a.role in roles]
        if not machines:
            results.append(_not_assessed(
                check_id,
                f"No {noun[0]} in the reconciled inventory (Active Directory and network scan evidence are "
                "needed to know which machines should be backed up).",
                f"Aucun {noun[1]} dans l'inventaire consolidé (les données de l'annuaire et du scan réseau "
                "sont nécessaires pour savoir quelles machines doivent être sauvegardées)."))
            continue
        affected = []
        for asset in machines:
            if asset.key in covered:
                continue
            view = configured.get(asset.key)
            sources = ", ".join(s for s in asset.sources if s != PLUGIN)
            job_names = sorted({j for o in view.objects for j in o.jobs}) if view else []
            jobs = ", ".join(job_names)
            detail = (f"configured in {jobs or 'a job'} but no restore point" if view
                      else "no restore point in the backup console")
            in_jobs = (f"les travaux {jobs}" if len(job_names) > 1 else f"le travail {jobs}") if jobs else "un travail"
            detail_fr = (f"prévu dans {in_jobs} mais aucun point de restauration" if view
                         else "aucun point de restauration dans la console de sauvegarde")
            affected.append(AffectedAsset(
                name=asset.name, kind="host", detail=f"{detail}; seen by {sources or 'backup console'}",
                detail_fr=f"{detail_fr} ; vu par {sources or 'la console de sauvegarde'}"))
        result = _coverage(check_id, affected, len(machines), 0, unit=unit)
        if check_id == "backup.dc_without_backup" and result.status is Status.partial:
            # Any domain controller without a backup is a failure, not a share: it is what ransomware
            # destroys first, and a failed critical check caps the audit's grade.
            result = result.model_copy(update={"status": Status.failed, "score_share": None})
        results.append(result)
    return results


def _rpo(machine_views: list[_View], params: BackupParameters, now: dt.datetime) -> CheckResult:
    if not machine_views:
        return _not_assessed("backup.rpo_exceeded", "The backup console protects no machine.",
                             "La console de sauvegarde ne protège aucune machine.")
    limit = dt.timedelta(hours=params.rpo_hours)
    affected = [AffectedAsset(name=v.name, kind="host", detail=protection_detail(v, now),
                              detail_fr=protection_detail_fr(v, now)) for v in machine_views
                if v.last_success is None or now - v.last_success > limit]
    # Measured: the age of the oldest "newest good restore point", in hours like the objective (unknown,
    # i.e. infinite, when a machine has none: the affected list says so).
    ages = [_hours(now, v.last_success) for v in machine_views if v.last_success is not None]
    worst = round(max(ages), 1) if ages and len(ages) == len(machine_views) else None
    return _coverage("backup.rpo_exceeded", affected, len(machine_views), params.rpo_hours, unit=HOURS,
                     own_measure=True, measured=worst)


def _last_run_fr(moment: dt.datetime | None) -> str:
    return f"dernière exécution {_when_fr(moment)}" if moment else "jamais exécuté"


_RESULT_FR = {"failed": "échec", "warning": "avertissement", "success": "réussi"}


def _failing_jobs(evidence: BackupEvidence, params: BackupParameters) -> CheckResult:
    if not evidence.has_jobs:
        return _not_assessed("backup.failing_jobs", "The backup evidence (generic format) lists no jobs.",
                             "Les données de sauvegarde (format générique) ne décrivent aucun travail.")
    bad = ("failed", "warning") if params.warnings_are_failures else ("failed",)
    jobs = [j for j in evidence.jobs if not j.disabled]
    affected = [AffectedAsset(name=j.name, kind="job",
                              detail=f"last result {j.last_result} at {_when(j.last_run)}; type {j.type or 'unknown'}"
                                     + (f"; machines: {', '.join(j.objects)}" if j.objects else ""),
                              detail_fr=f"dernier résultat : {_RESULT_FR.get(j.last_result, j.last_result)} "
                                        f"{_when_fr(j.last_run) if j.last_run else '(date inconnue)'} ; "
                                        f"type {j.type or 'inconnu'}"
                                        + (f" ; machines : {', '.join(j.objects)}" if j.objects else ""))
                for j in jobs if j.last_result in bad]
    affected.sort(key=lambda a: a.name.lower())
    status = Status.failed if affected else Status.passed
    return CheckResult(check_id="backup.failing_jobs", status=status, measured=len(affected), threshold=0,
                       unit=JOBS, affected=tuple(affected))


def _disabled_jobs(evidence: BackupEvidence) -> CheckResult:
    if not evidence.has_jobs:
        return _not_assessed("backup.disabled_jobs", "The backup evidence (generic format) lists no jobs.",
                             "Les données de sauvegarde (format générique) ne décrivent aucun travail.")
    affected = sorted((AffectedAsset(name=j.name, kind="job",
                                     detail=f"disabled; last run {_when(j.last_run)}; type {j.type or 'unknown'}"
                                            + (f"; machines: {', '.join(j.objects)}" if j.objects else ""),
                                     detail_fr=f"désactivé ; {_last_run_fr(j.last_run)} ; "
                                               f"type {j.type or 'inconnu'}"
                                               + (f" ; machines : {', '.join(j.objects)}" if j.objects else ""))
                       for j in evidence.jobs if j.disabled), key=lambda a: a.name.lower())
    return CheckResult(check_id="backup.disabled_jobs", status=Status.failed if affected else Status.passed,
                       measured=len(affected), threshold=0, unit=JOBS, affected=tuple(affected))


def _copies(protected: list[_View], params: BackupParameters, now: dt.datetime) -> CheckResult:
    if not protected:
        return _not_assessed("backup.too_few_copies", "No machine has a restore point to count copies of.",
                             "Aucune machine n'a de point de restauration dont on puisse compter les copies.")
    affected = [AffectedAsset(name=v.name, kind="host",
                              detail=f"{v.copies} cop{'y' if v.copies == 1 else 'ies'}; {protection_detail(v, now)}",
                              detail_fr=f"{v.copies} copie{'' if v.copies <= 1 else 's'} ; "
                                        f"{protection_detail_fr(v, now)}")
                for v in protected if v.copies < params.min_copies]
    # Measured: the fewest copies any backed-up machine has, in copies like the threshold.
    return _coverage("backup.too_few_copies", affected, len(protected), params.min_copies, unit=COPIES,
                     own_measure=True, measured=min(v.copies for v in protected))


def _flag_check(check_id: str, protected: list[_View], attribute: str, basis: str, now: dt.datetime,
                word: tuple[str, str]) -> CheckResult:
    known = [v for v in protected if v.flag(attribute) is not None]
    unknown = [v.name for v in protected if v.flag(attribute) is None]
    if not known:
        listed = f" ({', '.join(unknown)})." if unknown else "."
        return _not_assessed(
            check_id,
            f"For none of the backed-up machines could it be determined whether a copy is {word[0]}{listed}",
            f"Pour aucune des machines sauvegardées, il n'a été possible de déterminer si une copie est "
            f"{word[1]}{listed}")
    affected = [AffectedAsset(name=v.name, kind="host", detail=f"{v.basis(basis)}; {protection_detail(v, now)}",
                              detail_fr=f"{basis_fr(v.basis(basis))} ; {protection_detail_fr(v, now)}")
                for v in known if v.flag(attribute) is False]
    reason = None
    if unknown:
        reason = _t(f"Not determined for: {', '.join(unknown)} (left out of the count).",
                    f"Non déterminé pour : {', '.join(unknown)} (exclus du calcul).")
    # Measured: the machines without such a copy (every machine needs at least one).
    return _coverage(check_id, affected, len(known), 0, reason, unit=MACHINES)


def _restore_tests(evidence: BackupEvidence, protected: list[_View], params: BackupParameters,
                   now: dt.datetime) -> CheckResult:
    if not evidence.has_restore_tests:
        return _not_assessed("backup.restore_test_overdue", "Restore tests could not be read.",
                             "Les tests de restauration n'ont pas pu être lus.")
    if not protected:
        return _not_assessed("backup.restore_test_overdue", "No machine has a restore point to test.",
                             "Aucune machine n'a de point de restauration à tester.")
    limit = dt.timedelta(days=params.restore_test_days)
    affected = [AffectedAsset(name=v.name, kind="host", detail=protection_detail(v, now),
                              detail_fr=protection_detail_fr(v, now)) for v in protected
                if v.last_restore_test is None or now - v.last_restore_test > limit]
    # Measured: days since the oldest "last restore test", in days like the threshold (unknown when a
    # machine was never tested: the affected list says so).
    tested = [(now - v.last_restore_test).days for v in protected if v.last_restore_test is not None]
    oldest = max(tested) if tested and len(tested) == len(protected) else None
    return _coverage("backup.restore_test_overdue", affected, len(protected), params.restore_test_days, unit=DAYS,
                     own_measure=True, measured=oldest)


def _repositories(evidence: BackupEvidence, params: BackupParameters) -> CheckResult:
    if not evidence.has_repositories:
        return _not_assessed("backup.repository_nearly_full",
                             "The backup evidence (generic format) lists no repositories.",
                             "Les données de sauvegarde (format générique) ne décrivent aucun dépôt.")
    measured = [(r, r.used_percent) for r in evidence.repositories if r.used_percent is not None and not r.scale_out]
    if not measured:
        return _not_assessed("backup.repository_nearly_full", "No repository reported its capacity.",
                             "Aucun dépôt n'a indiqué sa capacité.")
    affected = sorted((AffectedAsset(name=r.name, kind="repository",
                                     detail=f"{used:.0f}% used ({r.free_gb:.0f} GB free of {r.capacity_gb:.0f} GB); "
                                            f"{r.type} on {r.host_name or 'unknown host'}",
                                     detail_fr=f"{used:.0f} % utilisés ({r.free_gb:.0f} Go libres sur "
                                               f"{r.capacity_gb:.0f} Go) ; {r.type} sur "
                                               f"{r.host_name or 'hôte inconnu'}")
                       for r, used in measured if used >= params.repository_full_percent),
                      key=lambda a: a.name.lower())
    worst = max(used for _, used in measured)
    return CheckResult(check_id="backup.repository_nearly_full", status=Status.failed if affected else Status.passed,
                       measured=round(worst, 1), threshold=params.repository_full_percent, unit=PERCENT,
                       affected=tuple(affected))


def register_all(register: Callable[[Check], None]) -> None:
    for check in CHECKS:
        register(check)
