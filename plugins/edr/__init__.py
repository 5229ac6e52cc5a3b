"""EDR status: is every machine of the estate covered by a healthy, current, enforcing agent?

Reads Microsoft Defender for Endpoint and SentinelOne through their APIs, other products through a
documented CSV export (`csvexport`), or a recorded evidence file; reports the console's devices to the
audit's inventory and measures coverage against AD computers and scanned hosts (`checks`).
This module only holds the hooks; the work is in `sources`, `csvexport` and `checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from auditor import hookimpl
from auditor.errors import CredentialsMissing
from auditor.models import AssetObservation, Check, CheckResult, LocalizedText, SourceInfo, utcnow
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo
from auditor_plugins.edr import checks
from auditor_plugins.edr.config import EdrParameters, EdrSettings
from auditor_plugins.edr.csvexport import CsvExportSource
from auditor_plugins.edr.evidence import EdrEvidence
from auditor_plugins.edr.sources import (
    ConsoleRead,
    DefenderSource,
    EdrSource,
    RecordedEvidenceSource,
    SentinelOneSource,
    merge,
    require,
)

__version__ = "0.1.0"

#: Console records not seen for this long are reported to the inventory as stale observations.
ASSET_STALE_DAYS = 90
#: Addresses of records not seen for this long are not reported: DHCP may have given them to another machine.
ASSET_IP_DAYS = 14


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=checks.PLUGIN,
        version=__version__,
        area=checks.AREA,
        title=LocalizedText(en="Endpoint protection (EDR)", fr="Protection des postes (EDR)"),
        evidence_model=EdrEvidence,
        settings_model=EdrSettings,
        parameters_model=EdrParameters,
    )


@hookimpl
def auditor_register_checks(register: Callable[[Check], None]) -> None:
    for check in checks.CHECKS:
        register(check)


def build_sources(context: CollectContext) -> list[EdrSource]:
    """The concrete sources for the profile's settings: the only place that chooses them."""
    settings = cast(EdrSettings, context.settings)
    networks = context.scope.networks
    common = {"networks": networks, "cancelled": context.cancelled, "progress": context.progress,
              "verify": settings.verify_tls, "timeout": min(settings.timeout_seconds, 120.0)}
    sources: list[EdrSource] = []
    if settings.mode == "recorded":
        if not settings.recorded_files and "csv" not in settings.providers:
            raise CredentialsMissing("recorded mode needs plugins.edr.recorded_files (or csv_files with "
                                     "providers = [\"csv\"])")
        sources.extend(RecordedEvidenceSource(context.path(p)) for p in settings.recorded_files)
    else:
        if "defender" in settings.providers:
            sources.append(DefenderSource(
                tenant_id=require(settings.tenant_id, "tenant_id"),
                client_id=require(settings.client_id, "client_id"),
                client_secret=context.secret(settings.client_secret, setting="client_secret"),
                base_url=settings.defender_base_url, login_url=settings.login_url, scope=settings.defender_scope,
                page_size=settings.defender_page_size, read_alerts=settings.defender_read_alerts,
                max_calls_per_minute=settings.defender_max_calls_per_minute, **common))
        if "sentinelone" in settings.providers:
            sources.append(SentinelOneSource(
                base_url=require(settings.sentinelone_base_url, "sentinelone_base_url"),
                api_token=context.secret(settings.sentinelone_api_token, setting="sentinelone_api_token"),
                page_size=settings.sentinelone_page_size, site_ids=settings.sentinelone_site_ids, **common))
    if "csv" in settings.providers:
        if not settings.csv_files:
            raise CredentialsMissing("provider csv needs plugins.edr.csv_files (the console's export)")
        sources.extend(CsvExportSource(context.path(p), product=settings.csv_product, networks=networks)
                       for p in settings.csv_files)
    return sources


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    settings = cast(EdrSettings, context.settings)
    sources = build_sources(context)
    reads: list[ConsoleRead] = []
    recorded_times = []
    for source in sources:
        if isinstance(source, RecordedEvidenceSource):
            recorded = source.load()
            recorded_times.append(recorded.collected_at)
            reads.append(ConsoleRead(recorded.consoles, recorded.devices))
        else:
            reads.append(source.read())
    # A recorded collection keeps its own time; anything read now is stamped now.
    collected_at = min(recorded_times) if recorded_times and len(recorded_times) == len(sources) else utcnow()
    evidence = merge(collected_at, reads)
    files = tuple(str(context.path(p)) for p in (*settings.recorded_files, *settings.csv_files)
                  if settings.mode == "recorded" or "csv" in settings.providers)
    servers = tuple(c.source for c in evidence.consoles if c.source.startswith(("http://", "https://")))
    return Collected(
        evidence=evidence,
        collected_at=evidence.collected_at,
        source=SourceInfo(
            kind="recorded" if settings.mode == "recorded" else "live",
            description="EDR consoles: " + (", ".join(sorted({c.provider for c in evidence.consoles})) or "none"),
            servers=servers,
            identity=", ".join(c.identity for c in evidence.consoles if c.identity) or None,
            files=files,
            options={"providers": ",".join(settings.providers)},
        ),
    )


@hookimpl
def auditor_assets(evidence: EdrEvidence) -> list[AssetObservation]:
    """Every console device, so the inventory includes machines only the console knows.

    Only in-scope addresses are reported (`inventory_ips`), and only for records seen recently: an old
    record's address may since have been leased to another machine, which would merge the two.
    """
    now = evidence.collected_at.timestamp()
    observations: list[AssetObservation] = []
    for device in evidence.devices:
        seen = device.last_seen.timestamp() if device.last_seen else None
        recent = seen is None or seen >= now - ASSET_IP_DAYS * 86400
        ips = device.inventory_ips if recent else ()
        if not device.name and not ips:
            continue
        observations.append(AssetObservation(
            source=checks.PLUGIN,
            name=device.name,
            ips=ips,
            role=device.role,
            os=device.os,
            stale=seen is not None and seen < now - ASSET_STALE_DAYS * 86400,
        ))
    return observations


@hookimpl
def auditor_evaluate(evidence: EdrEvidence, context: EvaluationContext) -> list[CheckResult]:
    settings = context.settings if isinstance(context.settings, EdrSettings) else None
    parameters = context.parameters if isinstance(context.parameters, EdrParameters) else EdrParameters()
    return checks.evaluate(evidence, now=context.now, parameters=parameters, inventory=context.inventory,
                           exempt=settings.exempt_machines if settings else ())
