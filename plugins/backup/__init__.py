"""Backup presence: are the servers really backed up — recent, 3-2-1, immutable, restore-tested?

Hook implementations only; the work lives in `sources` (Veeam REST API, recorded JSON, generic
CSV/JSON), `derive` (immutability/offsite derivations), `generic` (the documented generic format) and
`checks` (catalogue and pure evaluation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from auditor import hookimpl
from auditor.errors import CredentialsMissing
from auditor.models import AssetObservation, Check, CheckResult, LocalizedText, SourceInfo
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo, PluginSettings
from auditor.secrets import SecretRef
from auditor_plugins.backup.checks import BackupParameters, evaluate, register_all
from auditor_plugins.backup.evidence import BackupEvidence
from auditor_plugins.backup.sources import (
    BackupSource,
    BackupSourceError,
    GenericFileSource,
    RecordedEvidenceSource,
    VeeamRestSource,
)

NAME = "backup"
VERSION = "0.1.0"


class BackupSettings(PluginSettings):
    """`[plugins.backup]`: which product, where its API is, and which files hold recorded evidence."""

    provider: Literal["veeam", "generic"] = "veeam"
    #: Veeam B&R REST API, e.g. "https://srv-backup01.corp.local:9419".
    base_url: str | None = Field(default=None, max_length=300)
    username: str | None = Field(default=None, max_length=200)
    password: SecretRef | None = None
    #: Verify the server's TLS certificate; `ca_bundle` points to the CA file of a self-signed certificate.
    verify_tls: bool = True
    ca_bundle: str | None = None
    #: x-api-version: "1.1-rev0" (B&R 12.0), "1.1-rev1" (12.1), "1.2-rev1" (12.3), "1.3-rev1" (13).
    api_version: str = Field(default="1.1-rev1", pattern=r"^\d+\.\d+-rev\d+$")
    page_size: int = Field(default=200, ge=1, le=1000)
    #: Recorded mode: the plugin's recorded JSON (veeam), or generic CSV/JSON files (generic, any mode).
    files: tuple[str, ...] = ()
    #: Generic files: when they were exported (otherwise the collection time is used).
    exported_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BackupSettings:
        if self.provider == "generic" and not self.files:
            raise ValueError("provider 'generic' needs 'files' (CSV or JSON in the documented generic format)")
        if self.provider == "veeam" and self.mode == "recorded" and len(self.files) != 1:
            raise ValueError("recorded Veeam evidence needs exactly one file in 'files'")
        return self


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME, version=VERSION, area="backup",
        title=LocalizedText(en="Backup and recovery", fr="Sauvegarde et restauration"),
        evidence_model=BackupEvidence, settings_model=BackupSettings, parameters_model=BackupParameters,
    )


@hookimpl
def auditor_register_checks(register: Callable[[Check], None]) -> None:
    register_all(register)


def choose_source(context: CollectContext) -> tuple[BackupSource, SourceInfo]:
    """The only place a concrete source is picked, from the mode and the provider."""
    settings = context.settings
    assert isinstance(settings, BackupSettings)
    if settings.provider == "generic":
        paths = [context.path(f) for f in settings.files]
        exported = settings.exported_at
        if exported is not None and exported.tzinfo is None:
            exported = exported.replace(tzinfo=dt.UTC)
        return (GenericFileSource(paths, exported_at=exported),
                SourceInfo(kind="recorded", description="generic backup export (CSV/JSON)",
                           files=tuple(str(p) for p in paths)))
    if settings.mode == "recorded":
        path = context.path(settings.files[0])
        return (RecordedEvidenceSource(path),
                SourceInfo(kind="recorded", description="recorded Veeam B&R evidence", files=(str(path),)))
    if not settings.base_url or not settings.username:
        raise CredentialsMissing("no credentials: plugins.backup.base_url and plugins.backup.username are needed "
                                 "for the Veeam B&R REST API")
    password = context.secret(settings.password, setting="password")
    verify: bool | str = str(context.path(settings.ca_bundle)) if settings.ca_bundle else settings.verify_tls
    source = VeeamRestSource(settings.base_url, settings.username, password, api_version=settings.api_version,
                             verify=verify, timeout=min(settings.timeout_seconds, 120.0),
                             page_size=settings.page_size, progress=context.progress, cancelled=context.cancelled)
    return source, SourceInfo(kind="live", description="Veeam Backup & Replication REST API",
                              servers=(settings.base_url,), identity=settings.username,
                              options={"x-api-version": settings.api_version,
                                       "verify_tls": "ca_bundle" if settings.ca_bundle else str(settings.verify_tls)})


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    source, info = choose_source(context)
    evidence = source.collect()
    if evidence.restore_point_api:
        info = info.model_copy(update={"options": {**info.options, "restore points": evidence.restore_point_api}})
    return Collected(evidence=evidence, source=info, collected_at=evidence.collected_at)


@hookimpl
def auditor_assets(evidence: BaseModel) -> list[AssetObservation]:
    """The machines the backup console protects, named as the console names them (FQDN, any case).

    Console names are aliases (a VM's name need not be its host name), so they join a machine by IP even
    when the names differ.
    """
    assert isinstance(evidence, BackupEvidence)
    return [AssetObservation(source=NAME, name=o.name[:255], ips=o.ips, name_kind="alias") for o in evidence.objects]


@hookimpl
def auditor_evaluate(evidence: BaseModel, context: EvaluationContext) -> list[CheckResult]:
    assert isinstance(evidence, BackupEvidence)
    return evaluate(evidence, context)


__all__ = ["NAME", "BackupSettings", "BackupSourceError", "choose_source"]
