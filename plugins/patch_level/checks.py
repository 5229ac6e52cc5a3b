"""The patch-level checks: the declared catalogue and the pure evaluation against the lifecycle data.

Inputs are this plugin's own observation models (`inputs`): what AD, the inventory exports and the
scanned banners say about each machine.  Per machine the best observation wins (patch-level from an
RMM/Intune export beats release-level from AD, which beats an OS inferred from a banner); a machine whose
every record is older than `stale_days` is "data stale" -- listed as such, never called unpatched.

Confidence is carried on results: "patch-level" (revision or last patch date known), "release-level"
(AD: the release, not the patch level), "banner" (inferred from a service banner).  A machine whose OS
or version is unknown is not assessed and lowers the coverage check, never fails another check.
Everything is computed against `now` (the collection time) and the lifecycle data: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from auditor.i18n import format_date
from auditor.inventory import short_name
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
from auditor_plugins.patch_level.config import PatchLevelParameters
from auditor_plugins.patch_level.inputs import (
    CONFIDENCE_RANK,
    OsObservation,
    ServiceObservation,
    software_in,
)
from auditor_plugins.patch_level.lifecycle import (
    LifecycleData,
    OsRelease,
    ServiceAssessment,
    Unresolved,
    assess_service,
    releases_behind,
    resolve_os,
    supported_successor,
)

PLUGIN = "patch_level"
AREA = "patch_level"

SERVER_EOL = "patch_level.server_os_unsupported"
WORKSTATION_EOL = "patch_level.workstation_os_unsupported"
EOL_SOON = "patch_level.os_support_ending"
FEATURE_BEHIND = "patch_level.windows_feature_release_behind"
UPDATES_OLD = "patch_level.updates_outdated"
SERVICES_EOL = "patch_level.services_unsupported"
SERVICES_KEV = "patch_level.services_known_exploited"
COVERAGE = "patch_level.os_coverage"
STALE = "patch_level.stale_device_records"


def _t(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


#: Units of `measured` and `threshold`: every count check measures "affected/assessed" against 0 affected.
UNIT_SERVERS = LocalizedText(en="servers", fr="serveurs")
UNIT_WORKSTATIONS = LocalizedText(en="workstations", fr="postes de travail")
UNIT_MACHINES = LocalizedText(en="machines", fr="machines")
UNIT_COMPUTERS = LocalizedText(en="computers", fr="ordinateurs")
UNIT_SERVICES = LocalizedText(en="services", fr="services")
UNIT_PERCENT = LocalizedText(en="%", fr="%")


def _refs(*items: tuple[str, str]) -> tuple[FrameworkRef, ...]:
    return tuple(FrameworkRef(framework=f, control=c) for f, c in items)


CIS_SUPPORTED = ("CIS Controls v8", "2.2")
CIS_OS_PATCH = ("CIS Controls v8", "7.3")
CIS_APP_PATCH = ("CIS Controls v8", "7.4")
CIS_REMEDIATION = ("CIS Controls v8", "7.2")
CIS_INVENTORY = ("CIS Controls v8", "1.1")
ANSSI_UPDATES = ("ANSSI hygiène", "34")
ANSSI_OBSOLETE = ("ANSSI hygiène", "35")

CHECKS: tuple[Check, ...] = (
    Check(
        id=SERVER_EOL, plugin=PLUGIN, area=AREA, severity=Severity.critical, exploitability=Exploitability.lateral,
        title=_t("Servers running an operating system past end of support",
                 "Serveurs sous un système d'exploitation qui n'est plus supporté"),
        rationale=_t(
            "An operating system past end of support no longer receives security fixes: every flaw found since "
            "then stays open for good, and attackers use them to take over servers and spread ransomware.",
            "Un système qui n'est plus supporté ne reçoit plus de correctifs de sécurité : chaque faille découverte "
            "depuis reste ouverte définitivement, et les attaquants s'en servent pour prendre la main sur les "
            "serveurs et propager un rançongiciel."),
        remediation=_t(
            "Migrate the listed servers to a supported release (new server or in-place upgrade), or retire them. "
            "Until then, isolate them on the network and consider paid Extended Security Updates.",
            "Migrer les serveurs listés vers une version supportée (nouveau serveur ou mise à niveau), ou les "
            "retirer. En attendant, les isoler sur le réseau et envisager les mises à jour de sécurité étendues "
            "(ESU) payantes."),
        remediation_group="patch_os_replace_servers", effort_hours=2.0, effort_per_asset_hours=16.0,
        references=_refs(CIS_SUPPORTED, CIS_OS_PATCH, ANSSI_OBSOLETE),
    ),
    Check(
        id=WORKSTATION_EOL, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Workstations running an operating system past end of support",
                 "Postes de travail sous un système d'exploitation qui n'est plus supporté"),
        rationale=_t(
            "Workstations are where attacks start (e-mail, web). Without security updates, a single malicious "
            "web page or attachment can exploit a flaw that will never be fixed.",
            "Les attaques commencent sur les postes (messagerie, web). Sans mises à jour de sécurité, une seule "
            "page web ou pièce jointe piégée peut exploiter une faille qui ne sera jamais corrigée."),
        remediation=_t(
            "Upgrade the listed computers to a supported Windows release (Windows 11 where the hardware allows "
            "it), replace those that cannot be upgraded, or enrol them in Extended Security Updates meanwhile.",
            "Mettre à niveau les ordinateurs listés vers une version de Windows supportée (Windows 11 si le "
            "matériel le permet), remplacer ceux qui ne peuvent pas l'être, ou les inscrire aux mises à jour "
            "de sécurité étendues (ESU) en attendant."),
        remediation_group="patch_os_replace_workstations", effort_hours=1.0, effort_per_asset_hours=3.0,
        references=_refs(CIS_SUPPORTED, CIS_OS_PATCH, ANSSI_OBSOLETE),
    ),
    Check(
        id=EOL_SOON, plugin=PLUGIN, area=AREA, severity=Severity.medium, exploitability=Exploitability.hygiene,
        title=_t("Operating systems reaching end of support soon",
                 "Systèmes d'exploitation bientôt en fin de support"),
        rationale=_t(
            "Replacing a server or a fleet of computers takes months of budget and planning; starting after the "
            "end of support leaves machines unprotected in the meantime.",
            "Remplacer un serveur ou un parc d'ordinateurs demande des mois de budget et de préparation ; s'y "
            "prendre après la fin du support laisse les machines sans protection entre-temps."),
        remediation=_t(
            "Plan and budget the upgrade or replacement of the listed machines before the date shown for each.",
            "Planifier et budgétiser la mise à niveau ou le remplacement des machines listées avant la date "
            "indiquée pour chacune."),
        remediation_group="patch_os_lifecycle_plan", effort_hours=2.0, effort_per_asset_hours=0.5,
        references=_refs(CIS_SUPPORTED),
    ),
    Check(
        id=FEATURE_BEHIND, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Windows versions behind the supported feature releases",
                 "Versions de Windows en retard sur les versions supportées"),
        rationale=_t(
            "Each Windows 10/11 feature release (24H2, 25H2...) is serviced for a limited time. A computer left "
            "on an old release stops receiving monthly security updates even though a free update exists.",
            "Chaque version de Windows 10/11 (24H2, 25H2...) n'est maintenue qu'un temps limité. Un ordinateur "
            "resté sur une ancienne version ne reçoit plus les correctifs mensuels, alors qu'une mise à jour "
            "gratuite existe."),
        remediation=_t(
            "Deploy the current Windows feature update to the listed computers (Windows Update for Business, "
            "Intune or the RMM tool) and set a policy that keeps them on a serviced release.",
            "Déployer la dernière mise à jour de fonctionnalités de Windows sur les ordinateurs listés (Windows "
            "Update for Business, Intune ou l'outil de supervision) et fixer une règle qui les maintient sur une "
            "version supportée."),
        remediation_group="patch_windows_feature_update", effort_hours=1.0, effort_per_asset_hours=0.5,
        references=_refs(CIS_OS_PATCH, ANSSI_UPDATES),
    ),
    Check(
        id=UPDATES_OLD, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Machines without recent security updates", "Machines sans mises à jour de sécurité récentes"),
        rationale=_t(
            "Microsoft publishes security fixes every month; attackers turn them into working exploits within "
            "days. A machine whose newest update is months old is open to all of them.",
            "Microsoft publie des correctifs de sécurité chaque mois ; les attaquants en tirent des attaques "
            "fonctionnelles en quelques jours. Une machine dont la dernière mise à jour date de plusieurs mois "
            "y est exposée."),
        remediation=_t(
            "Find out why the listed machines are not updating (failed updates, paused policy, no reboot, agent "
            "broken), install the pending updates, and monitor patch compliance monthly in the RMM tool.",
            "Comprendre pourquoi les machines listées ne se mettent plus à jour (échecs, stratégie suspendue, "
            "redémarrage jamais fait, agent en panne), installer les mises à jour en attente et suivre chaque "
            "mois la conformité dans l'outil de supervision."),
        remediation_group="patch_management", effort_hours=2.0, effort_per_asset_hours=0.5,
        references=_refs(CIS_OS_PATCH, CIS_REMEDIATION, ANSSI_UPDATES),
    ),
    Check(
        id=SERVICES_EOL, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Network services running unsupported software versions",
                 "Services réseau sous des versions logicielles qui ne sont plus supportées"),
        rationale=_t(
            "A web server, SSH server or mail server reachable on the network and no longer maintained keeps "
            "its known flaws forever: it is a door attackers can open remotely.",
            "Un serveur web, SSH ou de messagerie joignable sur le réseau et qui n'est plus maintenu garde ses "
            "failles connues pour toujours : c'est une porte que les attaquants peuvent ouvrir à distance."),
        remediation=_t(
            "Update the listed services to a supported version (or update the underlying operating system when "
            "the software comes with it), and remove those that are no longer needed.",
            "Mettre à jour les services listés vers une version supportée (ou mettre à niveau le système qui les "
            "fournit) et supprimer ceux qui ne servent plus."),
        remediation_group="patch_exposed_services", effort_hours=1.0, effort_per_asset_hours=2.0,
        references=_refs(CIS_APP_PATCH, CIS_SUPPORTED),
    ),
    Check(
        id=SERVICES_KEV, plugin=PLUGIN, area=AREA, severity=Severity.critical, exploitability=Exploitability.exposed,
        title=_t("Network services with vulnerabilities known to be exploited",
                 "Services réseau touchés par des failles activement exploitées"),
        rationale=_t(
            "These versions have flaws on CISA's list of vulnerabilities exploited in real attacks: automated "
            "tools scan for them continuously.",
            "Ces versions ont des failles inscrites sur la liste de la CISA des vulnérabilités exploitées dans "
            "de vraies attaques : des outils automatiques les recherchent en permanence."),
        remediation=_t(
            "Patch the listed services immediately (or take them off the network until patched), then check the "
            "machines for signs of compromise.",
            "Corriger immédiatement les services listés (ou les couper du réseau en attendant), puis vérifier que "
            "les machines ne montrent pas de signes de compromission."),
        remediation_group="patch_exposed_services", effort_hours=2.0, effort_per_asset_hours=2.0,
        references=_refs(CIS_APP_PATCH, CIS_REMEDIATION),
    ),
    Check(
        id=COVERAGE, plugin=PLUGIN, area=AREA, severity=Severity.low, exploitability=Exploitability.hygiene,
        title=_t("Machines whose operating system could not be assessed",
                 "Machines dont le système d'exploitation n'a pas pu être évalué"),
        rationale=_t(
            "A machine whose operating system or version is unknown cannot be checked for support or updates: "
            "it is a blind spot in the patch-level assessment.",
            "Une machine dont le système ou la version est inconnu ne peut pas être vérifiée (support, mises à "
            "jour) : c'est un angle mort de l'évaluation."),
        remediation=_t(
            "Add the listed machines to the RMM/Intune inventory (or complete their operating system details) "
            "so that their patch level is known.",
            "Ajouter les machines listées à l'inventaire de l'outil de supervision ou d'Intune (ou compléter "
            "leur système d'exploitation) pour connaître leur niveau de mise à jour."),
        remediation_group="patch_inventory", effort_hours=1.0, effort_per_asset_hours=0.25,
        references=_refs(CIS_INVENTORY),
    ),
    Check(
        id=STALE, plugin=PLUGIN, area=AREA, severity=Severity.low, exploitability=Exploitability.hygiene,
        title=_t("Device records not seen for a long time (data stale)",
                 "Fiches de machines non vues depuis longtemps (données périmées)"),
        rationale=_t(
            "These records have not been updated for months: the machine is gone, switched off, or no longer "
            "reporting. Its patch level cannot be judged, and a forgotten machine that comes back is unpatched.",
            "Ces fiches ne sont plus mises à jour depuis des mois : la machine a disparu, est éteinte ou ne "
            "remonte plus. Son niveau de mise à jour ne peut pas être jugé, et une machine oubliée qui revient "
            "n'est pas à jour."),
        remediation=_t(
            "For each listed machine, confirm whether it still exists: delete the records of machines that are "
            "gone; bring the others back under management and update them.",
            "Pour chaque machine listée, vérifier qu'elle existe encore : supprimer les fiches des machines "
            "disparues ; reprendre les autres en gestion et les mettre à jour."),
        remediation_group="patch_inventory", effort_hours=0.5, effort_per_asset_hours=0.25,
        references=_refs(CIS_INVENTORY),
    ),
)


# ---------------------------------------------------------------------------------------------------------


@dataclass
class HostView:
    """One machine after merging its observations."""

    key: str
    name: str
    best: OsObservation
    observations: list[OsObservation]
    stale: bool
    role: str = "unknown"
    release: OsRelease | Unresolved | None = None
    end: dt.date | None = None
    esu: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def is_server(self) -> bool:
        return self.role in ("domain_controller", "server")


def _is_stale(observation: OsObservation, now: dt.datetime, days: int) -> bool:
    if observation.last_seen is None:
        return False
    return (now - observation.last_seen).days > days + observation.lag_days


def _best(observations: Sequence[OsObservation]) -> OsObservation:
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(observations, key=lambda o: (CONFIDENCE_RANK[o.confidence],
                                               -(o.last_seen or floor).timestamp(), o.source))[0]


def _months_before(moment: dt.date, months: int) -> dt.date:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                           31, 31, 30, 31, 30, 31][month])
    return dt.date(year, month + 1, day)


def build_hosts(observations: Iterable[OsObservation], *, now: dt.datetime, parameters: PatchLevelParameters,
                inventory: Sequence[Asset], data: LifecycleData, assume_edition: str = "home_pro",
                esu_hosts: Iterable[str] = ()) -> list[HostView]:
    """Merge observations per machine, resolve the OS, decide role, staleness and end of support."""
    grouped: dict[str, list[OsObservation]] = defaultdict(list)
    for observation in observations:
        if observation.key:
            grouped[observation.key].append(observation)
    roles = {a.key: a.role for a in inventory}
    for asset in inventory:
        for name in asset.names:
            roles.setdefault(short_name(name), asset.role)
    esu = {short_name(h) for h in esu_hosts}
    hosts: list[HostView] = []
    for key, items in sorted(grouped.items()):
        fresh = [o for o in items if not _is_stale(o, now, parameters.stale_days)]
        stale = not fresh
        best = _best(fresh or items)
        name = next((o.host for o in sorted(items, key=lambda o: o.source) if o.source == "ad"), best.host)
        host = HostView(key=key, name=name.split(".")[0] if not _looks_ip(name) else name, best=best,
                        observations=items, stale=stale)
        release = resolve_os(best.os_name, best.os_version, best.build, data=data)
        if isinstance(release, OsRelease) and release.edition_assumed and assume_edition == "enterprise":
            release = resolve_os(f"{best.os_name} Enterprise", best.os_version, best.build, data=data)
        host.release = release
        if isinstance(release, OsRelease):
            host.end = release.end
            if key in esu and release.windows is not None and release.windows.esu_end is not None:
                host.end, host.esu = release.windows.esu_end, True
        observed_role = next((o.role for o in [best, *items] if o.role != "unknown"), "unknown")
        role = observed_role if observed_role != "unknown" else roles.get(key, "unknown")
        if role in ("unknown", "network") and isinstance(release, OsRelease):
            role = "workstation" if release.kind == "client" else "server"
        host.role = role
        hosts.append(host)
    return hosts


def _looks_ip(text: str) -> bool:
    return text.replace(".", "").isdigit() or ":" in text


_CONFIDENCE_FR = {"patch-level": "niveau de correctif", "release-level": "niveau de version", "banner": "bannière"}
_SOURCE_FR = {"banner": "bannière"}


def _where(host: HostView, lang: str = "en") -> str:
    best = host.best
    if lang == "fr":
        confidence = _CONFIDENCE_FR.get(best.confidence, best.confidence)
        source = _SOURCE_FR.get(best.source, best.source)
        return confidence if source == confidence else f"{confidence}, {source}"
    return f"{best.confidence}, {best.source}"


def _os_label(host: HostView, lang: str = "en") -> str:
    release = host.release
    if isinstance(release, OsRelease):
        label = release.label
        if release.feature_release:
            label += " (Enterprise/Education)" if release.edition == "enterprise" else " (Home/Pro)"
            if release.edition_assumed:
                label += " édition supposée" if lang == "fr" else " edition assumed"
        return label
    return host.best.os_name[:60] or "?"


def _branch_fr(name: str) -> str:
    """A branch name of the lifecycle data ("OpenSSL 1.0.2 and older", "nginx before 1.26") in French."""
    return name.replace(" and older", " et versions antérieures").replace(" and later", " et versions ultérieures") \
        .replace(" before ", " antérieur à ")


def _date_fr(value: dt.date) -> str:
    """A date as a French manager reads it: "le 10 octobre 2023"."""
    return f"le {format_date(value, 'fr')}"


def _result(check_id: str, affected: list[AffectedAsset], *, measured: str | float | int | None,
            threshold: str | float | int | None, unit: LocalizedText | None, confidence: str | None,
            reason: LocalizedText | None = None) -> CheckResult:
    status = Status.failed if affected else Status.passed
    return CheckResult(check_id=check_id, status=status, affected=tuple(sorted(affected, key=lambda a: a.name)),
                       measured=measured, threshold=threshold, unit=unit, confidence=confidence, reason=reason)


def _not_assessed(check_id: str, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=check_id, status=Status.not_assessed, reason=_t(en, fr))


def _worst_confidence(hosts: Iterable[HostView]) -> str | None:
    levels = sorted({h.best.confidence for h in hosts}, key=lambda c: CONFIDENCE_RANK[c])
    return levels[-1] if levels else None


def _data_note(data: LifecycleData) -> LocalizedText:
    """The basis every assessed result states: which lifecycle data, of which date, from which sources."""
    names = ", ".join(source.name.split(" (")[0] for source in data.sources.values())
    return _t(f"Judged against the lifecycle data {data.data_version} dated {data.data_date.isoformat()} "
              f"({names}).",
              f"Évalué selon les données de cycle de vie {data.data_version} du {data.data_date.isoformat()} "
              f"({names}).")


def evaluate(
    *,
    os_observations: Sequence[OsObservation],
    services: Sequence[ServiceObservation],
    now: dt.datetime,
    parameters: PatchLevelParameters,
    data: LifecycleData,
    inventory: Sequence[Asset] = (),
    have_export: bool = False,
    have_ports: bool = False,
    assume_edition: str = "home_pro",
    esu_hosts: Iterable[str] = (),
) -> list[CheckResult]:
    """Every check's result from the observations; pure."""
    today = now.date()
    banner_os = _banner_os(services, data)
    hosts = build_hosts([*os_observations, *banner_os], now=now, parameters=parameters, inventory=inventory,
                        data=data, assume_edition=assume_edition, esu_hosts=esu_hosts)
    live = [h for h in hosts if not h.stale]
    resolved = [h for h in live if isinstance(h.release, OsRelease)]
    note = _data_note(data)
    results: list[CheckResult] = []

    if not hosts:
        reason = ("No operating system information: no AD computers, no inventory export and no identified "
                  "service banner.", "Aucune information sur les systèmes : ni ordinateurs AD, ni export "
                  "d'inventaire, ni bannière de service identifiée.")
        for check_id in (SERVER_EOL, WORKSTATION_EOL, EOL_SOON, FEATURE_BEHIND, COVERAGE, STALE):
            results.append(_not_assessed(check_id, *reason))
    else:
        results.extend(_eol_results(resolved, today, note, data))
        results.append(_soon_result(resolved, today, parameters, note, data))
        results.append(_feature_result(resolved, today, parameters, note, data))
        results.append(_coverage_result(live, inventory, hosts, note))
        results.append(_stale_result(hosts, now, parameters))
    results.append(_updates_result(resolved, today, parameters, note, have_export))
    host_os = {h.key: _os_label(h) for h in hosts if isinstance(h.release, OsRelease)}
    results.extend(_service_results(services, today, note, data, have_ports, host_os))
    return results


