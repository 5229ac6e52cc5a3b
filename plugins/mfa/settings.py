"""Profile settings (`[plugins.mfa]`) and baseline thresholds (`[parameters.mfa]`) of the MFA plugin.

Secrets are references only (`env:NAME` / `file:PATH`).  The base URLs are settings so that tests and the
benchmark point the plugin at the local emulators, and so that national clouds can be reached.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from auditor.plugin_api import PluginParameters, PluginSettings
from auditor.secrets import SecretRef

Provider = Literal["microsoft365", "google_workspace"]

GOOGLE_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"


class MfaSettings(PluginSettings):
    """How to reach the identity providers, or which recorded files to read."""

    providers: tuple[Provider, ...] = Field(default=("microsoft365",), min_length=1)

    # --- Microsoft 365 / Entra ID (app registration, client credentials) ---
    tenant_id: str | None = Field(default=None, max_length=100)
    client_id: str | None = Field(default=None, max_length=100)
    #: Reference to the app registration's client secret.
    client_secret: SecretRef | None = None
    #: Reference to a PEM file (or variable) holding the certificate's private key (certificate credential).
    certificate_private_key: SecretRef | None = None
    #: SHA-1 thumbprint (hex) of the certificate uploaded to the app registration (sent as the JWT `x5t`).
    certificate_thumbprint: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f:]{40,59}$")
    graph_base_url: str = "https://graph.microsoft.com"
    login_base_url: str = "https://login.microsoftonline.com"
    #: Read the registration report from Graph beta to get `defaultMfaMethod` (v1.0 only has the user's
    #: preferred secondary method).  Off by default: beta is not supported for production use.
    use_beta_registration_report: bool = False
    page_size: int = Field(default=999, ge=1, le=999)

    # --- Google Workspace (service account with domain-wide delegation) ---
    #: Reference to the service account JSON key (file:/path/key.json, or a variable holding the JSON).
    google_credentials: SecretRef | None = None
    #: Super-admin (or delegated admin) the service account impersonates.
    google_admin_email: str | None = Field(default=None, max_length=320)
    google_customer: str = Field(default="my_customer", max_length=100)
    google_base_url: str = "https://admin.googleapis.com"
    #: Overrides the key file's `token_uri` (tests point it at the emulator).
    google_token_url: str | None = None
    google_page_size: int = Field(default=500, ge=1, le=500)

    # --- Both ---
    #: Emergency access accounts (UPNs, emails or object ids): reported separately, allowed as the only
    #: exclusions of the MFA policy, never counted as failures.
    break_glass_accounts: tuple[str, ...] = ()
    #: First wait of the exponential back-off when a 429 carries no Retry-After (seconds).
    retry_backoff_seconds: float = Field(default=1.0, gt=0, le=60)
    retry_attempts: int = Field(default=6, ge=1, le=20)
    #: CA policy reads are limited to about one request per second per tenant: wait this long before them.
    conditional_access_pause_seconds: float = Field(default=1.0, ge=0, le=10)
    verify_tls: bool = True

    # --- Recorded mode ---
    #: The plugin's own JSON evidence (as written in a bundle's evidence/mfa.json payload).
    recorded_evidence: str | None = None
    #: CSV export of Entra admin center > Authentication methods > User registration details.
    recorded_registration_csv: str | None = None

    @field_validator("break_glass_accounts")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(item.strip().lower() for item in value if item.strip())

    @model_validator(mode="after")
    def _recorded_files(self) -> MfaSettings:
        if self.mode == "recorded" and not (self.recorded_evidence or self.recorded_registration_csv):
            raise ValueError("mode = \"recorded\" needs recorded_evidence (JSON) or recorded_registration_csv")
        return self


class MfaParameters(PluginParameters):
    """Baseline thresholds of the MFA checks."""

    #: Share of enabled member accounts that must be registered for MFA (percent).
    registration_target_percent: float = Field(default=95.0, ge=0, le=100)
    #: Whether guest accounts must be covered by MFA (registered, or covered by an enforcing CA policy).
    guests_require_mfa: bool = False
    #: Share of enabled guests that must be covered when guests_require_mfa is true (percent).
    guest_target_percent: float = Field(default=100.0, ge=0, le=100)
    #: How many users may rely on SMS/voice only before the check fails (0 = none).
    max_phone_only_users: int = Field(default=0, ge=0)
