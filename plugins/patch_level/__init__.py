"""Patch level: end-of-support systems, lagging builds and outdated exposed services, agentless.

Works from what the audit already has: AD computer objects (account-hygiene evidence), nmap service
versions (open-ports evidence) and the inventory exports MSPs keep (RMM/Intune CSV, or Intune live through
Microsoft Graph), judged against the dated lifecycle data shipped in ``data/lifecycle.json``.
This module only holds the hooks; the work is in `sources`, `inputs`, `lifecycle` and `checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from auditor import hookimpl
from auditor.errors import CredentialsMissing
from auditor.models import AssetObservation, Check, CheckResult, LocalizedText, SourceInfo, utcnow
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo
from auditor_plugins.patch_level import checks
from auditor_plugins.patch_level.config import PatchLevelParameters, PatchLevelSettings
from auditor_plugins.patch_level.evidence import PatchEvidence
from auditor_plugins.patch_level.inputs import from_account_hygiene, from_devices, from_open_ports
from auditor_plugins.patch_level.lifecycle import shipped_data
from auditor_plugins.patch_level.sources import (
    CsvInventorySource,
    IntuneSource,
    InventoryRead,
    InventorySource,
    RecordedEvidenceSource,
)

__version__ = "0.1.0"

#: Export records not seen for this long are reported to the inventory as stale observations.
ASSET_STALE_DAYS = 90


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=checks.PLUGIN,
        version=__version__,
        area=checks.AREA,
        title=LocalizedText(en="Patch level and end of support", fr="Mises à jour et fin de support"),
        evidence_model=PatchEvidence,
        settings_model=PatchLevelSettings,
        parameters_model=PatchLevelParameters,
        reads_evidence_of=("account_hygiene", "open_ports"),
    )


@hookimpl
def auditor_register_checks(register: Callable[[Check], None]) -> None:
    for check in checks.CHECKS:
        register(check)


def build_sources(context: CollectContext) -> list[InventorySource]:
    """The concrete inventory sources for the profile's settings (the only place that chooses them)."""
    settings = cast(PatchLevelSettings, context.settings)
    sources: list[InventorySource] = [
        CsvInventorySource(context.path(p), column_map=settings.column_map, encoding=settings.encoding,
                           delimiter=settings.delimiter, date_format=settings.date_format)
        for p in settings.inventory_files
    ]
    if settings.mode == "live" and settings.intune:
        if not settings.tenant_id or not settings.client_id:
            raise CredentialsMissing("intune = true needs plugins.patch_level.tenant_id and client_id")
        sources.append(IntuneSource(
            tenant_id=settings.tenant_id, client_id=settings.client_id,
            client_secret=context.secret(settings.client_secret, setting="client_secret"),
            graph_url=settings.graph_url, login_url=settings.login_url, verify=settings.verify_tls,
            timeout=min(settings.timeout_seconds, 120.0)))
    return sources


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    settings = cast(PatchLevelSettings, context.settings)
    data = shipped_data()
    devices = []
    exports = []
    collected_at = None
    if settings.mode == "recorded":
        for path in settings.recorded_files:
            recorded = RecordedEvidenceSource(context.path(path)).load()
            devices.extend(recorded.devices)
            exports.extend(recorded.exports)
            collected_at = recorded.collected_at if collected_at is None else min(collected_at,
                                                                                   recorded.collected_at)
    for source in build_sources(context):
        context.progress(f"reading {type(source).__name__}")
        read: InventoryRead = source.read()
        devices.extend(read.devices)
        exports.append(read.export)
    evidence = PatchEvidence(collected_at=collected_at or utcnow(), devices=tuple(devices), exports=tuple(exports),
                             data_version=data.data_version, data_date=data.data_date)
    files = tuple(str(context.path(p)) for p in (*settings.recorded_files, *settings.inventory_files))
    servers = tuple(e.origin for e in exports if e.kind == "intune")
    return Collected(
        evidence=evidence,
        collected_at=evidence.collected_at,
        source=SourceInfo(
            kind="recorded" if settings.mode == "recorded" else "live",
            description=f"Inventory exports (RMM/Intune CSV) and Intune managed devices: {len(devices)} devices; "
                        "AD computers and service versions from the account-hygiene and open-ports evidence; "
                        f"lifecycle data {data.data_version} dated {data.data_date.isoformat()}",
            servers=servers,
            identity=settings.client_id if servers else None,
            files=files,
            options={"lifecycle_data": f"{data.data_version} ({data.data_date.isoformat()})",
                     "devices": str(len(devices)), "attribution": data.attribution()[:300]},
        ),
    )


@hookimpl
def auditor_assets(evidence: PatchEvidence) -> list[AssetObservation]:
    """Inventory-export devices, so machines only the RMM/Intune knows join the estate."""
    cutoff = evidence.collected_at.timestamp() - ASSET_STALE_DAYS * 86400
    out = []
    for device in evidence.devices:
        os_text = " ".join(p for p in (device.os_name, device.os_version) if p)
        stale = device.last_seen is not None and device.last_seen.timestamp() < cutoff
        out.append(AssetObservation(source=checks.PLUGIN, name=device.name, ips=device.ips, role=device.role,
                                    os=os_text[:500], stale=stale))
    return out


@hookimpl
def auditor_evaluate(evidence: PatchEvidence, context: EvaluationContext) -> list[CheckResult]:
    parameters = context.parameters if isinstance(context.parameters, PatchLevelParameters) else (
        PatchLevelParameters())
    settings = context.settings if isinstance(context.settings, PatchLevelSettings) else PatchLevelSettings()
    ad = context.evidence_of("account_hygiene")
    ports = context.evidence_of("open_ports")
    services = from_open_ports(ports, context.inventory)
    observations = [*from_account_hygiene(ad), *from_devices(evidence)]
    return checks.evaluate(
        os_observations=observations, services=services, now=context.now, parameters=parameters,
        data=shipped_data(), inventory=context.inventory, have_export=bool(evidence.exports),
        have_ports=ports is not None and bool(services or _scanned(ports)),
        assume_edition=settings.assume_edition, esu_hosts=settings.esu_hosts,
    )


def _scanned(ports: object) -> bool:
    return any(getattr(ports, scope, None) is not None for scope in ("internal", "external"))