def _eol_results(hosts: list[HostView], today: dt.date, note: LocalizedText, data: LifecycleData) -> (
    list[CheckResult]
):
    servers: list[AffectedAsset] = []
    workstations: list[AffectedAsset] = []
    counted = {"server": 0, "workstation": 0}
    used_servers: list[HostView] = []
    used_workstations: list[HostView] = []
    for host in hosts:
        release = host.release
        assert isinstance(release, OsRelease) and host.end is not None
        bucket = "server" if host.is_server else "workstation"
        counted[bucket] += 1
        (used_servers if bucket == "server" else used_workstations).append(host)
        if host.end >= today:
            continue
        if release.feature_release and supported_successor(release, today, data) is not None:
            continue  # a free feature update restores servicing: the feature-release check reports it
        esu = " (ESU)" if host.esu else ""
        detail = f"{_os_label(host)}: end of support {host.end.isoformat()}{esu} [{_where(host)}]"
        detail_fr = f"{_os_label(host, 'fr')} : fin de support {_date_fr(host.end)}{esu} [{_where(host, 'fr')}]"
        target = servers if bucket == "server" else workstations
        target.append(AffectedAsset(name=host.name, kind="host", detail=detail, detail_fr=detail_fr))
    out = []
    for check_id, affected, total, used in ((SERVER_EOL, servers, counted["server"], used_servers),
                                            (WORKSTATION_EOL, workstations, counted["workstation"],
                                             used_workstations)):
        if total == 0:
            kind = ("servers", "serveurs") if check_id == SERVER_EOL else ("workstations", "postes de travail")
            out.append(_not_assessed(check_id, f"No {kind[0]} with a known operating system release.",
                                     f"Aucun des {kind[1]} n'a de version de système connue."))
            continue
        out.append(_result(check_id, affected, measured=f"{len(affected)}/{total}", threshold=0,
                           unit=UNIT_SERVERS if check_id == SERVER_EOL else UNIT_WORKSTATIONS,
                           confidence=_worst_confidence(used), reason=note))
    return out


