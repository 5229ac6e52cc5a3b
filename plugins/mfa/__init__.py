"""MFA coverage plugin: who lacks multi-factor authentication, whether it is enforced, are admins covered.

Reads Microsoft 365 / Entra ID through Microsoft Graph and Google Workspace through the Directory API (live),
or the plugin's recorded JSON and the Entra admin center CSV export (recorded).  This module holds only the
hook implementations; the work is in `sources`/`graph`/`google` (collection), `csvexport` (the CSV parser)
and `checks` (the catalogue and pure evaluation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from auditor import hookimpl
from auditor.errors import SecretError
from auditor.models import Check, CheckResult, LocalizedText, SourceInfo
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo
from auditor.secrets import REDACTOR, is_reference
from auditor_plugins.mfa.checks import CHECKS, evaluate
from auditor_plugins.mfa.evidence import MfaEvidence
from auditor_plugins.mfa.settings import MfaParameters, MfaSettings

__version__ = "1.0.0"


@hookimpl
def auditor_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="mfa",
        version=__version__,
        area="mfa",
        title=LocalizedText(en="Multi-factor authentication coverage (Microsoft 365, Google Workspace)",
                            fr="Couverture de l'authentification multifacteur (Microsoft 365, Google Workspace)"),
        evidence_model=MfaEvidence,
        settings_model=MfaSettings,
        parameters_model=MfaParameters,
    )


@hookimpl
def auditor_register_checks(register: Callable[[Check], None]) -> None:
    for check in CHECKS:
        register(check)


def read_secret_blob(context: CollectContext, reference: str | None, *, setting: str) -> str:
    """Resolve a multi-line secret (PEM key, JSON key file) by reference.

    `CollectContext.secret` keeps only a file's first line (right for passwords, wrong for keys), so a
    `file:` reference is read whole here; the value and each of its lines are registered for redaction.
    """
    if not reference or not is_reference(reference) or not reference.startswith("file:"):
        return context.secret(reference, setting=setting)
    path = context.path(reference.removeprefix("file:"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"plugins.{context.plugin}.{setting}: cannot read {path} "
                          f"({getattr(exc, 'strerror', None) or type(exc).__name__})") from None
    if not text.strip():
        raise SecretError(f"plugins.{context.plugin}.{setting}: {path} is empty")
    REDACTOR.add(text.strip())
    if "PRIVATE KEY-----" in text:  # PEM: each base64 line is key material (JSON keys: see parse_service_account)
        for line in text.splitlines():
            if len(line.strip()) >= 16 and "PRIVATE KEY" not in line:
                REDACTOR.add(line.strip())
    return text


@hookimpl
def auditor_collect(context: CollectContext) -> Collected:
    settings = context.settings
    assert isinstance(settings, MfaSettings)
    if settings.mode == "recorded":
        return _collect_recorded(context, settings)
    return _collect_live(context, settings)


def _collect_recorded(context: CollectContext, settings: MfaSettings) -> Collected:
    from auditor_plugins.mfa.sources import RecordedGoogleSource, RecordedMicrosoft365Source

    json_path = context.path(settings.recorded_evidence) if settings.recorded_evidence else None
    csv_path = context.path(settings.recorded_registration_csv) if settings.recorded_registration_csv else None
    m365 = google = None
    if "microsoft365" in settings.providers:
        m365 = RecordedMicrosoft365Source(json_path, csv_path, settings.tenant_id or "").collect()
    if "google_workspace" in settings.providers:
        if json_path is None:
            from auditor_plugins.mfa.errors import RecordedEvidenceError

            raise RecordedEvidenceError("plugins.mfa: Google Workspace in recorded mode needs recorded_evidence")
        google = RecordedGoogleSource(json_path).collect()
    files = tuple(str(p) for p in (json_path, csv_path) if p is not None)
    options = {"providers": ",".join(settings.providers)}
    if m365 is not None:
        options["collection_path"] = m365.collection_path
    return Collected(
        MfaEvidence(microsoft365=m365, google_workspace=google),
        SourceInfo(kind="recorded", description="recorded MFA evidence: " + ", ".join(Path(f).name for f in files),
                   files=files, options=options),
    )


def _collect_live(context: CollectContext, settings: MfaSettings) -> Collected:
    from auditor_plugins.mfa.google import GoogleDirectorySource, parse_service_account
    from auditor_plugins.mfa.graph import GraphSource

    # Build every source (and so resolve every credential) before reading anything: a missing Google key
    # must skip the plugin up front, not after a long Microsoft 365 collection.
    graph: GraphSource | None = None
    google_source: GoogleDirectorySource | None = None
    account: dict[str, str] = {}
    if "microsoft365" in settings.providers:
        if settings.client_secret or not settings.certificate_private_key:
            secret = context.secret(settings.client_secret, setting="client_secret")
            graph = GraphSource(settings, client_secret=secret, progress=context.progress,
                                cancelled=context.cancelled)
        else:
            key = read_secret_blob(context, settings.certificate_private_key, setting="certificate_private_key")
            graph = GraphSource(settings, certificate_key_pem=key, progress=context.progress,
                                cancelled=context.cancelled)
    if "google_workspace" in settings.providers:
        account = parse_service_account(read_secret_blob(context, settings.google_credentials,
                                                         setting="google_credentials"))
        google_source = GoogleDirectorySource(settings, service_account=account, progress=context.progress,
                                              cancelled=context.cancelled)
    m365 = google = None
    servers: list[str] = []
    identities: list[str] = []
    options = {"providers": ",".join(settings.providers)}
    if graph is not None:
        m365 = graph.collect()
        servers += [settings.graph_base_url, settings.login_base_url]
        identities.append(f"Entra app {settings.client_id} in tenant {settings.tenant_id}")
        options["collection_path"] = m365.collection_path
        options["graph_requests"] = str(m365.requests_made)
    if google_source is not None:
        google = google_source.collect()
        servers.append(settings.google_base_url)
        identities.append(f"Google service account {account['client_email']} as {settings.google_admin_email}")
        options["google_requests"] = str(google.requests_made)
    return Collected(
        MfaEvidence(microsoft365=m365, google_workspace=google),
        SourceInfo(kind="live", description="Microsoft Graph / Google Directory API (read-only GET)",
                   servers=tuple(servers), identity="; ".join(identities) or None, options=options),
    )


@hookimpl
def auditor_evaluate(evidence: BaseModel, context: EvaluationContext) -> list[CheckResult]:
    assert isinstance(evidence, MfaEvidence)
    params = context.parameters if isinstance(context.parameters, MfaParameters) else MfaParameters()
    settings = context.settings
    break_glass = settings.break_glass_accounts if isinstance(settings, MfaSettings) else ()
    return evaluate(evidence, params, break_glass)
