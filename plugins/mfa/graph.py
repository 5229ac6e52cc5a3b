"""Live Microsoft 365 / Entra ID source over Microsoft Graph (application permissions, GET only).

Two collection paths, and the evidence says which one was used:

* `registration_report`: `/reports/authenticationMethods/userRegistrationDetails` gives, per user, the admin
  flag, MFA registered/capable and the registered methods in a few pages.  It needs Entra ID P1/P2: on
  Business Basic/Standard tenants (most SMBs) it answers 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
* `per_user_methods`: the fallback, `/users/{id}/authentication/methods` for each enabled user, with admins
  taken from the activated directory roles.  One request per user, so slower, but it works on every tenant.

Account state comes from `/users` (disabled accounts are not counted); enforcement from the security
defaults policy and Conditional Access (read slowly: about one request per second per tenant is allowed).
Paging always follows the whole `@odata.nextLink`; throttling and 5xx are retried by `auditor.http`.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from auditor.http import ApiClient, ApiError, ApiPermissionError, RetryPolicy, client_credentials
from auditor.secrets import REDACTOR
from auditor_plugins.mfa.errors import MfaAuthError, MfaSourceError
from auditor_plugins.mfa.evidence import (
    ConditionalAccessPolicy,
    Enforcement,
    M365User,
    Microsoft365Evidence,
)
from auditor_plugins.mfa.jwtsign import JwtSigningError, b64url, sign_rs256
from auditor_plugins.mfa.settings import MfaSettings
from auditor_plugins.mfa.sources import AssertionToken, Microsoft365Source, translate

NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"

USER_FIELDS = "id,userPrincipalName,displayName,userType,accountEnabled"

#: Graph path prefix -> the application permission it needs (least privileged), for 403 messages.
PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("/reports/authenticationMethods", "AuditLog.Read.All"),
    ("/authentication/methods", "UserAuthenticationMethod.Read.All"),
    ("/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All"),
    ("/identity/conditionalAccess", "Policy.Read.All"),
    ("/directoryRoles", "RoleManagement.Read.Directory"),
    ("/users", "User.Read.All"),
)

#: `@odata.type` of an authentication method -> name in the `methodsRegistered` vocabulary.
METHOD_TYPES: dict[str, str] = {
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorPush",
    "#microsoft.graph.fido2AuthenticationMethod": "fido2",
    "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOneTimePasscode",
    "#microsoft.graph.hardwareOathAuthenticationMethod": "hardwareOneTimePasscode",
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusiness",
    "#microsoft.graph.platformCredentialAuthenticationMethod": "macOsSecureEnclaveKey",
    "#microsoft.graph.emailAuthenticationMethod": "email",
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPass",
    "#microsoft.graph.passwordAuthenticationMethod": "password",
    "#microsoft.graph.externalAuthenticationMethod": "externalAuthenticationMethod",
}
PHONE_TYPES = {"mobile": "mobilePhone", "alternateMobile": "alternateMobilePhone", "office": "officePhone"}
#: Methods that make a user "registered for MFA" in the per-user path (same rule as isMfaRegistered).
MFA_METHODS = frozenset({
    "microsoftAuthenticatorPush", "fido2", "softwareOneTimePasscode", "hardwareOneTimePasscode",
    "windowsHelloForBusiness", "macOsSecureEnclaveKey", "mobilePhone", "alternateMobilePhone", "officePhone",
    "externalAuthenticationMethod",
})


def permission_hint(path: str, code: str | None) -> str | None:
    """Name the Graph application permission a 403 on `path` points to."""
    if code == NON_PREMIUM_CODE:
        return "the tenant has no Entra ID P1/P2 licence for this report"
    for prefix, permission in PERMISSIONS:
        if prefix in path:
            return (f"the app registration needs the Microsoft Graph application permission {permission} "
                    f"(with admin consent)")
    return None


def method_name(method: Any) -> str | None:
    if not isinstance(method, dict):
        return None
    kind = str(method.get("@odata.type", ""))
    if kind == "#microsoft.graph.phoneAuthenticationMethod":
        return PHONE_TYPES.get(str(method.get("phoneType", "mobile")), "mobilePhone")
    return METHOD_TYPES.get(kind, kind.rsplit(".", 1)[-1].removesuffix("AuthenticationMethod") or None)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object from the API, or an empty one when the vendor sent something else (untrusted input)."""
    return value if isinstance(value, dict) else {}


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def summarise_policy(raw: dict[str, Any], upns: dict[str, str]) -> ConditionalAccessPolicy:
    """Reduce a Graph conditionalAccessPolicy to what decides MFA enforcement."""
    raw = _obj(raw)
    conditions = _obj(raw.get("conditions"))
    users = _obj(conditions.get("users"))
    apps = _obj(conditions.get("applications"))
    grant = _obj(raw.get("grantControls"))
    strength = _obj(grant.get("authenticationStrength"))
    exclude_users = _strings(users.get("excludeUsers"))
    return ConditionalAccessPolicy(
        id=str(raw.get("id", "")),
        display_name=str(raw.get("displayName") or ""),
        state=str(raw.get("state", "")),
        include_users=_strings(users.get("includeUsers")),
        exclude_users=exclude_users,
        exclude_users_upn=tuple(upns.get(item, "") for item in exclude_users),
        include_groups=_strings(users.get("includeGroups")),
        exclude_groups=_strings(users.get("excludeGroups")),
        include_roles=_strings(users.get("includeRoles")),
        exclude_roles=_strings(users.get("excludeRoles")),
        includes_guests=bool(users.get("includeGuestsOrExternalUsers")),
        excludes_guests=bool(users.get("excludeGuestsOrExternalUsers")),
        include_applications=_strings(apps.get("includeApplications")),
        exclude_applications=_strings(apps.get("excludeApplications")),
        client_app_types=_strings(conditions.get("clientAppTypes")),
        grant_operator=_opt_str(grant.get("operator")),
        built_in_controls=_strings(grant.get("builtInControls")),
        authentication_strength=_opt_str(strength.get("displayName")),
        authentication_strength_requirements=_opt_str(strength.get("requirementsSatisfied")),
    )