def _soon_result(hosts: list[HostView], today: dt.date, parameters: PatchLevelParameters, note: LocalizedText,
                 data: LifecycleData) -> CheckResult:
    horizon = _months_before(today, -parameters.eol_warning_months)
    affected = []
    for host in hosts:
        if host.end is not None and today <= host.end <= horizon:
            release = host.release
            assert isinstance(release, OsRelease)
            successor = supported_successor(release, host.end + dt.timedelta(days=1), data)
            hint = f"; feature update to {successor.version} suffices" if successor else ""
            hint_fr = f" ; la mise à jour vers {successor.version} suffit" if successor else ""
            affected.append(AffectedAsset(
                name=host.name, kind="host",
                detail=f"{_os_label(host)}: end of support {host.end.isoformat()}{hint} [{_where(host)}]",
                detail_fr=f"{_os_label(host, 'fr')} : fin de support {_date_fr(host.end)}{hint_fr} "
                          f"[{_where(host, 'fr')}]"))
    if not hosts:
        return _not_assessed(EOL_SOON, "No machine with a known operating system release.",
                             "Aucune machine avec une version de système connue.")
    window = _t(f"Machines whose support ends by {horizon.isoformat()} ({parameters.eol_warning_months} months) "
                f"are listed. {note.en}",
                f"Les machines dont le support se termine au plus tard {_date_fr(horizon)} "
                f"({parameters.eol_warning_months} mois) sont listées. {note.fr}")
    return _result(EOL_SOON, affected, measured=f"{len(affected)}/{len(hosts)}", threshold=0, unit=UNIT_MACHINES,
                   confidence=_worst_confidence(hosts), reason=window)


