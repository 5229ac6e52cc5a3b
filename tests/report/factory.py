"""Hand-built audits for the report and export tests and the benchmark.

The catalogue and results are written by hand; scores and the roadmap come from the real core functions
(`auditor.scoring.score`, `auditor.roadmap.build_roadmap`), so the figures the report prints are the
figures the product computes.
"""

from __future__ import annotations

import datetime as dt

from auditor.models import (
    AcceptedRisk,
    AffectedAsset,
    Asset,
    Audit,
    Check,
    CheckResult,
    Exploitability,
    FrameworkRef,
    LocalizedText,
    PluginRun,
    Provenance,
    RunStatus,
    Severity,
    SourceInfo,
    Status,
)
from auditor.profile import Baseline, Contract
from auditor.roadmap import build_roadmap
from auditor.scoring import score

COLLECTED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)

HOSTILE_NAME = "<b>Bob & Co"
HOSTILE_QUOTE = 'SRV-"QUOTE\'S"'
HOSTILE_RTL = "שרת-קבצים-01"
HOSTILE_FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"
HOSTILE_LONG = "x" * 300 + "-END"


def _lt(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


def _check(cid: str, area: str, severity: Severity, exploit: Exploitability, title: tuple[str, str],
           rationale: tuple[str, str], remediation: tuple[str, str], *, group: str | None = None,
           effort: float = 2.0, per_asset: float = 0.0, depends: tuple[str, ...] = ()) -> Check:
    return Check(id=cid, plugin=cid.split(".")[0], area=area, severity=severity, exploitability=exploit,
                 title=_lt(*title), rationale=_lt(*rationale), remediation=_lt(*remediation),
                 remediation_group=group, effort_hours=effort, effort_per_asset_hours=per_asset,
                 depends_on=depends, references=(FrameworkRef(framework="CIS v8", control="4.4"),))


CATALOGUE: tuple[Check, ...] = (
    _check("open_ports.rdp_external", "open_ports", Severity.critical, Exploitability.exposed,
           ("Remote Desktop exposed to the internet", "Bureau à distance exposé sur Internet"),
           ("Attackers scan the internet for RDP and guess passwords; it is the first way in for ransomware.",
            "Les attaquants recherchent le bureau à distance sur Internet et devinent les mots de passe ; "
            "c'est la première porte d'entrée des rançongiciels."),
           ("Close port 3389 on the firewall and use a VPN with MFA.",
            "Fermer le port 3389 sur le pare-feu et passer par un VPN avec MFA."), group="close_rdp", effort=2),
    _check("open_ports.telnet", "open_ports", Severity.high, Exploitability.lateral,
           ("Telnet enabled on devices", "Telnet activé sur des équipements"),
           ("Telnet sends passwords in clear text.", "Telnet transmet les mots de passe en clair."),
           ("Disable Telnet and use SSH.", "Désactiver Telnet et utiliser SSH."), effort=1, per_asset=0.5),
    _check("open_ports.smb_external", "open_ports", Severity.critical, Exploitability.exposed,
           ("File sharing (SMB) exposed to the internet", "Partage de fichiers (SMB) exposé sur Internet"),
           ("SMB on the internet is a worm's favourite door.", "SMB sur Internet est la porte préférée des vers."),
           ("Block 445 at the firewall.", "Bloquer le port 445 au pare-feu.")),
    _check("patch_level.eol_os", "patch_level", Severity.high, Exploitability.lateral,
           ("Operating systems past end of support", "Systèmes d'exploitation en fin de support"),
           ("No more security fixes are published for these systems.",
            "Plus aucun correctif de sécurité n'est publié pour ces systèmes."),
           ("Replace or upgrade these machines.", "Remplacer ou mettre à niveau ces machines."),
           effort=2, per_asset=3),
    _check("patch_level.build_behind", "patch_level", Severity.medium, Exploitability.hygiene,
           ("Windows builds behind the supported release", "Versions de Windows en retard"),
           ("Old builds miss months of fixes.", "Les versions anciennes manquent des mois de correctifs."),
           ("Install the feature updates.", "Installer les mises à jour de fonctionnalités."), per_asset=0.25),
    _check("account_hygiene.stale_accounts", "account_hygiene", Severity.medium, Exploitability.lateral,
           ("Enabled accounts unused for 90 days", "Comptes actifs inutilisés depuis 90 jours"),
           ("Forgotten accounts are taken over without anyone noticing.",
            "Les comptes oubliés sont détournés sans que personne ne le remarque."),
           ("Disable the accounts, then delete them after 30 days.",
            "Désactiver les comptes, puis les supprimer après 30 jours."), per_asset=0.1),
    _check("account_hygiene.password_never_expires", "account_hygiene", Severity.low, Exploitability.hygiene,
           ("Passwords that never expire", "Mots de passe qui n'expirent jamais"),
           ("Old passwords end up in leaks.", "Les vieux mots de passe finissent dans des fuites."),
           ("Remove the flag.", "Retirer l'option."), effort=1),
    _check("account_hygiene.laps", "account_hygiene", Severity.high, Exploitability.lateral,
           ("Local administrator passwords not managed (LAPS)", "Mots de passe administrateur local non gérés (LAPS)"),
           ("One shared local password opens every machine.",
            "Un mot de passe local partagé ouvre toutes les machines."),
           ("Deploy Windows LAPS.", "Déployer Windows LAPS."), group="deploy_laps", effort=6),
    _check("mfa.admins", "mfa", Severity.critical, Exploitability.exposed,
           ("Administrators without multi-factor authentication", "Administrateurs sans authentification multifacteur"),
           ("A stolen admin password gives the whole tenant.",
            "Un mot de passe administrateur volé livre tout le tenant."),
           ("Register MFA for every admin.",
            "Enregistrer la MFA pour chaque administrateur."), effort=1, per_asset=0.25),
    _check("mfa.members", "mfa", Severity.high, Exploitability.exposed,
           ("Users without multi-factor authentication", "Utilisateurs sans authentification multifacteur"),
           ("Phished passwords are used within hours.",
            "Les mots de passe hameçonnés sont utilisés en quelques heures."),
           ("Enrol every user in MFA.", "Inscrire chaque utilisateur à la MFA."), effort=4, per_asset=0.1),
    _check("backup.unprotected_servers", "backup", Severity.critical, Exploitability.exposed,
           ("Servers without backup", "Serveurs sans sauvegarde"),
           ("Without a backup, ransomware means losing the data.",
            "Sans sauvegarde, un rançongiciel signifie la perte des données."),
           ("Add the servers to a backup job.", "Ajouter les serveurs à un travail de sauvegarde."), per_asset=1),
    _check("backup.immutable_copy", "backup", Severity.high, Exploitability.lateral,
           ("No immutable backup copy", "Aucune copie de sauvegarde immuable"),
           ("Attackers delete backups first.", "Les attaquants suppriment d'abord les sauvegardes."),
           ("Add an immutable repository.", "Ajouter un dépôt immuable."), effort=8, depends=("deploy_laps",)),
    _check("edr.coverage", "edr", Severity.high, Exploitability.lateral,
           ("Machines without endpoint protection", "Machines sans protection des postes"),
           ("Unprotected machines are where attacks start.",
            "Les machines non protégées sont le point de départ des attaques."),
           ("Deploy the EDR agent.", "Déployer l'agent EDR."), per_asset=0.5),
    _check("edr.inactive_sensors", "edr", Severity.medium, Exploitability.hygiene,
           ("Inactive EDR sensors", "Capteurs EDR inactifs"),
           ("A silent sensor protects nothing.", "Un capteur muet ne protège rien."),
           ("Reinstall the agent.", "Réinstaller l'agent."), effort=1),
)


def baseline() -> Baseline:
    return Baseline(name="smb-essential", version="2026.11",
                    area_weights={"open_ports": 1.5, "account_hygiene": 1.2, "mfa": 1.5, "backup": 1.5,
                                  "edr": 1.2, "patch_level": 1.2})


def make_audit(*, hosts: int = 18, extra_affected: int = 0, lang: str = "fr", hostile: bool = True,
               kind: str = "onboarding", not_covered: tuple[str, ...] = ()) -> Audit:
    """A realistic audit; `hosts` sizes the inventory, `extra_affected` pads EOL findings (benchmark)."""
    names = [f"WKS-{i:04d}" for i in range(1, hosts + 1)]
    special = [HOSTILE_NAME, HOSTILE_QUOTE, HOSTILE_RTL, HOSTILE_FORMULA, HOSTILE_LONG] if hostile else []
    eol = [AffectedAsset(name="SRV-FILE01", kind="host", detail="Windows Server 2012 R2 (support ended 2023-10-10)")]
    eol += [AffectedAsset(name=n, kind="host", detail="Windows 10 Professionnel 22H2") for n in names[:3]]
    eol += [AffectedAsset(name=f"PC-{i:05d}.durand.local", kind="host", detail=f"Windows 7 build 7601 #{i}")
            for i in range(extra_affected)]
    stale = [AffectedAsset(name=n, kind="account", detail="last logon 2025-01-03") for n in special]
    stale += [AffectedAsset(name=f"user{i:02d}", kind="account", detail="last logon 2025-06-30") for i in range(14)]
    results = [
        CheckResult(check_id="open_ports.rdp_external", status=Status.failed, measured=1, threshold=0,
                    affected=(AffectedAsset(name="203.0.113.10:3389", kind="service",
                                            detail="ms-wbt-server → SRV-APP01"),)),
        CheckResult(check_id="open_ports.telnet", status=Status.failed, measured=2, threshold=0,
                    affected=(AffectedAsset(name="NAS01:23", kind="service", detail="telnetd banner: BusyBox"),
                              AffectedAsset(name="PRN-01:23", kind="service", detail=HOSTILE_NAME if hostile else ""))),
        CheckResult(check_id="open_ports.smb_external", status=Status.passed, measured=0, threshold=0),
        CheckResult(check_id="patch_level.eol_os", status=Status.failed, measured=len(eol), threshold=0,
                    affected=tuple(eol), confidence="release-level"),
        CheckResult(check_id="patch_level.build_behind", status=Status.partial, score_share=0.8,
                    measured="80 %", threshold="100 %",
                    affected=(AffectedAsset(name="WKS-002", kind="host", detail="22631 < 26100"),)),
        CheckResult(check_id="account_hygiene.stale_accounts", status=Status.failed, measured=len(stale), threshold=0,
                    affected=tuple(stale)),
        CheckResult(check_id="account_hygiene.password_never_expires", status=Status.failed, measured=1, threshold=0,
                    affected=(AffectedAsset(name="svc-backup", kind="account"),)),
        CheckResult(check_id="account_hygiene.laps", status=Status.partial, score_share=0.25, measured=0.25,
                    threshold=1.0, affected=tuple(AffectedAsset(name=n, kind="host") for n in names[3:9])),
        CheckResult(check_id="mfa.admins", status=Status.failed, measured="1/3", threshold="3/3",
                    affected=(AffectedAsset(name="admin.durand@cabinet-durand.fr", kind="account"),)),
        CheckResult(check_id="mfa.members", status=Status.not_assessed,
                    reason=_lt("Graph answered 403: the tenant has no Entra ID P1 licence.",
                               "Graph a répondu 403 : le tenant n'a pas de licence Entra ID P1.")),
        CheckResult(check_id="backup.unprotected_servers", status=Status.failed, measured=1, threshold=0,
                    affected=(AffectedAsset(name="SRV-LINUX01", kind="host", detail="no job protects it"),)),
        CheckResult(check_id="backup.immutable_copy", status=Status.passed),
        CheckResult(check_id="edr.coverage", status=Status.error,
                    reason=_lt("Collection failed: HTTP 500 from the console", "Échec de la collecte : HTTP 500")),
        CheckResult(check_id="edr.inactive_sensors", status=Status.failed, measured=1, threshold=0,
                    affected=(AffectedAsset(name="WKS-004", kind="device", detail="last seen 40 days ago"),),
                    accepted_risk=AcceptedRisk(check="edr.inactive_sensors", justification="Machine in storage",
                                               accepted_by="Hélène Durand", expires=dt.date(2027, 3, 31))),
    ]
    results.sort(key=lambda r: r.check_id)
    catalogue = {c.id: c for c in CATALOGUE}
    base = baseline()
    scores = score(catalogue, results, base)
    contract = Contract(hourly_rate=95.0, currency="EUR", monthly_hours=16, start_date=dt.date(2026, 12, 1),
                        not_covered=not_covered)
    roadmap = build_roadmap(catalogue, results, base, contract, start_date=dt.date(2026, 12, 1))
    inventory = tuple(
        Asset(key=n.lower(), name=n, names=(n,), ips=(f"10.20.{i // 250}.{i % 250 + 1}",),
              role="workstation" if i % 10 else "server", os="Windows 11 Professionnel 24H2",
              sources=("open_ports", "account_hygiene"))
        for i, n in enumerate(names)
    ) + ((Asset(key="rtl", name=HOSTILE_RTL, ips=("10.20.9.9",), role="server", os=HOSTILE_NAME,
                sources=("open_ports",)),) if hostile else ())
    runs = (
        PluginRun(plugin="account_hygiene", version="1.0.0", status=RunStatus.ok, started_at=COLLECTED,
                  finished_at=COLLECTED + dt.timedelta(seconds=4.2),
                  source=SourceInfo(kind="recorded", description="LDAP dump durand.local",
                                    servers=("dc01.durand.local",), identity="svc-audit@durand.local")),
        PluginRun(plugin="edr", version="1.0.0", status=RunStatus.error, reason="HTTP 500 from <console> & co",
                  started_at=COLLECTED, finished_at=COLLECTED + dt.timedelta(seconds=1)),
        PluginRun(plugin="mfa", version="1.0.0", status=RunStatus.ok,
                  source=SourceInfo(kind="live", description="Microsoft Graph (per-user methods fallback)",
                                    identity="app 1234")),
        PluginRun(plugin="open_ports", version="1.0.0", status=RunStatus.ok,
                  source=SourceInfo(kind="live", description="nmap 7.93 -sV", servers=("10.20.0.0/24",))),
        PluginRun(plugin="backup", version="1.0.0", status=RunStatus.skipped,
                  reason="no credentials: plugins.backup.password is not set in the profile"),
    )
    return Audit(
        id="cabinet-durand-20261120-093000-abcd1234",
        client_id="cabinet-durand",
        client_name="Cabinet Durand & Associés",
        kind=kind,  # type: ignore[arg-type]
        language=lang,  # type: ignore[arg-type]
        collected_at=COLLECTED,
        evaluated_at=COLLECTED + dt.timedelta(minutes=5),
        provenance=Provenance(tool_version="0.1.0", hostname="collector-01", operator="tech.alpes",
                              profile_digest="a" * 64, bundle_digest="b" * 64, baseline="smb-essential",
                              baseline_version="2026.11",
                              authorisation={"reference": "AUT-2026-031", "signed_by": "Hélène Durand, gérante",
                                             "date": "2026-11-12"},
                              scope=("10.20.0.0/24", "203.0.113.10/32")),
        runs=runs,
        checks=tuple(sorted(CATALOGUE, key=lambda c: c.id)),
        results=tuple(results),
        inventory=inventory,
        scores=scores,
        roadmap=roadmap,
    )
