"""Account hygiene: Active Directory read over LDAP (or from a recording) and checked like an attacker would.

Only the hook implementations live here; see ``sources`` (live LDAP, recorded JSON, LDIF), ``evidence``
(the recorded format, also read by the patch-level plugin), ``checks`` (catalogue and evaluation).

Profile settings (``[plugins.account_hygiene]``)::

    mode = "live"                       # or "recorded"
    server = "dc01.corp.example"        # the name the DC certificate carries
    transport = "ldaps"                 # "ldaps" (636) or "starttls" (389)
    ca_file = "certs/corp-ca.pem"       # CA that issued the DC certificate (default: system store)
    # tls_skip_verify = true            # explicit, reported: validation off (avoid)
    bind_user = "svc-audit@corp.example"   # UPN or DN; simple bind (over TLS only)
    bind_password = "env:AD_AUDIT_PASSWORD"
    # base_dn = "DC=corp,DC=example"    # default: the RootDSE's defaultNamingContext
    # evidence_file = "ad.json"         # recorded mode: the plugin's JSON or an ldapsearch .ldif

A dump the plugin can read (``evidence_file = "ad.ldif"``), made by the client with OpenLDAP's tools::

    ldapsearch -H ldaps://dc01.corp.example -D audit@corp.example -W -E pr=1000/noprompt
        -b "DC=corp,DC=example" "(|(objectClass=domainDNS)(objectClass=user)(objectClass=group))"
        "*" msDS-User-Account-Control-Computed > ad.ldif

(one command line; add the Password Settings Container's contents if the account may read them.)
(The dump carries no schema, so whether LAPS is deployed at all is inferred from the computers.)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from auditor import hookimpl
from auditor.errors import SourceError
from auditor.models import AssetObservation, LocalizedText, SourceInfo
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo, PluginSettings
from auditor.secrets import SecretRef
from auditor_plugins.account_hygiene.checks import CATALOGUE, AccountHygieneParameters, evaluate
from auditor_plugins.account_hygiene.evidence import AdEvidence
from auditor_plugins.account_hygiene.sources import (
    DirectorySource,
    LdapOptions,
    LdifSource,
    LiveLdapSource,
    RecordedJsonSource,
)

NAME = "account_hygiene"
VERSION = "1.0.0"
#: Default staleness used for the inventory (auditor_assets has no baseline): 90 days + 14 days lag.
ASSET_STALE_DAYS = 90


class AccountHygieneSettings(PluginSettings):
    """``[plugins.account_hygiene]`` in a client profile."""

    server: str | None = Field(default=None, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    transport: Literal["ldaps", "starttls"] = "ldaps"
    ca_file: str | None = None
    #: Turn certificate validation off.  Explicit, and stated in the report's provenance.
    tls_skip_verify: bool = False
    bind_user: str | None = Field(default=None, max_length=512)
    bind_password: SecretRef | None = None
    base_dn: str | None = Field(default=None, max_length=512)
    page_size: int = Field(default=1000, ge=10, le=1000)
    connect_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    search_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    #: Recorded mode: the plugin's own JSON evidence, or an ldapsearch LDIF dump (by extension or format).
    evidence_file: str | None = None
    evidence_format: Literal["auto", "json", "ldif"] = "auto"


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version=VERSION,
        area="account_hygiene",
        title=LocalizedText(en="Account hygiene (Active Directory)", fr="Hygiène des comptes (Active Directory)"),
        evidence_model=AdEvidence,
        settings_model=AccountHygieneSettings,
        parameters_model=AccountHygieneParameters,
    )


@hookimpl
def auditor_register_checks(register) -> None:  # type: ignore[no-untyped-def]
    for check in CATALOGUE:
        register(check)


def choose_source(context: CollectContext) -> tuple[DirectorySource, SourceInfo]:
    """Pick the concrete source from the settings (the only place that does)."""
    settings = context.settings
    assert isinstance(settings, AccountHygieneSettings)
    if settings.mode == "recorded":
        if not settings.evidence_file:
            raise SourceError(f"plugins.{NAME}.evidence_file is required in recorded mode")
        path = context.path(settings.evidence_file)
        fmt = settings.evidence_format
        if fmt == "auto":
            fmt = "ldif" if path.suffix.lower() in (".ldif", ".ldf") else "json"
        source: DirectorySource = LdifSource(path) if fmt == "ldif" else RecordedJsonSource(path)
        return source, SourceInfo(kind="recorded", description=source.describe(), files=(str(path),),
                                  options={"format": fmt})
    if not settings.server:
        raise SourceError(f"plugins.{NAME}.server is required in live mode (the DC's host name)")
    if not settings.bind_user:
        from auditor.errors import CredentialsMissing

        raise CredentialsMissing(f"no credentials: plugins.{NAME}.bind_user is not set in the profile")
    password = context.secret(settings.bind_password, setting="bind_password")
    ca_file = str(context.path(settings.ca_file)) if settings.ca_file else None
    options = LdapOptions(
        server=settings.server, bind_user=settings.bind_user, password=password, transport=settings.transport,
        port=settings.port, ca_file=ca_file, validate_certificate=not settings.tls_skip_verify,
        base_dn=settings.base_dn, page_size=settings.page_size, timeout_seconds=settings.connect_timeout_seconds,
        search_timeout_seconds=settings.search_timeout_seconds,
    )
    live = LiveLdapSource(options, cancelled=context.cancelled, progress=context.progress)
    info_options = {
        "transport": settings.transport,
        "tls_validation": "disabled (tls_skip_verify)" if settings.tls_skip_verify else "enabled",
        "ca_file": ca_file or "system trust store",
        "bind": "simple",
        "page_size": str(settings.page_size),
    }
    if settings.base_dn:
        info_options["base_dn"] = settings.base_dn
    return live, SourceInfo(kind="live", description=f"Active Directory over LDAP ({live.describe()})",
                            servers=(settings.server,), identity=settings.bind_user, options=info_options)


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    source, info = choose_source(context)
    evidence = source.read()
    if info.kind == "live" and "base_dn" not in info.options:
        info = info.model_copy(update={"options": {**info.options, "base_dn": evidence.domain.base_dn}})
    return Collected(evidence=evidence, source=info, collected_at=evidence.collected_at)


@hookimpl
def auditor_assets(evidence: BaseModel) -> list[AssetObservation]:
    """Every AD computer, with role (DC / server / workstation) and whether it looks stale."""
    assert isinstance(evidence, AdEvidence)
    now = evidence.collected_at or max(
        (moment for c in evidence.computers for moment in (c.last_logon, c.created) if moment), default=None)
    return [
        AssetObservation(
            source=NAME,
            name=(computer.dns_host_name or computer.name)[:255],
            role=computer.role,
            os=computer.os_text,
            stale=not computer.enabled or (now is not None and computer.is_stale(now, ASSET_STALE_DAYS)),
        )
        for computer in evidence.computers
    ]


@hookimpl
def auditor_evaluate(evidence: BaseModel, context: EvaluationContext) -> list:  # type: ignore[type-arg]
    assert isinstance(evidence, AdEvidence)
    params = context.parameters
    if not isinstance(params, AccountHygieneParameters):
        params = AccountHygieneParameters.model_validate(params.model_dump() if params else {})
    return evaluate(evidence, params, context.now)