def _feature_result(hosts: list[HostView], today: dt.date, parameters: PatchLevelParameters, note: LocalizedText,
                    data: LifecycleData) -> CheckResult:
    windows = [h for h in hosts if isinstance(h.release, OsRelease) and h.release.feature_release]
    affected = []
    for host in windows:
        release = host.release
        assert isinstance(release, OsRelease)
        successor = supported_successor(release, today, data)
        behind = releases_behind(release, today, data)
        if host.end is not None and host.end < today and successor is not None:
            affected.append(AffectedAsset(name=host.name, kind="host", detail=(
                f"{_os_label(host)}: servicing ended {host.end.isoformat()}; update to {successor.label} "
                f"[{_where(host)}]"), detail_fr=(
                f"{_os_label(host, 'fr')} : plus de correctifs depuis {_date_fr(host.end)} ; mettre à jour vers "
                f"{successor.label} [{_where(host, 'fr')}]")))
        elif behind > parameters.max_feature_releases_behind and successor is not None:
            affected.append(AffectedAsset(name=host.name, kind="host", detail=(
                f"{_os_label(host)}: {behind} feature releases behind {successor.label} [{_where(host)}]"),
                detail_fr=(f"{_os_label(host, 'fr')} : {behind} versions de retard sur {successor.label} "
                           f"[{_where(host, 'fr')}]")))
    if not windows:
        return _not_assessed(FEATURE_BEHIND, "No Windows 10/11 computer with a known build.",
                             "Aucun ordinateur Windows 10/11 avec un build connu.")
    allowed = parameters.max_feature_releases_behind
    window = _t(f"Computers more than {allowed} feature release(s) behind, or on a release no longer serviced, "
                f"are listed. {note.en}",
                f"Les ordinateurs en retard de plus de {allowed} version(s), ou sur une version qui ne reçoit plus "
                f"de correctifs, sont listés. {note.fr}")
    return _result(FEATURE_BEHIND, affected, measured=f"{len(affected)}/{len(windows)}", threshold=0,
                   unit=UNIT_COMPUTERS, confidence=_worst_confidence(windows), reason=window)


