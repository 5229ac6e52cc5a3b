"""Open ports and exposed services: nmap scans (live or recorded XML) of the internal and external scopes.

This module only holds the hook implementations; the evidence model is in `evidence`, the sources in
`sources` (parsing in `nmap_xml`, command building in `ports`), settings in `settings`, and the check
catalogue with its pure evaluation in `checks`.
"""

from __future__ import annotations

from pydantic import BaseModel

from auditor import hookimpl
from auditor.models import AssetObservation, CheckResult, LocalizedText
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo
from auditor_plugins.open_ports import checks
from auditor_plugins.open_ports.checks import ADMIN_DEVICE_TYPES
from auditor_plugins.open_ports.evidence import SCOPES, OpenPortsEvidence
from auditor_plugins.open_ports.settings import OpenPortsParameters, OpenPortsSettings
from auditor_plugins.open_ports.sources import NmapLiveSource, NmapXmlFileSource, PortScanSource

NAME = "open_ports"
VERSION = "1.0.0"


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version=VERSION,
        area=checks.AREA,
        title=LocalizedText(en="Open ports and exposed services", fr="Ports ouverts et services exposés"),
        evidence_model=OpenPortsEvidence,
        settings_model=OpenPortsSettings,
        parameters_model=OpenPortsParameters,
    )


@hookimpl
def auditor_register_checks(register) -> None:  # type: ignore[no-untyped-def]
    checks.register_all(register)


def make_source(context: CollectContext) -> PortScanSource:
    """Pick the source the settings ask for (the only place that chooses a concrete class)."""
    settings = context.settings
    assert isinstance(settings, OpenPortsSettings)
    if settings.mode == "recorded":
        return NmapXmlFileSource({
            "internal": [(name, context.path(name)) for name in settings.internal_xml],
            "external": [(name, context.path(name)) for name in settings.external_xml],
        })
    return NmapLiveSource(settings, context.scope, cancelled=context.cancelled, progress=context.progress)


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    source = make_source(context)
    scans = {scope: source.scan(scope) for scope in SCOPES}
    evidence = OpenPortsEvidence(internal=scans["internal"], external=scans["external"])
    # The scan's own time (the end of the last nmap run), so a recorded scan replays as of when it ran.
    times = [run.end or run.start for scan in scans.values() if scan for run in scan.runs if run.end or run.start]
    return Collected(evidence=evidence, source=source.source_info(), collected_at=max(times) if times else None)


@hookimpl
def auditor_assets(evidence: BaseModel) -> list[AssetObservation]:
    """Hosts seen up on the internal scope (external addresses are mostly the firewall's NAT, not machines)."""
    assert isinstance(evidence, OpenPortsEvidence)
    observations: list[AssetObservation] = []
    scan = evidence.internal
    if scan is None:
        return observations
    for host in sorted(scan.hosts_up(), key=lambda h: h.sort_key()):
        devices = {p.service.devicetype.lower() for p in host.ports if p.service and p.service.devicetype}
        ostypes = sorted({p.service.ostype for p in host.open_ports() if p.service and p.service.ostype})
        observations.append(AssetObservation(
            source=NAME,
            name=host.name[:255],
            ips=host.ips,
            role="network" if devices & ADMIN_DEVICE_TYPES else "unknown",
            os=host.os_match or (ostypes[0] if ostypes else ""),
        ))
    return observations


@hookimpl
def auditor_evaluate(evidence: BaseModel, context: EvaluationContext) -> list[CheckResult]:
    assert isinstance(evidence, OpenPortsEvidence)
    parameters = context.parameters
    assert isinstance(parameters, OpenPortsParameters)
    settings = context.settings
    allow = settings.allow if isinstance(settings, OpenPortsSettings) else ()
    return checks.evaluate(evidence, parameters, allow)
