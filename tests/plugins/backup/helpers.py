"""Shared test helpers: inventories as AD and nmap would report them, evidence built by hand."""

from __future__ import annotations

import datetime as dt

from auditor.inventory import reconcile
from auditor.models import Asset, AssetObservation
from auditor.plugin_api import EvaluationContext
from auditor_plugins.backup.checks import BackupParameters
from auditor_plugins.backup.evidence import BackupEvidence

AD = "account_hygiene"
NMAP = "open_ports"
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def ad(name: str, role: str = "server", os: str = "Windows Server 2022 Standard") -> AssetObservation:
    """A computer object as the AD plugin reports it: dNSHostName, no IP."""
    return AssetObservation(source=AD, name=name, role=role, os=os)  # type: ignore[arg-type]


def scanned(ip: str, name: str = "", role: str = "unknown") -> AssetObservation:
    """A host as nmap reports it: an IP, sometimes a reverse-DNS name."""
    return AssetObservation(source=NMAP, name=name, ips=(ip,), role=role)  # type: ignore[arg-type]


def demo_observations() -> list[AssetObservation]:
    """samples/demo-client/ESTATE.md as AD and the network scan see it."""
    return [
        ad("DC01.durand.local", "domain_controller"), ad("DC02.durand.local", "domain_controller"),
        ad("SRV-FILE01.durand.local", os="Windows Server 2012 R2 Standard"),
        ad("SRV-APP01.durand.local", os="Windows Server 2016 Standard"), ad("SRV-BACKUP01.durand.local"),
        ad("WKS-001.durand.local", "workstation", "Windows 11 Professionnel"),
        ad("LAP-007.durand.local", "workstation", "Windows 11 Professionnel"),
        scanned("10.20.0.1", "fw01", "network"), scanned("10.20.0.10", "dc01.durand.local"),
        scanned("10.20.0.11", "dc02.durand.local"), scanned("10.20.0.20", "srv-file01.durand.local"),
        scanned("10.20.0.21", "srv-app01.durand.local"), scanned("10.20.0.22", "srv-backup01.durand.local"),
        scanned("10.20.0.30", "srv-linux01", "server"), scanned("10.20.0.40", "nas01", "network"),
        scanned("10.20.0.101", "wks-001.durand.local"),
    ]


def inventory_with(evidence: BackupEvidence, observations: list[AssetObservation]) -> tuple[Asset, ...]:
    """Reconcile AD/nmap observations with what the backup plugin's auditor_assets hook reports."""
    from auditor_plugins.backup import auditor_assets

    return reconcile([*observations, *auditor_assets(evidence=evidence)])


def context(evidence: BackupEvidence, observations: list[AssetObservation] | None = None,
            **parameters: object) -> EvaluationContext:
    inventory = inventory_with(evidence, observations if observations is not None else demo_observations())
    return EvaluationContext(plugin="backup", now=NOW, parameters=BackupParameters(**parameters),  # type: ignore[arg-type]
                             inventory=inventory)


def by_id(results: list) -> dict:
    return {r.check_id: r for r in results}


def names(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.name for a in result.affected]