def _updates_result(hosts: list[HostView], today: dt.date, parameters: PatchLevelParameters, note: LocalizedText,
                    have_export: bool) -> CheckResult:
    cutoff = _months_before(today, parameters.max_update_age_months)
    candidates = [h for h in hosts if h.best.confidence == "patch-level" and h.end is not None and h.end >= today]
    if not candidates:
        if not have_export:
            return _not_assessed(UPDATES_OLD, "Needs an RMM or Intune device export with update revisions or last "
                                              "patch dates (AD only gives the release, not the patch level).",
                                 "Nécessite un export d'inventaire (outil de supervision ou Intune) avec la révision "
                                 "ou la date du dernier correctif (l'AD ne donne que la version, pas le niveau de "
                                 "correctifs).")
        return _not_assessed(UPDATES_OLD, "No supported machine in the inventory export has an update revision or "
                                          "a last patch date.",
                             "Aucune machine supportée de l'export d'inventaire n'a de révision ni de date de "
                             "dernier correctif.")
    affected = []
    assessed = 0
    for host in candidates:
        best = host.best
        release = host.release
        assert isinstance(release, OsRelease)
        known: list[tuple[dt.date, str, str]] = []
        unknown_newer = False
        if best.revision is not None and release.windows is not None:
            floor = release.windows.revision_floor(best.revision)
            if floor is not None:
                label = f"{release.windows.build}.{floor.revision}{' ' + floor.kb if floor.kb else ''}"
                if floor.revision == max((r.revision for r in release.windows.revisions), default=-1) and (
                        best.revision > floor.revision):
                    unknown_newer = True  # newer than every confirmed revision: at least as recent as floor
                known.append((floor.date, f"revision {label} or later", f"révision {label} ou ultérieure"))
        if best.last_patch is not None:
            known.append((best.last_patch.date(), "last patch installed", "dernier correctif installé"))
        if not known:
            continue
        newest, how, how_fr = max(known)
        if newest >= cutoff:
            assessed += 1
            continue
        if unknown_newer and best.last_patch is None:
            continue  # the revision is newer than the data knows: cannot say it is old
        assessed += 1
        pending = f"; {best.pending_updates} updates pending" if best.pending_updates else ""
        pending_fr = f" ; {best.pending_updates} mises à jour en attente" if best.pending_updates else ""
        affected.append(AffectedAsset(name=host.name, kind="host", detail=(
            f"{_os_label(host)}: newest update {newest.isoformat()} ({how}){pending} [{_where(host)}]"), detail_fr=(
            f"{_os_label(host, 'fr')} : dernière mise à jour {_date_fr(newest)} ({how_fr}){pending_fr} "
            f"[{_where(host, 'fr')}]")))
    if assessed == 0:
        return _not_assessed(UPDATES_OLD, "The update revisions reported are newer than the lifecycle data knows "
                                          "and no last patch date was exported; refresh the data with "
                                          "`auditor data update`.",
                             "Les révisions remontées sont plus récentes que les données de cycle de vie et aucune "
                             "date de dernier correctif n'est exportée ; actualiser les données avec "
                             "`auditor data update`.")
    window = _t(f"Machines whose newest update is older than {cutoff.isoformat()} "
                f"({parameters.max_update_age_months} months) are listed. {note.en}",
                f"Les machines dont la dernière mise à jour est antérieure au {format_date(cutoff, 'fr')} "
                f"({parameters.max_update_age_months} mois) sont listées. {note.fr}")
    return _result(UPDATES_OLD, affected, measured=f"{len(affected)}/{assessed}", threshold=0, unit=UNIT_MACHINES,
                   confidence="patch-level", reason=window)


