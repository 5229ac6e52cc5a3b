"""The EDR checks: the declared catalogue and the pure functions that evaluate evidence against it.

The question a client asks is "is every machine protected?", so coverage is measured against the audit's
reconciled inventory (AD computers and scanned hosts), never against the console's view of itself:
a machine the console has never heard of is exactly what we are looking for.  Servers and domain
controllers are a separate, critical check; workstations a high one.  Each coverage check is scored
against the baseline's target: pass at or above it, partial (coverage / target of the points) between
`coverage_fail_below` and the target, fail below.

Which console records count as protecting a machine: onboarded agents (not Defender's merely discovered
"CanBeOnboarded" devices, not decommissioned SentinelOne agents), not merged into another record, and
seen within `stale_record_days`.  Those "live" agents are then checked for activity, versions, AV mode,
protection mode and active threats.  Everything is computed against `now` (the collection time).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

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
from auditor_plugins.edr.config import EdrParameters
from auditor_plugins.edr.evidence import EdrDevice, EdrEvidence
from auditor_plugins.edr.normalise import NOT_ACTIVE_AV_MODES, role_from_os

PLUGIN = "edr"
AREA = "edr"


def _cis(*controls: str) -> tuple[FrameworkRef, ...]:
    return tuple(FrameworkRef(framework="CIS Controls v8", control=c) for c in controls)


def _t(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


SERVERS = "edr.servers_without_agent"
WORKSTATIONS = "edr.workstations_without_agent"
INACTIVE = "edr.agents_inactive"
OUTDATED = "edr.agents_outdated"
SIGNATURES = "edr.signatures_outdated"
AV_MODE = "edr.av_not_active"
DETECT_ONLY = "edr.detect_only"
THREATS = "edr.active_threats"
RECORDS = "edr.stale_duplicate_records"
UNKNOWN = "edr.unknown_console_devices"

CHECKS: tuple[Check, ...] = (
    Check(
        id=SERVERS, plugin=PLUGIN, area=AREA, severity=Severity.critical, exploitability=Exploitability.lateral,
        title=_t("Servers and domain controllers without an EDR agent",
                 "Serveurs et contrôleurs de domaine sans agent EDR"),
        rationale=_t(
            "Servers hold the firm's data and domain controllers hold every account: ransomware operators go "
            "for them first. A server without an EDR agent is a blind spot where an attacker works undisturbed.",
            "Les serveurs hébergent les données de l'entreprise et les contrôleurs de domaine détiennent tous "
            "les comptes : ce sont les premières cibles des rançongiciels. Un serveur sans agent EDR est un angle "
            "mort où un attaquant agit sans être vu."),
        remediation=_t(
            "Install and onboard the EDR agent on every listed server and domain controller, then check that "
            "each one reports as active in the console.",
            "Installer et enrôler l'agent EDR sur chaque serveur et contrôleur de domaine listé, puis vérifier "
            "que chacun remonte comme actif dans la console."),
        remediation_group="edr_deploy", effort_hours=1.0, effort_per_asset_hours=1.0,
        references=_cis("10.1", "13.2"),
    ),
    Check(
        id=WORKSTATIONS, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Workstations without an EDR agent", "Postes de travail sans agent EDR"),
        rationale=_t(
            "Most attacks start on a workstation (a phishing attachment, a malicious download). A computer "
            "without an EDR agent can be infected without anyone being alerted.",
            "La plupart des attaques commencent sur un poste de travail (pièce jointe piégée, téléchargement "
            "malveillant). Un ordinateur sans agent EDR peut être infecté sans que personne ne soit alerté."),
        remediation=_t(
            "Deploy the EDR agent to every listed workstation (through Intune, a GPO or the RMM tool) and make "
            "onboarding part of the procedure for preparing new computers.",
            "Déployer l'agent EDR sur chaque poste listé (via Intune, une GPO ou l'outil de supervision) et "
            "intégrer l'enrôlement à la procédure de préparation des nouveaux ordinateurs."),
        remediation_group="edr_deploy", effort_hours=1.0, effort_per_asset_hours=0.5,
        references=_cis("10.1", "13.2"),
    ),
    Check(
        id=INACTIVE, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("EDR agents not reporting", "Agents EDR qui ne remontent plus"),
        rationale=_t(
            "An agent that has not checked in for weeks protects nothing the console can see: the machine may "
            "be switched off, the agent broken or removed, and its alerts never arrive.",
            "Un agent qui ne s'est pas manifesté depuis des semaines ne protège plus rien de visible : la "
            "machine est peut-être éteinte, l'agent cassé ou désinstallé, et ses alertes n'arrivent plus."),
        remediation=_t(
            "For each listed machine, find out why the agent stopped reporting (machine off or lost, service "
            "stopped, network blocked) and repair or reinstall the agent; retire machines that are gone.",
            "Pour chaque machine listée, comprendre pourquoi l'agent ne remonte plus (machine éteinte ou "
            "perdue, service arrêté, flux bloqués) et réparer ou réinstaller l'agent ; retirer les machines "
            "qui n'existent plus."),
        remediation_group="edr_agent_health", effort_hours=0.5, effort_per_asset_hours=0.5,
        references=_cis("10.1"),
    ),
    Check(
        id=OUTDATED, plugin=PLUGIN, area=AREA, severity=Severity.medium, exploitability=Exploitability.hygiene,
        title=_t("Outdated EDR agents", "Agents EDR obsolètes"),
        rationale=_t(
            "Old agent versions miss detection improvements and fixes for their own vulnerabilities; attackers "
            "know how to blind outdated agents.",
            "Les anciennes versions d'agent n'ont pas les dernières améliorations de détection ni les "
            "correctifs de leurs propres failles ; les attaquants savent neutraliser les agents obsolètes."),
        remediation=_t(
            "Update the listed agents and turn on automatic agent updates in the console's policy.",
            "Mettre à jour les agents listés et activer la mise à jour automatique des agents dans la "
            "politique de la console."),
        remediation_group="edr_updates", effort_hours=0.5, effort_per_asset_hours=0.25,
        references=_cis("10.1", "7.4"),
    ),
    Check(
        id=SIGNATURES, plugin=PLUGIN, area=AREA, severity=Severity.medium, exploitability=Exploitability.hygiene,
        title=_t("Antivirus signatures or engine out of date",
                 "Signatures ou moteur antivirus pas à jour"),
        rationale=_t(
            "Without current security intelligence the antivirus does not recognise recent malware.",
            "Sans signatures à jour, l'antivirus ne reconnaît pas les logiciels malveillants récents."),
        remediation=_t(
            "Make sure the listed machines can reach the update servers and that automatic signature and "
            "engine updates are enabled.",
            "Vérifier que les machines listées joignent les serveurs de mise à jour et que la mise à jour "
            "automatique des signatures et du moteur est activée."),
        remediation_group="edr_updates", effort_hours=0.5, effort_per_asset_hours=0.25,
        references=_cis("10.2"),
    ),
    Check(
        id=AV_MODE, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Antivirus in passive mode or disabled", "Antivirus en mode passif ou désactivé"),
        rationale=_t(
            "In passive mode (or when disabled) the antivirus no longer blocks malicious files in real time: "
            "it only reports what it sees, after the fact.",
            "En mode passif (ou désactivé), l'antivirus ne bloque plus les fichiers malveillants en temps "
            "réel : il se contente de signaler ce qu'il voit, après coup."),
        remediation=_t(
            "Put the antivirus back in active mode on the listed machines (remove the ForceDefenderPassiveMode "
            "setting or the policy that disabled it), unless another antivirus is knowingly active there.",
            "Repasser l'antivirus en mode actif sur les machines listées (retirer le paramètre "
            "ForceDefenderPassiveMode ou la stratégie qui l'a désactivé), sauf si un autre antivirus y est "
            "volontairement actif."),
        remediation_group="edr_av_mode", effort_hours=0.5, effort_per_asset_hours=0.5,
        references=_cis("10.1"),
    ),
    Check(
        id=DETECT_ONLY, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("EDR in detect-only mode", "EDR en mode détection seule"),
        rationale=_t(
            "In detect-only mode the EDR raises alerts but lets the threat run: ransomware encrypts the files "
            "while someone reads the alert.",
            "En mode détection seule, l'EDR lève des alertes mais laisse la menace s'exécuter : un rançongiciel "
            "chiffre les fichiers pendant que quelqu'un lit l'alerte."),
        remediation=_t(
            "Switch the policy of the listed devices to protect (prevent) mode after a short observation "
            "period.",
            "Passer la politique des appareils listés en mode protection (blocage) après une courte période "
            "d'observation."),
        remediation_group="edr_policy", effort_hours=1.0, effort_per_asset_hours=0.1,
        references=_cis("10.1", "10.7"),
    ),
    Check(
        id=THREATS, plugin=PLUGIN, area=AREA, severity=Severity.high, exploitability=Exploitability.lateral,
        title=_t("Devices with unresolved threats", "Appareils avec des menaces non résolues"),
        rationale=_t(
            "An unresolved threat may be an attack in progress; left open, it also trains everyone to ignore "
            "the console.",
            "Une menace non résolue peut être une attaque en cours ; laissée ouverte, elle habitue aussi "
            "chacun à ignorer la console."),
        remediation=_t(
            "Investigate each listed device's open threats or alerts, clean or reinstall the machine if "
            "needed, and close them in the console.",
            "Analyser les menaces ou alertes ouvertes de chaque appareil listé, nettoyer ou réinstaller la "
            "machine si nécessaire, puis les clôturer dans la console."),
        remediation_group="edr_threats", effort_hours=1.0, effort_per_asset_hours=2.0,
        references=_cis("10.1", "17.4"),
    ),
    Check(
        id=RECORDS, plugin=PLUGIN, area=AREA, severity=Severity.low, exploitability=Exploitability.hygiene,
        title=_t("Stale or duplicate device records in the EDR console",
                 "Fiches d'appareils obsolètes ou en double dans la console EDR"),
        rationale=_t(
            "Old and duplicate records hide the real state of the estate: a reinstalled machine appears twice, "
            "a stolen laptop looks protected, and licences are wasted.",
            "Les fiches anciennes ou en double masquent l'état réel du parc : une machine réinstallée apparaît "
            "deux fois, un portable volé semble protégé, et des licences sont gaspillées."),
        remediation=_t(
            "Remove or exclude the listed records in the console after checking each machine is really gone "
            "or has a newer record.",
            "Supprimer ou exclure les fiches listées dans la console après avoir vérifié que chaque machine a "
            "bien disparu ou dispose d'une fiche plus récente."),
        remediation_group="edr_console_hygiene", effort_hours=0.5, effort_per_asset_hours=0.1,
        references=_cis("1.1"),
    ),
    Check(
        id=UNKNOWN, plugin=PLUGIN, area=AREA, severity=Severity.low, exploitability=Exploitability.hygiene,
        title=_t("EDR devices unknown to the directory and the network scan",
                 "Appareils EDR inconnus de l'annuaire et du scan réseau"),
        rationale=_t(
            "A device the EDR protects but that neither Active Directory nor the network scan knows is outside "
            "the managed estate (personal device, machine of another site, test VM): it escapes policies and "
            "inventory.",
            "Un appareil protégé par l'EDR mais inconnu de l'Active Directory et du scan réseau est hors du parc "
            "géré (appareil personnel, machine d'un autre site, VM de test) : il échappe aux règles et à "
            "l'inventaire."),
        remediation=_t(
            "Identify each listed device: add it to the inventory (join the domain, extend the scan scope) or "
            "remove it from the console.",
            "Identifier chaque appareil listé : l'intégrer à l'inventaire (jonction au domaine, périmètre du "
            "scan) ou le retirer de la console."),
        remediation_group="edr_inventory", effort_hours=0.5, effort_per_asset_hours=0.25,
        references=_cis("1.1", "1.2"),
    ),
)

_SOURCE_LABELS = {"account_hygiene": "AD", "patch_level": "AD", "open_ports": "network scan",
                  "backup": "backup console", "edr": "EDR console"}
_SOURCE_LABELS_FR = {"account_hygiene": "AD", "patch_level": "AD", "open_ports": "scan réseau",
                     "backup": "console de sauvegarde", "edr": "console EDR"}
_ROLE_LABELS = {"domain_controller": "domain controller", "server": "server", "workstation": "workstation",
                "unknown": "machine of unknown role", "network": "network device"}
_ROLE_LABELS_FR = {"domain_controller": "contrôleur de domaine", "server": "serveur", "workstation": "poste de travail",
                   "unknown": "machine de rôle inconnu", "network": "équipement réseau"}
_AV_MODES_FR = {"passive": "antivirus en mode passif", "passive_audit": "antivirus en mode passif (audit)",
                "edr_blocked": "antivirus passif, EDR en mode blocage", "disabled": "antivirus désactivé",
                "other": "antivirus dans un autre mode"}

#: Units of `measured` and `threshold`.
PERCENT = LocalizedText(en="%", fr="%")
AGENTS = LocalizedText(en="agents", fr="agents")
RECORDS_UNIT = LocalizedText(en="records", fr="fiches")


def _pct(value: float, lang: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def _date(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment else "never"


def _seen(moment: dt.datetime | None, lang: str) -> str:
    """When a record last checked in: "last seen 2023-06-12" or "dernier contact le 2023-06-12"."""
    if lang == "fr":
        return f"dernier contact le {moment.date().isoformat()}" if moment else "aucun contact"
    return f"last seen {_date(moment)}"


def _days(now: dt.datetime, moment: dt.datetime | None) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


def _affected(items: Iterable[AffectedAsset]) -> tuple[AffectedAsset, ...]:
    return tuple(sorted(items, key=lambda a: (a.name.lower(), a.detail)))


def _asset(name: str, detail: tuple[str, str]) -> AffectedAsset:
    """An affected console device, its detail in English and French."""
    return AffectedAsset(name=name, kind="device", detail=detail[0], detail_fr=detail[1])


def _is_server(asset: Asset) -> bool:
    """Servers and DCs; a machine of unknown role counts as a server when its OS says so (scan-only hosts)."""
    return asset.is_server or (asset.role == "unknown" and role_from_os(asset.os) == "server")


def _not_assessed(check_id: str, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=check_id, status=Status.not_assessed, reason=_t(en, fr))


@dataclass(frozen=True)
class Matched:
    """A console device and the inventory asset it was matched to (None: unknown to the inventory)."""

    device: EdrDevice
    asset: Asset | None


class Evaluation:
    """Everything evaluation needs, computed once: matches, live agents, targets."""

    def __init__(self, evidence: EdrEvidence, *, now: dt.datetime, parameters: EdrParameters,
                 inventory: Sequence[Asset], exempt: Iterable[str] = ()) -> None:
        self.evidence, self.now, self.p = evidence, now, parameters
        self.stale_cut = now - dt.timedelta(days=parameters.stale_record_days)
        self.inactive_cut = now - dt.timedelta(days=parameters.inactive_days)
        index = InventoryIndex(inventory)
        self.matched = [Matched(d, index.find(d.name, d.inventory_ips)) for d in evidence.devices]
        exempt_names = {short_name(n) for n in exempt if n.strip()}
        sources = set(parameters.inventory_sources)
        self.inventory_seen = any(sources & set(a.sources) for a in inventory)
        # A stale machine (every source saw it stale, e.g. an old computer object) needs no agent.
        self.targets = [
            a for a in inventory
            if sources & set(a.sources) and a.role != "network" and not a.stale
            and not ({a.key, *(short_name(n) for n in a.names)} & exempt_names)
        ]
        self.target_keys = {a.key for a in self.targets}
        self.live = [m for m in self.matched if self.is_live(m.device)]

    def is_stale(self, device: EdrDevice) -> bool:
        return device.last_seen is not None and device.last_seen < self.stale_cut

    def is_live(self, device: EdrDevice) -> bool:
        return device.onboarded and device.merged_into is None and not self.is_stale(device)

    def label(self, matched: Matched) -> str:
        return matched.asset.name if matched.asset is not None else matched.device.name

    # ---------------------------------------------------------------------------------------------
    def coverage(self, check_id: str, servers: bool) -> CheckResult:
        what_en = "servers and domain controllers" if servers else "workstations"
        what_fr = "serveurs et contrôleurs de domaine" if servers else "postes de travail"
        if not self.inventory_seen:
            return _not_assessed(
                check_id,
                "Coverage is measured against AD computers and scanned hosts, and none are in this audit "
                "(enable the account hygiene or open ports plugin).",
                "La couverture se mesure par rapport aux ordinateurs de l'AD et aux machines découvertes par le "
                "scan, absents de cet audit (activer le module d'hygiène des comptes ou de ports ouverts).")
        if not self.evidence.consoles and not self.evidence.devices:
            return _not_assessed(check_id, "No EDR console was read.", "Aucune console EDR n'a été lue.")
        target = self.p.server_coverage_target if servers else self.p.workstation_coverage_target
        machines = [a for a in self.targets if _is_server(a) == servers]
        covered = {m.asset.key for m in self.live if m.asset is not None}
        records: dict[str, list[EdrDevice]] = defaultdict(list)
        for m in self.matched:
            if m.asset is not None:
                records[m.asset.key].append(m.device)
        missing = [a for a in machines if a.key not in covered]
        total = len(machines)
        if total == 0:
            return CheckResult(check_id=check_id, status=Status.passed, measured=100.0, threshold=target,
                               unit=PERCENT, reason=_t(f"No {what_en} in the inventory.",
                                         "Aucun serveur ni contrôleur de domaine dans l'inventaire." if servers
                                         else "Aucun poste de travail dans l'inventaire."))
        coverage = (total - len(missing)) / total * 100
        affected = _affected(
            AffectedAsset(name=a.name, kind="host", detail=self._missing_detail(a, records.get(a.key, []), "en"),
                          detail_fr=self._missing_detail(a, records.get(a.key, []), "fr"))
            for a in missing)
        reason = _t(
            f"{total - len(missing)} of {total} {what_en} run an EDR agent ({_pct(coverage, 'en')} %); "
            f"target {_pct(target, 'en')} %.",
            f"{total - len(missing)} {what_fr} sur {total} ont un agent EDR ({_pct(coverage, 'fr')} %) ; "
            f"objectif {_pct(target, 'fr')} %.")
        measured = round(coverage, 1)
        if coverage >= target:
            return CheckResult(check_id=check_id, status=Status.passed, measured=measured, threshold=target,
                               unit=PERCENT, affected=affected, reason=reason)
        if coverage < self.p.coverage_fail_below:
            return CheckResult(check_id=check_id, status=Status.failed, measured=measured, threshold=target,
                               unit=PERCENT, affected=affected, reason=reason)
        return CheckResult(check_id=check_id, status=Status.partial, score_share=round(min(1.0, coverage / target), 4),
                           measured=measured, threshold=target, unit=PERCENT, affected=affected, reason=reason)

    def _missing_detail(self, asset: Asset, records: list[EdrDevice], lang: str) -> str:
        fr = lang == "fr"
        sources, roles = (_SOURCE_LABELS_FR, _ROLE_LABELS_FR) if fr else (_SOURCE_LABELS, _ROLE_LABELS)
        seen_by = ", ".join(dict.fromkeys(sources.get(s, s) for s in asset.sources if s != "edr"))
        parts = [f"{roles.get(asset.role, asset.role)} {'vu par' if fr else 'seen by'} {seen_by}"]
        if asset.ips:
            parts.append(", ".join(asset.ips[:3]))
        notes = []
        for device in sorted(records, key=lambda d: d.console_id):
            product = device.product or device.provider
            if not device.onboarded:
                notes.append(f"fiche {product} non enrôlée ({device.onboarding or 'non enrôlée'})" if fr else
                             f"{product} record not onboarded ({device.onboarding or 'not onboarded'})")
            elif self.is_stale(device):
                notes.append(f"seulement une fiche d'agent obsolète ({_seen(device.last_seen, 'fr')})" if fr else
                             f"only a stale agent record (last seen {_date(device.last_seen)})")
            elif device.merged_into:
                notes.append(f"fiche fusionnée avec {device.merged_into}" if fr else
                             f"record merged into {device.merged_into}")
        sep = " ; " if fr else "; "
        parts.append(sep.join(notes) if notes else ("aucune fiche EDR" if fr else "no EDR record"))
        return sep.join(parts)

    # ---------------------------------------------------------------------------------------------
    def per_agent(self, check_id: str, known: Callable[[EdrDevice], bool], bad: Callable[[EdrDevice], bool],
                  detail: Callable[[EdrDevice], tuple[str, str]], rule: tuple[str, str] | None = None) -> CheckResult:
        """A check over live agents: `known(d)` says whether the console reported the value at all.

        `measured` is the number of agents affected, against an expected 0; `rule` (en, fr) states the
        threshold in the reason; `detail(d)` is the affected asset's detail in (en, fr).
        """
        if not self.live:
            return _not_assessed(check_id, "The EDR console lists no active agent record to assess.",
                                 "La console EDR ne contient aucune fiche d'agent active à évaluer.")
        assessed = [m for m in self.live if known(m.device)]
        if not assessed:
            products = ", ".join(sorted({m.device.product or m.device.provider for m in self.live}))
            return _not_assessed(check_id, f"The console ({products}) does not report this information.",
                                 f"La console ({products}) ne fournit pas cette information.")
        flagged = [m for m in assessed if bad(m.device)]
        unknown = len(self.live) - len(assessed)
        en = f"{len(flagged)} of {len(assessed)} agents affected"
        fr = f"{len(flagged)} agent(s) concerné(s) sur {len(assessed)}"
        if rule:
            en += f" ({rule[0]})"
            fr += f" ({rule[1]})"
        if unknown:
            en += f"; {unknown} agent(s) did not report this information"
            fr += f" ; {unknown} agent(s) ne fournissent pas cette information"
        return CheckResult(
            check_id=check_id,
            status=Status.failed if flagged else Status.passed,
            measured=len(flagged),
            threshold=0,
            unit=AGENTS,
            affected=_affected(_asset(self.label(m), detail(m.device)) for m in flagged),
            reason=_t(en + ".", fr + "."),
        )

    def inactive(self) -> CheckResult:
        def bad(d: EdrDevice) -> bool:
            return d.active is False or (d.last_seen is not None and d.last_seen < self.inactive_cut)

        def detail(d: EdrDevice) -> tuple[str, str]:
            days = _days(self.now, d.last_seen)
            seen = _seen(d.last_seen, "en") + (f" ({days} days ago)" if days is not None else "")
            seen_fr = _seen(d.last_seen, "fr") + (f" (il y a {days} jours)" if days is not None else "")
            return f"{seen}; status {d.health or 'unknown'}", f"{seen_fr} ; état {d.health or 'inconnu'}"

        days = self.p.inactive_days
        return self.per_agent(INACTIVE, lambda d: d.active is not None or d.last_seen is not None, bad, detail,
                              (f"not seen for more than {days} days or reported inactive",
                               f"sans contact depuis plus de {days} jours ou signalé inactif"))

    def outdated(self) -> CheckResult:
        return self.per_agent(OUTDATED, lambda d: d.agent_up_to_date is not None,
                              lambda d: d.agent_up_to_date is False,
                              lambda d: (f"agent version {d.agent_version or 'unknown'} is not the current one",
                                         f"la version {d.agent_version or 'inconnue'} de l'agent n'est pas "
                                         "la dernière"))

    def signatures(self) -> CheckResult:
        def detail(d: EdrDevice) -> tuple[str, str]:
            signatures, engine = d.signatures_up_to_date is False, d.engine_up_to_date is False
            en = [name for name, flag in (("signatures", signatures), ("engine", engine)) if flag]
            fr = [name for name, flag in (("signatures", signatures), ("moteur", engine)) if flag]
            return " and ".join(en) + " out of date", " et ".join(fr) + " pas à jour"

        return self.per_agent(SIGNATURES,
                              lambda d: d.signatures_up_to_date is not None or d.engine_up_to_date is not None,
                              lambda d: d.signatures_up_to_date is False or d.engine_up_to_date is False, detail)

    def av_mode(self) -> CheckResult:
        return self.per_agent(AV_MODE, lambda d: d.av_mode not in ("unknown", "not_applicable"),
                              lambda d: d.av_mode in NOT_ACTIVE_AV_MODES,
                              lambda d: (f"antivirus mode {d.av_mode.replace('_', ' ')}",
                                         _AV_MODES_FR.get(d.av_mode, f"antivirus en mode {d.av_mode}")))

    def detect_only(self) -> CheckResult:
        return self.per_agent(DETECT_ONLY, lambda d: d.protection_mode != "unknown",
                              lambda d: d.protection_mode == "detect",
                              lambda d: ("policy in detect-only mode", "stratégie en mode détection seule"))

    def threats(self) -> CheckResult:
        def detail(d: EdrDevice) -> tuple[str, str]:
            if d.active_threats:
                return f"{d.active_threats} unresolved threat(s)", f"{d.active_threats} menace(s) non résolue(s)"
            return "reported as infected", "signalé comme infecté"

        return self.per_agent(THREATS, lambda d: d.active_threats is not None or d.infected is not None,
                              lambda d: bool(d.active_threats) or d.infected is True, detail)

    def records(self) -> CheckResult:
        agents = [m for m in self.matched if m.device.onboarded and m.device.merged_into is None]
        if not agents:
            return _not_assessed(RECORDS, "The EDR console lists no agent record.",
                                 "La console EDR ne contient aucune fiche d'agent.")
        affected: list[AffectedAsset] = []
        flagged: set[int] = set()
        for index, m in enumerate(agents):
            if self.is_stale(m.device):
                flagged.add(index)
                days = _days(self.now, m.device.last_seen)
                affected.append(_asset(m.device.name, (
                    f"stale record {m.device.console_id}: last seen {_date(m.device.last_seen)} ({days} days ago)",
                    f"fiche obsolète {m.device.console_id} : {_seen(m.device.last_seen, 'fr')} "
                    f"(il y a {days} jours)")))
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, m in enumerate(agents):
            if short_name(m.device.name):
                groups[(m.device.provider, short_name(m.device.name))].append(index)
        for members in groups.values():
            if len(members) < 2:
                continue
            ordered = sorted(members, key=lambda i: (agents[i].device.last_seen or dt.datetime.min.replace(
                tzinfo=dt.UTC)), reverse=True)
            keep = agents[ordered[0]].device
            for index in ordered[1:]:
                if index in flagged:
                    continue
                flagged.add(index)
                device = agents[index].device
                affected.append(_asset(device.name, (
                    f"duplicate record {device.console_id} of {keep.console_id} (last seen {_date(device.last_seen)})",
                    f"fiche {device.console_id} en double de {keep.console_id} ({_seen(device.last_seen, 'fr')})")))
        for index, m in enumerate(agents):
            if m.device.potential_duplicate and index not in flagged:
                flagged.add(index)
                affected.append(_asset(m.device.name, (
                    f"record {m.device.console_id} flagged as a potential duplicate by the console",
                    f"fiche {m.device.console_id} signalée comme doublon possible par la console")))
        return CheckResult(
            check_id=RECORDS, status=Status.failed if affected else Status.passed, measured=len(affected),
            threshold=0, unit=RECORDS_UNIT, affected=_affected(affected),
            reason=_t(f"{len(affected)} stale (not seen for more than {self.p.stale_record_days} days) or duplicate "
                      f"record(s) among {len(agents)} agent records.",
                      f"{len(affected)} fiche(s) obsolète(s) (sans contact depuis plus de "
                      f"{self.p.stale_record_days} jours) ou en double sur {len(agents)} fiches d'agent."))

    def unknown_devices(self) -> CheckResult:
        if not self.inventory_seen:
            return _not_assessed(
                UNKNOWN,
                "No AD computers or scanned hosts are in this audit to compare the console with.",
                "Aucun ordinateur de l'AD ni aucune machine du scan n'est disponible pour comparer la console.")
        if not self.live:
            return _not_assessed(UNKNOWN, "The EDR console lists no active agent record to assess.",
                                 "La console EDR ne contient aucune fiche d'agent active à évaluer.")
        sources = set(self.p.inventory_sources)
        unknown = [m for m in self.live if m.asset is None or not (sources & set(m.asset.sources))]
        return CheckResult(
            check_id=UNKNOWN, status=Status.failed if unknown else Status.passed, measured=len(unknown),
            threshold=0,
            unit=AGENTS,
            affected=_affected(_asset(m.device.name, self._unknown_detail(m.device)) for m in unknown),
            reason=_t(f"{len(unknown)} of {len(self.live)} active agents match no AD computer or scanned host.",
                      f"{len(unknown)} agent(s) actif(s) sur {len(self.live)} ne correspondent à aucun ordinateur "
                      "de l'AD ni à aucune machine du scan."))

    @staticmethod
    def _unknown_detail(device: EdrDevice) -> tuple[str, str]:
        product = device.product or device.provider
        ips = f", {', '.join(device.ips[:3])}" if device.ips else ""
        return (f"{product} device {device.console_id}{ips}, last seen {_date(device.last_seen)}; "
                "not in AD nor found by the scan",
                f"appareil {product} {device.console_id}{ips}, {_seen(device.last_seen, 'fr')} ; "
                "absent de l'AD et non trouvé par le scan")


def evaluate(evidence: EdrEvidence, *, now: dt.datetime, parameters: EdrParameters,
             inventory: Sequence[Asset], exempt: Iterable[str] = ()) -> list[CheckResult]:
    """Every EDR check for one evidence document.  Pure: no network, no files, no clock.

    Stale inventory machines (every source saw them stale, e.g. an old computer object) are not machines to
    cover; one the scan saw alive is.
    """
    ev = Evaluation(evidence, now=now, parameters=parameters, inventory=inventory, exempt=exempt)
    return [
        ev.coverage(SERVERS, servers=True),
        ev.coverage(WORKSTATIONS, servers=False),
        ev.inactive(),
        ev.outdated(),
        ev.signatures(),
        ev.av_mode(),
        ev.detect_only(),
        ev.threats(),
        ev.records(),
        ev.unknown_devices(),
    ]