class GraphSource(Microsoft365Source):
    """Reads an Entra ID tenant through Microsoft Graph with an app registration's credentials."""

    def __init__(
        self,
        settings: MfaSettings,
        *,
        client_secret: str | None = None,
        certificate_key_pem: str | None = None,
        progress: Callable[[str], None] = lambda _m: None,
        cancelled: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.tenant_id or not settings.client_id:
            raise MfaSourceError("plugins.mfa: tenant_id and client_id are required for Microsoft 365")
        self.settings = settings
        self.progress = progress
        self.cancelled = cancelled or threading.Event()
        self.sleep = sleep
        login = settings.login_base_url.rstrip("/")
        self.token_url = f"{login}/{settings.tenant_id}/oauth2/v2.0/token"
        scope = f"{settings.graph_base_url.rstrip('/')}/.default"
        if client_secret:
            auth = client_credentials(self.token_url, settings.client_id, client_secret, scope,
                                      name="Microsoft identity platform", verify=settings.verify_tls)
        elif certificate_key_pem:
            auth = self._certificate_auth(certificate_key_pem, scope)
        else:
            raise MfaAuthError("plugins.mfa: set client_secret or certificate_private_key for Microsoft 365")
        self.client = ApiClient(
            settings.graph_base_url, name="Microsoft Graph", auth=auth, verify=settings.verify_tls,
            timeout=min(settings.timeout_seconds, 120.0),
            retry=RetryPolicy(attempts=settings.retry_attempts, backoff_seconds=settings.retry_backoff_seconds,
                              sleep=sleep),
            permission_hint=permission_hint,
        )

    def _certificate_auth(self, key_pem: str, scope: str) -> AssertionToken:
        settings = self.settings
        if not settings.certificate_thumbprint:
            raise MfaAuthError("plugins.mfa.certificate_thumbprint is required with certificate_private_key")
        thumbprint = bytes.fromhex(settings.certificate_thumbprint.replace(":", ""))
        client_id = settings.client_id or ""

        def form() -> dict[str, str]:
            now = int(time.time())
            claims = {"aud": self.token_url, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
                      "nbf": now, "iat": now, "exp": now + 600}
            try:
                assertion = sign_rs256(claims, key_pem, headers={"x5t": b64url(thumbprint)})
            except JwtSigningError as exc:
                raise MfaAuthError(f"plugins.mfa.certificate_private_key: {exc}") from None
            return {"grant_type": "client_credentials", "client_id": client_id, "scope": scope,
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion}

        return AssertionToken(self.token_url, {}, name="Microsoft identity platform", verify=settings.verify_tls,
                              form_factory=form)

    # --- helpers -------------------------------------------------------------------------------------

    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        items = self.client.iter_next_link(path, params)
        while True:
            if self.cancelled.is_set():
                raise MfaSourceError("collection cancelled (plugin timeout)")
            # Check for cancellation once per ~page, not per item.
            batch = list(itertools.islice(items, 999))
            if not batch:
                return
            yield from batch

    @property
    def _v(self) -> str:
        return "/v1.0"

    # --- collection ----------------------------------------------------------------------------------

    def collect(self) -> Microsoft365Evidence:
        try:
            return self._collect()
        except ApiError as exc:
            raise translate(exc) from exc

    def _collect(self) -> Microsoft365Evidence:
        top = self.settings.page_size
        self.progress("Microsoft Graph: reading users")
        directory: dict[str, dict[str, Any]] = {}
        for item in self._pages(f"{self._v}/users", {"$select": USER_FIELDS, "$top": top}):
            user_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(user_id, str) and user_id:
                directory[user_id] = item
        self.progress(f"Microsoft Graph: {len(directory)} users; reading the registration report")
        try:
            users = self._from_registration_report(directory)
            path, note, roles_read = "registration_report", "userRegistrationDetails report", True
        except ApiPermissionError as exc:
            if exc.code != NON_PREMIUM_CODE:
                raise
            note = ("userRegistrationDetails answered 403 " + NON_PREMIUM_CODE
                    + " (no Entra ID P1/P2): read each enabled user's authentication methods instead")
            self.progress("Microsoft Graph: tenant not premium, reading authentication methods per user")
            users, roles_read = self._from_methods(directory)
            path = "per_user_methods"
            if not roles_read:
                note += "; directory roles unreadable (RoleManagement.Read.Directory), admins unknown"
        upns = {u.id: u.upn for u in users}
        enforcement = self._enforcement(upns)
        return Microsoft365Evidence(
            tenant_id=self.settings.tenant_id or "",
            collection_path=path,
            collection_note=note,
            admin_roles_read=roles_read,
            users=tuple(users),
            enforcement=enforcement,
            requests_made=self.client.requests_made,
        )

    def _from_registration_report(self, directory: dict[str, dict[str, Any]]) -> list[M365User]:
        try:
            return self._read_registration_report(directory, {"$top": self.settings.page_size})
        except ApiError as exc:
            # The report's largest accepted $top is not documented: if it refuses ours, let the server page.
            if exc.status != 400 or isinstance(exc, ApiPermissionError):
                raise
            self.progress("Microsoft Graph: registration report refused $top, using the server's page size")
            return self._read_registration_report(directory, None)

    def _read_registration_report(self, directory: dict[str, dict[str, Any]],
                                  params: dict[str, Any] | None) -> list[M365User]:
        version = "/beta" if self.settings.use_beta_registration_report else self._v
        users: list[M365User] = []
        seen: set[str] = set()
        for row in self._pages(f"{version}/reports/authenticationMethods/userRegistrationDetails", params):
            user_id = row.get("id") if isinstance(row, dict) else None
            base = directory.get(user_id) if isinstance(user_id, str) else None
            if base is None:  # deleted since the report was computed
                continue
            seen.add(user_id)
            default = row.get("defaultMfaMethod") or row.get("userPreferredMethodForSecondaryAuthentication")
            is_admin, capable = row.get("isAdmin"), row.get("isMfaCapable")
            user_type = row.get("userType") or base.get("userType")
            users.append(M365User(
                id=user_id,
                upn=str(base.get("userPrincipalName") or row.get("userPrincipalName") or user_id),
                display_name=str(base.get("displayName") or row.get("userDisplayName") or ""),
                user_type="guest" if isinstance(user_type, str) and user_type.lower() == "guest" else "member",
                enabled=base.get("accountEnabled") is not False,
                is_admin=None if is_admin is None else bool(is_admin),
                mfa_registered=bool(row.get("isMfaRegistered")),
                mfa_capable=None if capable is None else bool(capable),
                methods=_strings(row.get("methodsRegistered")),
                default_method=str(default) if default and default != "none" else None,
            ))
        # Users absent from the report: disabled accounts (the report does not list them) and accounts created
        # since it was computed (not registered as far as anyone knows).
        for user_id, base in directory.items():
            if user_id not in seen:
                users.append(self._user(base, is_admin=None, methods=(), registered=False))
        return users

    @staticmethod
    def _user(base: dict[str, Any], *, is_admin: bool | None, methods: tuple[str, ...],
              registered: bool | None) -> M365User:
        return M365User(
            id=str(base.get("id", "")),
            upn=str(base.get("userPrincipalName") or base.get("id", "")),
            display_name=str(base.get("displayName") or ""),
            user_type="guest" if str(base.get("userType")).lower() == "guest" else "member",
            enabled=bool(base.get("accountEnabled", True)),
            is_admin=is_admin,
            mfa_registered=registered,
            methods=methods,
        )

    def _admin_ids(self) -> set[str] | None:
        try:
            admins: set[str] = set()
            for role in self._pages(f"{self._v}/directoryRoles"):
                role_id = _obj(role).get("id")
                if not role_id:
                    continue
                members = f"{self._v}/directoryRoles/{quote(str(role_id), safe='')}/members"
                for member in self._pages(members, {"$select": "id"}):
                    if _obj(member).get("id"):
                        admins.add(str(member["id"]))
            return admins
        except ApiPermissionError:
            return None

    def _from_methods(self, directory: dict[str, dict[str, Any]]) -> tuple[list[M365User], bool]:
        admins = self._admin_ids()
        users: list[M365User] = []
        enabled = [base for base in directory.values() if base.get("accountEnabled", True)]
        done = 0
        for base in directory.values():
            is_admin = (str(base.get("id")) in admins) if admins is not None else None
            if not base.get("accountEnabled", True):
                users.append(self._user(base, is_admin=is_admin, methods=(), registered=None))
                continue
            if self.cancelled.is_set():
                raise MfaSourceError("collection cancelled (plugin timeout)")
            methods: list[str] = []
            path = f"{self._v}/users/{quote(base['id'], safe='')}/authentication/methods"
            for method in self.client.iter_next_link(path):
                name = method_name(method)
                if name and name != "password" and name not in methods:
                    methods.append(name)
            users.append(self._user(base, is_admin=is_admin, methods=tuple(methods),
                                    registered=any(m in MFA_METHODS for m in methods)))
            done += 1
            if done % 50 == 0:
                self.progress(f"Microsoft Graph: authentication methods of {done}/{len(enabled)} users")
        return users, admins is not None

    def _enforcement(self, upns: dict[str, str]) -> Enforcement:
        self.progress("Microsoft Graph: reading security defaults and Conditional Access")
        defaults: bool | None = None
        defaults_error: str | None = None
        try:
            body = self.client.get_json(f"{self._v}/policies/identitySecurityDefaultsEnforcementPolicy")
            defaults = bool(body.get("isEnabled")) if isinstance(body, dict) else None
        except ApiPermissionError as exc:
            defaults_error = str(exc)
        policies: list[ConditionalAccessPolicy] = []
        ca_read, unlicensed, ca_error = False, False, None
        # Conditional Access reads are limited to about 1 request/second per tenant.
        if self.settings.conditional_access_pause_seconds:
            self.sleep(self.settings.conditional_access_pause_seconds)
        try:
            for raw in self._pages(f"{self._v}/identity/conditionalAccess/policies"):
                if isinstance(raw, dict):
                    policies.append(summarise_policy(raw, upns))
            ca_read = True
        except ApiPermissionError as exc:
            if exc.code == NON_PREMIUM_CODE:
                unlicensed, ca_read = True, True
            else:
                ca_error = str(exc)
        return Enforcement(
            security_defaults_enabled=defaults,
            security_defaults_error=REDACTOR.redact(defaults_error) if defaults_error else None,
            conditional_access_read=ca_read,
            conditional_access_unlicensed=unlicensed,
            conditional_access_error=REDACTOR.redact(ca_error) if ca_error else None,
            policies=tuple(policies),
        )