def _coverage_result(live: list[HostView], inventory: Sequence[Asset], hosts: list[HostView],
                     note: LocalizedText) -> (
    CheckResult
):
    known = {h.key: h for h in hosts}
    stale_keys = {h.key for h in hosts if h.stale}
    universe: dict[str, str] = {h.key: h.name for h in live}
    reasons: dict[str, tuple[str, str]] = {}
    for host in live:
        if isinstance(host.release, Unresolved):
            reasons[host.key] = (host.release.reason_en, host.release.reason_fr)
    for asset in inventory:
        if asset.role == "network" or asset.key in stale_keys:
            continue
        keys = {asset.key, *(short_name(n) for n in asset.names), *asset.ips}
        if keys & stale_keys:
            continue
        if not keys & set(known):
            universe[asset.key] = asset.name
            reasons[asset.key] = ("no operating system information from AD, the inventory export or a banner",
                                  "aucune information de système dans l'AD, l'export d'inventaire ou une bannière")
    if not universe:
        return _not_assessed(COVERAGE, "Every machine record is stale.", "Toutes les fiches de machines sont "
                                                                         "périmées.")
    affected = [AffectedAsset(name=universe[k], kind="host", detail=reasons[k][0], detail_fr=reasons[k][1])
                for k in reasons]
    total = len(universe)
    share = (total - len(affected)) / total
    percent = round(100 * share, 1)
    measured: float | int = int(percent) if percent.is_integer() else percent
    if not affected:
        return CheckResult(check_id=COVERAGE, status=Status.passed, measured=measured, threshold=100,
                           unit=UNIT_PERCENT, reason=_t(f"All {total} machine(s) assessed. {note.en}",
                                                        f"Les {total} machine(s) ont été évaluées. {note.fr}"))
    return CheckResult(check_id=COVERAGE, status=Status.partial, score_share=round(share, 4),
                       affected=tuple(sorted(affected, key=lambda a: a.name)), measured=measured, threshold=100,
                       unit=UNIT_PERCENT,
                       reason=_t(f"{len(affected)} of {total} machine(s) could not be assessed. {note.en}",
                                 f"{len(affected)} machine(s) sur {total} n'ont pas pu être évaluées. {note.fr}"))


