"""The MFA plugin's evidence: what a collection saw of the identity providers, and its recorded JSON format.

The same models describe a live Microsoft Graph / Google Directory collection, a recorded JSON file and
an Entra admin center CSV export, so the checks never care where the data came from.  Fields that one
source cannot know (account state in a CSV export, the admin flag when directory roles were unreadable)
are `None`, never a guess: the checks turn unknowns into `not_assessed` or say so in their reason.
Every string here came from a client's directory, so it is bounded and stripped of control characters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from auditor.models import bound_text

#: Evidence format version; bump when a field changes meaning.
SCHEMA_VERSION = 1


def _bounded(value: Any) -> Any:
    # Fast path (most directory strings): short, printable ASCII needs no cleaning.
    if isinstance(value, str) and not (len(value) <= 512 and value.isascii() and value.isprintable()):
        return bound_text(value)
    return value


def _bounded_short(value: Any) -> Any:
    if isinstance(value, str) and not (len(value) <= 128 and value.isascii() and value.isprintable()):
        return bound_text(value, 128)
    return value


def _bounded_names(value: Any) -> Any:
    """A list of short names (methods) bounded in one pass rather than one validator call per item."""
    if isinstance(value, list | tuple):
        return tuple(_bounded_short(item) for item in value[:64])
    return value


#: Untrusted text from a directory (UPNs, display names, policy names).
Text = Annotated[str, BeforeValidator(_bounded)]
#: Short untrusted identifiers (method names, object ids, codes).
Short = Annotated[str, BeforeValidator(_bounded_short)]

#: Methods from the `methodsRegistered` vocabulary of Graph's userRegistrationDetails that are phone based:
#: SMS and voice calls.  They count as MFA but are phishable and SIM-swappable.
PHONE_METHODS = frozenset({"mobilePhone", "alternateMobilePhone", "officePhone"})
#: Methods that are not a second factor at all (password reset helpers, bootstrap passes).
NON_MFA_METHODS = frozenset({"email", "securityQuestion", "temporaryAccessPass", "password"})
#: Methods that are a second factor stronger than SMS/voice.
STRONG_METHODS = frozenset({
    "microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless", "softwareOneTimePasscode",
    "hardwareOneTimePasscode", "fido2", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator",
    "passKeyDeviceBoundWindowsHello", "passKeySynced", "windowsHelloForBusiness", "macOsSecureEnclaveKey",
    "externalAuthenticationMethod", "certificateBasedAuthentication",
})

CollectionPath = Literal["registration_report", "per_user_methods", "csv_export", "recorded_json"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class M365User(_Model):
    """One Entra ID user as the audit needs it.

    Strings are bounded by one model-level validator rather than one validator per field: a 50,000-user
    tenant builds 50,000 of these, and per-field Python validators were a third of the collection time.
    """

    id: str = ""
    upn: str
    display_name: str = ""
    user_type: Literal["member", "guest"] = "member"
    #: `accountEnabled`; None when the source does not say (the admin center CSV export).
    enabled: bool | None = True
    #: Holds a directory role; None when the roles could not be read.
    is_admin: bool | None = None
    #: Registered a strong authentication method usable for MFA (Graph `isMfaRegistered`); None when it was
    #: not read (the per-user path skips disabled accounts, which are never counted).
    mfa_registered: bool | None = None
    #: Registered and allowed by the authentication methods policy (Graph `isMfaCapable`); None if unknown.
    mfa_capable: bool | None = None
    #: Names from the `methodsRegistered` vocabulary (mobilePhone, microsoftAuthenticatorPush, fido2, ...).
    methods: tuple[str, ...] = Field(default=(), max_length=64)
    #: Default / preferred second-factor method when the source gives it (beta `defaultMfaMethod`, or v1.0
    #: `userPreferredMethodForSecondaryAuthentication`).
    default_method: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bound_strings(cls, data: Any) -> Any:
        # Inlined fast path: this runs once per user (50,000 times for a large tenant), so function calls and
        # dict copies are avoided when every string is already short printable ASCII, which is the norm.
        if not isinstance(data, dict):
            return data
        changed: dict[str, Any] = {}
        for key, limit in (("upn", 512), ("display_name", 512), ("id", 128), ("default_method", 128)):
            value = data.get(key)
            if type(value) is str and not (len(value) <= limit and value.isascii() and value.isprintable()):
                changed[key] = bound_text(value, limit)
        methods = data.get("methods")
        if methods and (len(methods) > 64 or not all(type(m) is str and len(m) <= 128 and m.isascii()
                                                      and m.isprintable() for m in methods)):
            changed["methods"] = _bounded_names(methods)
        return {**data, **changed} if changed else data

    @property
    def phone_only(self) -> bool:
        """True when every MFA method the user has is SMS or voice."""
        second_factors = [m for m in self.methods if m not in NON_MFA_METHODS]
        return bool(second_factors) and all(m in PHONE_METHODS for m in second_factors)


class ConditionalAccessPolicy(_Model):
    """A Conditional Access policy, summarised to what decides whether it enforces MFA for everyone."""

    id: Short
    display_name: Text = ""
    #: enabled, disabled or enabledForReportingButNotEnforced (report-only).
    state: Short
    include_users: tuple[Short, ...] = ()
    exclude_users: tuple[Short, ...] = ()
    #: UPNs of `exclude_users`, resolved from the user list when known (same order; "" when unknown).
    exclude_users_upn: tuple[Text, ...] = ()
    include_groups: tuple[Short, ...] = ()
    exclude_groups: tuple[Short, ...] = ()
    include_roles: tuple[Short, ...] = ()
    exclude_roles: tuple[Short, ...] = ()
    #: includeGuestsOrExternalUsers is set (guests are targeted explicitly).
    includes_guests: bool = False
    excludes_guests: bool = False
    include_applications: tuple[Short, ...] = ()
    exclude_applications: tuple[Short, ...] = ()
    client_app_types: tuple[Short, ...] = ()
    grant_operator: Short | None = None
    built_in_controls: tuple[Short, ...] = ()
    authentication_strength: Text | None = None
    #: `authenticationStrength.requirementsSatisfied` ("mfa" for every built-in strength).
    authentication_strength_requirements: Short | None = None

    @property
    def requires_mfa(self) -> bool:
        return "mfa" in self.built_in_controls or self.authentication_strength_requirements == "mfa"


class Enforcement(_Model):
    """How MFA is enforced in the tenant: security defaults and Conditional Access."""

    #: `identitySecurityDefaultsEnforcementPolicy.isEnabled`; None when it could not be read.
    security_defaults_enabled: bool | None = None
    security_defaults_error: Text | None = None
    #: False when the policies could not be read (missing Policy.Read.All...).
    conditional_access_read: bool = False
    #: True when the tenant has no Entra ID P1/P2 licence, so it cannot have Conditional Access policies.
    conditional_access_unlicensed: bool = False
    conditional_access_error: Text | None = None
    policies: tuple[ConditionalAccessPolicy, ...] = ()


class Microsoft365Evidence(_Model):
    """What was read from one Entra ID tenant."""

    tenant_id: Short = ""
    #: Which way the per-user MFA data was obtained (the report says it).
    collection_path: CollectionPath
    #: Why that path was used (e.g. the tenant is not premium, so the registration report answered 403).
    collection_note: Text = ""
    #: False when directory roles could not be read, so `is_admin` is unknown for everyone.
    admin_roles_read: bool = True
    users: tuple[M365User, ...] = ()
    #: None when the source has no enforcement data at all (a CSV export).
    enforcement: Enforcement | None = None
    requests_made: int = 0


class GoogleUser(_Model):
    """One Google Workspace user from the Directory API."""

    id: Short = ""
    primary_email: Text
    name: Text = ""
    is_admin: bool = False
    is_delegated_admin: bool = False
    suspended: bool = False
    archived: bool = False
    #: `isEnrolledIn2Sv`: the user has turned 2-Step Verification on.
    enrolled_2sv: bool
    #: `isEnforcedIn2Sv`: 2-Step Verification is enforced for the user by the organisation.
    enforced_2sv: bool

    @property
    def active(self) -> bool:
        return not (self.suspended or self.archived)

    @property
    def admin(self) -> bool:
        return self.is_admin or self.is_delegated_admin


class GoogleWorkspaceEvidence(_Model):
    customer: Short = "my_customer"
    users: tuple[GoogleUser, ...] = ()
    requests_made: int = 0


class MfaEvidence(_Model):
    """The plugin's evidence and recorded JSON format: one section per identity provider collected."""

    schema_version: int = SCHEMA_VERSION
    microsoft365: Microsoft365Evidence | None = None
    google_workspace: GoogleWorkspaceEvidence | None = None