def _stale_result(hosts: list[HostView], now: dt.datetime, parameters: PatchLevelParameters) -> CheckResult:
    affected = []
    for host in hosts:
        if not host.stale:
            continue
        seen = max(o.last_seen for o in host.observations if o.last_seen is not None)
        days = (now - seen).days
        sources = ", ".join(sorted({o.source for o in host.observations}))
        detail = f"{_os_label(host)}: last seen {seen.date().isoformat()} ({days} days; " \
                 f"{sources}) - data stale, not judged unpatched"
        detail_fr = f"{_os_label(host, 'fr')} : vue pour la dernière fois {_date_fr(seen.date())} (il y a {days} " \
                    f"jours ; {sources}) - données trop anciennes, machine non jugée"
        affected.append(AffectedAsset(name=host.name, kind="host", detail=detail, detail_fr=detail_fr))
    cutoff = (now - dt.timedelta(days=parameters.stale_days)).date()
    window = _t(f"Machines not seen since {cutoff.isoformat()} ({parameters.stale_days} days) by any source are "
                "listed, and not judged on their patch level.",
                f"Les machines qu'aucune source n'a vues depuis le {format_date(cutoff, 'fr')} "
                f"({parameters.stale_days} jours) sont listées, sans être jugées sur leurs correctifs.")
    return _result(STALE, affected, measured=f"{len(affected)}/{len(hosts)}", threshold=0, unit=UNIT_MACHINES,
                   confidence=None, reason=window)


def _banner_os(services: Sequence[ServiceObservation], data: LifecycleData) -> list[OsObservation]:
    """OS inferred from distribution packages in banners ("OpenSSH 8.4p1 Debian 5+deb11u3" -> Debian 11)."""
    found: dict[str, OsObservation] = {}
    for service in services:
        for software in software_in(service):
            assessment = assess_service(software.product, software.version, software.hints, data)
            if assessment and assessment.distro is not None and service.host not in found:
                found[service.host] = OsObservation(host=service.host, os_name=assessment.distro.name,
                                                    source="banner", confidence="banner", ips=(service.ip,))
    return list(found.values())


def _service_results(services: Sequence[ServiceObservation], today: dt.date, note: LocalizedText,
                     data: LifecycleData,
                     have_ports: bool, host_os: dict[str, str] | None = None) -> list[CheckResult]:
    """Services judged by branch, or by the distribution that packages them (banner or the host's known OS)."""
    if not have_ports:
        reason = ("No service scan: the open-ports plugin did not run or collected nothing.",
                  "Aucun scan de services : le module des ports ouverts n'a pas tourné ou n'a rien collecté.")
        return [_not_assessed(SERVICES_EOL, *reason), _not_assessed(SERVICES_KEV, *reason)]
    unsupported: list[AffectedAsset] = []
    exploited: list[AffectedAsset] = []
    assessed = 0
    for service in services:
        os_hint = (host_os or {}).get(short_name(service.host), "")
        for software in software_in(service):
            assessment: ServiceAssessment | None = assess_service(software.product, software.version,
                                                                  f"{software.hints} {os_hint}", data)
            if assessment is None or (assessment.branch is None and assessment.distro is None):
                continue
            assessed += 1
            label = f"{software.product} {assessment.version}"
            where = f"{service.endpoint} {service.scope}"
            end = assessment.end()
            if end is not None and end < today:
                branch = assessment.branch.name if assessment.branch else label
                if assessment.distro:
                    basis = f"packaged by {assessment.distro.name}, supported until {end.isoformat()}"
                    basis_fr = f"paquet {assessment.distro.name}, supporté jusqu'au {format_date(end, 'fr')}"
                else:
                    basis = f"{branch} unsupported since {end.isoformat()}"
                    basis_fr = f"{_branch_fr(branch)}, support terminé {_date_fr(end)}"
                unsupported.append(AffectedAsset(name=f"{service.host} {where}", kind="service",
                                                 detail=f"{label}: {basis} [banner]",
                                                 detail_fr=f"{label} : {basis_fr} [bannière]"))
            for entry in assessment.known_exploited:
                exploited.append(AffectedAsset(name=f"{service.host} {where}", kind="service", detail=(
                    f"{label}: {entry.cve} {entry.name} (CISA KEV, added {entry.date_added.isoformat()}) [banner]"),
                    detail_fr=(f"{label} : {entry.cve} {entry.name} (ajoutée au catalogue CISA KEV "
                               f"{_date_fr(entry.date_added)}) "
                               "[bannière]")))
    if assessed == 0:
        reason = ("No scanned service showed a tracked product with a version (OpenSSH, Apache httpd, nginx, IIS, "
                  "Exchange, OpenSSL).", "Aucun service scanné ne montre un produit suivi avec sa version (OpenSSH, "
                  "Apache httpd, nginx, IIS, Exchange, OpenSSL).")
        return [_not_assessed(SERVICES_EOL, *reason), _not_assessed(SERVICES_KEV, *reason)]
    return [
        _result(SERVICES_EOL, unsupported, measured=f"{len(unsupported)}/{assessed}", threshold=0,
                unit=UNIT_SERVICES, confidence="banner", reason=note),
        _result(SERVICES_KEV, exploited, measured=f"{len(exploited)}/{assessed}", threshold=0,
                unit=UNIT_SERVICES, confidence="banner", reason=note),
    ]
