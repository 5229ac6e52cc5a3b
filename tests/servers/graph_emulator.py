"""A Microsoft Graph + Microsoft identity platform emulator: a real HTTP server on 127.0.0.1 for tests/benchmarks.

It speaks the documented shapes of the endpoints the MFA plugin reads (users, userRegistrationDetails in v1.0
and beta, per-user authentication methods, directory roles, security defaults, Conditional Access) and of
the client-credentials token endpoint (secret or certificate assertion), with:

* a tenant of configurable size and composition (`compose_users`), premium (P1/P2) or not;
* server-driven paging through opaque `$skiptoken`s inside `@odata.nextLink` (clients must follow the URL);
* injected faults (`Fault`): 429 with or without Retry-After (fractional allowed), 5xx, 403;
* missing permissions (403 `Authorization_RequestDenied`), non-premium 403s, token expiry (401);
* Conditional Access rate limiting (~1 request/s, 429 *without* Retry-After when exceeded);
* request counters and the server's own serving time, so tests and benchmarks can assert behaviour.

`EmulatorServer` and `TokenIssuer` are generic (threaded server, fault plan, counters, OAuth token endpoint)
and meant to be reused by other vendor emulators (see google_emulator.py).  Only loopback is ever bound.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

Response = tuple[int, dict[str, str], bytes]

NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
ALL_PERMISSIONS = frozenset({"AuditLog.Read.All", "Policy.Read.All", "User.Read.All",
                             "UserAuthenticationMethod.Read.All", "RoleManagement.Read.Directory"})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Graph's error envelope: {"error": {"code", "message", "innerError"}}."""
    return json_response(status, {"error": {"code": code, "message": message, "innerError": {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": str(uuid.uuid4())}}}, headers)


@dataclass
class Fault:
    """Answer the next `times` requests whose path contains `path` with `status` instead of the real answer."""

    path: str
    status: int
    times: int = 1
    retry_after: str | None = None
    code: str = ""
    message: str = "injected fault"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    url: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: Headers and body go out in separate writes: with Nagle + delayed ACK each request would cost ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        host = self.headers.get("Host", "")
        request = Request(method, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body,
                          f"http://{host}{self.path}")
        status, headers, payload = self.server.emulator.dispatch(request)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.emulator.record_time(time.perf_counter() - started)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: EmulatorServer


class EmulatorServer:
    """A threaded HTTP server on a free loopback port with a fault plan, counters and serving time.

    Subclasses implement `route(request) -> Response`; `dispatch` applies the fault plan first and counts.
    """

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.faults_served: Counter[int] = Counter()
        self.serving_seconds = 0.0
        self.requests_served = 0
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> EmulatorServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- faults and counters
    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def record_time(self, seconds: float) -> None:
        with self._lock:
            self.serving_seconds += seconds
            self.requests_served += 1

    def reset_counters(self) -> None:
        with self._lock:
            self.counts.clear()
            self.methods.clear()
            self.faults_served.clear()
            self.serving_seconds = 0.0
            self.requests_served = 0

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path in path:
                    fault.times -= 1
                    self.faults_served[fault.status] += 1
                    return fault
        return None

    def fault_response(self, fault: Fault) -> Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        code = fault.code or {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(fault.status, "Error")
        return graph_error(fault.status, code, fault.message, headers)

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.methods[request.method] += 1
        fault = self._take_fault(request.path)
        if fault is not None:
            return self.fault_response(fault)
        return self.route(request)

    def count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def route(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


class TokenIssuer:
    """Opaque bearer tokens with a lifetime, as an OAuth2 token endpoint issues them (reusable by emulators)."""

    def __init__(self, lifetime: float = 3600.0, clock: Callable[[], float] = time.monotonic,
                 max_uses: int | None = None) -> None:
        self.lifetime = lifetime
        self.clock = clock
        #: Server-side expiry after this many requests (simulates a token expiring mid-collection).
        self.max_uses = max_uses
        self.issued = 0
        self._tokens: dict[str, float] = {}
        self._uses: Counter[str] = Counter()
        self._lock = threading.Lock()

    def issue(self) -> dict[str, Any]:
        token = "emu." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self.clock() + self.lifetime
            self.issued += 1
        return {"token_type": "Bearer", "expires_in": int(self.lifetime) if self.lifetime >= 1 else self.lifetime,
                "ext_expires_in": int(self.lifetime), "access_token": token}

    def check(self, authorization: str | None) -> str | None:
        """None when the bearer token is valid, else the reason ("missing", "invalid", "expired")."""
        if not authorization or not authorization.startswith("Bearer "):
            return "missing"
        token = authorization.removeprefix("Bearer ")
        with self._lock:
            expires = self._tokens.get(token)
            self._uses[token] += 1
            used = self._uses[token]
        if expires is None:
            return "invalid"
        if self.max_uses is not None and used > self.max_uses:
            return "expired"
        return "expired" if self.clock() >= expires else None

    def expire_all(self) -> None:
        """Make every issued token expire now (server-side), as a revoked or elapsed token would."""
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0


# --- the tenant -------------------------------------------------------------------------------------------


@dataclass
class EmuUser:
    id: str
    upn: str
    display_name: str
    user_type: str = "member"
    enabled: bool = True
    is_admin: bool = False
    #: Names from the methodsRegistered vocabulary.
    methods: tuple[str, ...] = ()
    default_method: str | None = None

    @property
    def mfa_registered(self) -> bool:
        return any(m not in ("email", "securityQuestion", "temporaryAccessPass") for m in self.methods)


@dataclass
class GraphTenant:
    users: list[EmuUser]
    tenant_id: str = "11111111-2222-3333-4444-555555555555"
    client_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    client_secret: str = "emulator-secret-Q~not-a-real-one"
    #: PEM public key of the app's certificate, to accept certificate assertions (None: secrets only).
    certificate_public_key: str | None = None
    premium: bool = True
    security_defaults: bool = False
    ca_policies: list[dict[str, Any]] = field(default_factory=list)
    granted: frozenset[str] = ALL_PERMISSIONS
    page_size_max: int = 999
    token_lifetime: float = 3600.0
    #: Largest $top the registration report accepts (None: 999 like /users); larger ones answer 400.
    registration_max_top: int | None = None
    #: Tokens expire server-side after this many Graph requests (None: only by lifetime).
    token_max_requests: int | None = None
    #: Minimum seconds between Conditional Access requests; faster ones get 429 with no Retry-After.
    ca_min_interval: float = 0.0


_METHOD_OBJECTS: dict[str, dict[str, Any]] = {
    "microsoftAuthenticatorPush": {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
                                   "displayName": "iPhone 15", "deviceTag": "SoftwareTokenActivated",
                                   "phoneAppVersion": "6.8.12"},
    "mobilePhone": {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "phoneNumber": "+33 6XXXXXXXX",
                    "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"},
    "alternateMobilePhone": {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
                             "phoneNumber": "+33 7XXXXXXXX", "phoneType": "alternateMobile"},
    "officePhone": {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "phoneNumber": "+33 4XXXXXXXX",
                    "phoneType": "office"},
    "fido2": {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "displayName": "YubiKey 5",
              "model": "YubiKey 5 NFC", "aaGuid": "cb69481e-8ff7-4039-93ec-0a2729a154a8"},
    "softwareOneTimePasscode": {"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
                                "secretKey": None},
    "windowsHelloForBusiness": {"@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
                                "displayName": "WKS-001", "keyStrength": "normal"},
    "email": {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "emailAddress": "x@example.org"},
    "temporaryAccessPass": {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
                            "lifetimeInMinutes": 60, "isUsable": False},
}


def compose_users(
    *,
    members_registered: int = 0,
    members_unregistered: int = 0,
    members_phone_only: int = 0,
    admins_registered: int = 0,
    admins_unregistered: int = 0,
    guests_registered: int = 0,
    guests_unregistered: int = 0,
    disabled_registered: int = 0,
    disabled_unregistered: int = 0,
    domain: str = "contoso.test",
    extra: list[EmuUser] | None = None,
) -> list[EmuUser]:
    """A tenant of known composition; UPNs say what each user is (e.g. `member-unreg-0003@domain`).

    `members_phone_only` users are registered members whose only methods are SMS/voice (they are counted
    as registered, and as phone-only).  Admins are enabled members.
    """
    users: list[EmuUser] = []
    counter = itertools.count(1)

    def add(prefix: str, n: int, *, user_type: str = "member", enabled: bool = True, is_admin: bool = False,
            methods: tuple[str, ...] = (), default: str | None = None) -> None:
        for i in range(n):
            k = next(counter)
            users.append(EmuUser(id=str(uuid.UUID(int=k)), upn=f"{prefix}-{i:05d}@{domain}",
                                 display_name=f"{prefix.title()} {i}", user_type=user_type, enabled=enabled,
                                 is_admin=is_admin, methods=methods, default_method=default))

    strong = ("microsoftAuthenticatorPush", "mobilePhone")
    add("member-reg", members_registered, methods=strong, default="microsoftAuthenticatorPush")
    add("member-unreg", members_unregistered, methods=("email",))
    add("member-phone", members_phone_only, methods=("mobilePhone",), default="mobilePhone")
    add("admin-reg", admins_registered, is_admin=True, methods=("fido2", "microsoftAuthenticatorPush"),
        default="microsoftAuthenticatorPush")
    add("admin-unreg", admins_unregistered, is_admin=True)
    add("guest-reg", guests_registered, user_type="guest", methods=("microsoftAuthenticatorPush",))
    add("guest-unreg", guests_unregistered, user_type="guest")
    add("disabled-reg", disabled_registered, enabled=False, methods=strong)
    add("disabled-unreg", disabled_unregistered, enabled=False)
    return users + list(extra or ())


def ca_policy(
    name: str,
    *,
    state: str = "enabled",
    include_users: tuple[str, ...] = ("All",),
    exclude_users: tuple[str, ...] = (),
    include_applications: tuple[str, ...] = ("All",),
    built_in_controls: tuple[str, ...] = ("mfa",),
    authentication_strength: str | None = None,
    exclude_groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A conditionalAccessPolicy in Graph's documented v1.0 shape."""
    grant: dict[str, Any] = {"operator": "OR", "builtInControls": list(built_in_controls),
                             "customAuthenticationFactors": [], "termsOfUse": []}
    if authentication_strength:
        grant["authenticationStrength"] = {"id": "00000000-0000-0000-0000-000000000002",
                                           "displayName": authentication_strength, "policyType": "builtIn",
                                           "requirementsSatisfied": "mfa",
                                           "allowedCombinations": ["windowsHelloForBusiness", "fido2",
                                                                   "microsoftAuthenticatorPush,password"]}
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)), "displayName": name, "state": state,
        "createdDateTime": "2025-01-10T09:00:00Z", "modifiedDateTime": None,
        "conditions": {
            "clientAppTypes": ["all"], "signInRiskLevels": [], "userRiskLevels": [],
            "applications": {"includeApplications": list(include_applications), "excludeApplications": [],
                             "includeUserActions": []},
            "users": {"includeUsers": list(include_users), "excludeUsers": list(exclude_users),
                      "includeGroups": [], "excludeGroups": list(exclude_groups), "includeRoles": [],
                      "excludeRoles": [], "includeGuestsOrExternalUsers": None,
                      "excludeGuestsOrExternalUsers": None},
            "platforms": None, "locations": None,
        },
        "grantControls": grant,
        "sessionControls": None,
    }


GLOBAL_ADMIN_ROLE = {"id": "5b0d6b3a-0000-4000-8000-000000000001", "displayName": "Global Administrator",
                     "description": "Can manage all aspects of Microsoft Entra ID.",
                     "roleTemplateId": "62e90394-69f5-4237-9190-012177145e10"}


class GraphEmulator(EmulatorServer):
    """Microsoft Graph (v1.0 + beta subset) and the tenant's token endpoint, for one tenant."""

    def __init__(self, tenant: GraphTenant) -> None:
        super().__init__()
        self.tenant = tenant
        self.tokens = TokenIssuer(tenant.token_lifetime, max_uses=tenant.token_max_requests)
        self._skiptokens: dict[str, int] = {}
        self._last_ca = 0.0
        self._rebuild()

    def _rebuild(self) -> None:
        """Pre-render the JSON objects once, so serving time is the server's, not the test's."""
        tenant = self.tenant
        self._by_id = {u.id: u for u in tenant.users}
        self._users = [{"id": u.id, "userPrincipalName": u.upn, "displayName": u.display_name,
                        "userType": "Guest" if u.user_type == "guest" else "Member",
                        "accountEnabled": u.enabled, "mail": u.upn} for u in tenant.users]
        self._registrations = [{
            "id": u.id, "userPrincipalName": u.upn, "userDisplayName": u.display_name,
            "userType": u.user_type, "isAdmin": u.is_admin,
            "isSsprRegistered": bool(u.methods), "isSsprEnabled": True, "isSsprCapable": bool(u.methods),
            "isMfaRegistered": u.mfa_registered, "isMfaCapable": u.mfa_registered,
            "isPasswordlessCapable": "fido2" in u.methods,
            "methodsRegistered": list(u.methods),
            "isSystemPreferredAuthenticationMethodEnabled": True,
            "systemPreferredAuthenticationMethods": [u.default_method] if u.default_method else [],
            "userPreferredMethodForSecondaryAuthentication": _preferred(u.default_method),
            "lastUpdatedDateTime": "2026-11-19T22:14:05Z",
        } for u in tenant.users if u.enabled]  # the documented list "doesn't work for disabled users"

    # -- helpers
    def _token_url_path(self) -> str:
        return f"/{self.tenant.tenant_id}/oauth2/v2.0/token"

    def _page(self, request: Request, items: list[dict[str, Any]], *, default_top: int = 100,
              select: bool = False) -> Response:
        token = request.query.get("$skiptoken")
        if token is not None:
            if token not in self._skiptokens:
                return graph_error(400, "Directory_ExpiredPageToken", "The specified page token value has expired "
                                                                      "and can no longer be included in your request.")
            offset = self._skiptokens[token]
        else:
            offset = 0
        try:
            top = int(request.query.get("$top", default_top))
        except ValueError:
            return graph_error(400, "BadRequest", "Invalid value for $top")
        if top < 1 or top > 999:
            return graph_error(400, "BadRequest", f"Invalid page size specified: '{top}'. Must be between 1 "
                                                  f"and 999 inclusive.")
        size = min(top, self.tenant.page_size_max)
        chunk = items[offset:offset + size]
        fields = [f for f in request.query.get("$select", "").split(",") if f] if select else []
        if fields:
            chunk = [{k: item.get(k) for k in fields} for item in chunk]
        base = request.url.split("?", 1)[0]
        body: dict[str, Any] = {"@odata.context": f"{base.split('/v1.0')[0]}/v1.0/$metadata#collection",
                                "value": chunk}
        if offset + size < len(items):
            next_token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode().rstrip("=")
            with self._lock:
                self._skiptokens[next_token] = offset + size
            query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = next_token
            body["@odata.nextLink"] = f"{base}?{urlencode(query, safe='$,')}"
        return json_response(200, body)

    def _require(self, permission: str) -> Response | None:
        if permission not in self.tenant.granted:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the "
                                                                   "operation.")
        return None

    # -- routes
    def route(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path == self._token_url_path():
            self.count("token")
            return self._token(request)
        if request.method != "GET":
            self.count("refused-method")
            return graph_error(405, "Request_BadRequest", "Method not allowed (the emulator is read-only).")
        problem = self.tokens.check(request.headers.get("authorization"))
        if problem is not None:
            self.count("401")
            message = {"missing": "Access token is empty.", "invalid": "Invalid access token.",
                       "expired": "Lifetime validation failed, the token is expired."}[problem]
            return graph_error(401, "InvalidAuthenticationToken", message)
        for prefix in ("/v1.0", "/beta"):
            if path.startswith(prefix + "/"):
                return self._graph(request, prefix, path[len(prefix):])
        return graph_error(404, "Request_ResourceNotFound", f"Resource '{path}' does not exist.")

    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        tenant = self.tenant
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type",
                                       "error_description": "AADSTS70003: The app requested an unsupported grant "
                                                            "type."})
        if form.get("client_id") != tenant.client_id:
            return json_response(400, {"error": "unauthorized_client", "error_description":
                                       f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not "
                                       f"found in the directory."})
        if "client_assertion" in form:
            from auditor_plugins.mfa.jwtsign import verify_rs256

            try:
                if not tenant.certificate_public_key:
                    raise ValueError("no certificate registered")
                claims = verify_rs256(form["client_assertion"], tenant.certificate_public_key)
                if claims.get("aud") != request.url.split("?", 1)[0] or claims.get("iss") != tenant.client_id:
                    raise ValueError("wrong audience or issuer")
                if float(claims.get("exp", 0)) < time.time():
                    raise ValueError("expired assertion")
            except ValueError as exc:
                return json_response(401, {"error": "invalid_client", "error_description":
                                           f"AADSTS700027: Client assertion failed signature validation ({exc})."})
        elif form.get("client_secret") != tenant.client_secret:
            return json_response(401, {"error": "invalid_client", "error_description":
                                       "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                                       "in the request is the client secret value, not the client secret ID."})
        if not form.get("scope", "").endswith("/.default"):
            return json_response(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: The provided "
                                       "value for scope is not valid."})
        return json_response(200, self.tokens.issue())

    def _graph(self, request: Request, version: str, path: str) -> Response:
        tenant = self.tenant
        if path == "/users":
            self.count("users")
            return self._require("User.Read.All") or self._page(request, self._users, select=True)
        if path == "/reports/authenticationMethods/userRegistrationDetails":
            self.count(f"registration{version.replace('/', '-')}")
            denied = self._require("AuditLog.Read.All")
            if denied:
                return denied
            if not tenant.premium:
                return graph_error(403, NON_PREMIUM_CODE, "Neither tenant is B2C or tenant doesn't have premium "
                                                          "license")
            top = request.query.get("$top")
            if tenant.registration_max_top and top and top.isdigit() and int(top) > tenant.registration_max_top:
                return graph_error(400, "BadRequest", f"Invalid page size specified: '{top}'.")
            rows = self._registrations
            if version == "/beta":
                rows = [{**r, "defaultMfaMethod": self._by_id[r["id"]].default_method or "none"} for r in rows]
            return self._page(request, rows)
        if path.startswith("/users/") and path.endswith("/authentication/methods"):
            self.count("methods")
            denied = self._require("UserAuthenticationMethod.Read.All")
            if denied:
                return denied
            user = self._by_id.get(path.split("/")[2])
            if user is None:
                return graph_error(404, "Request_ResourceNotFound", "Resource does not exist.")
            methods = [{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
                        "id": "28c10230-6103-485e-b985-444c60001490", "password": None,
                        "createdDateTime": "2024-03-01T08:00:00Z"}]
            for i, name in enumerate(user.methods):
                methods.append({"id": str(uuid.uuid5(uuid.UUID(user.id), f"{name}{i}")),
                                **_METHOD_OBJECTS.get(name, {"@odata.type": f"#microsoft.graph.{name}"})})
            return json_response(200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('"
                                       + user.id + "')/authentication/methods", "value": methods})
        if path == "/directoryRoles":
            self.count("directoryRoles")
            denied = self._require("RoleManagement.Read.Directory")
            if denied:
                return denied
            return self._page(request, [GLOBAL_ADMIN_ROLE])
        if path.startswith("/directoryRoles/") and path.endswith("/members"):
            self.count("roleMembers")
            denied = self._require("RoleManagement.Read.Directory")
            if denied:
                return denied
            members = [{"@odata.type": "#microsoft.graph.user", "id": u.id, "userPrincipalName": u.upn}
                       for u in tenant.users if u.is_admin] if path.split("/")[2] == GLOBAL_ADMIN_ROLE["id"] else []
            return self._page(request, members, select=True)
        if path == "/policies/identitySecurityDefaultsEnforcementPolicy":
            self.count("securityDefaults")
            return self._require("Policy.Read.All") or json_response(200, {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/"
                                  "identitySecurityDefaultsEnforcementPolicy/$entity",
                "id": "00000000-0000-0000-0000-000000000005", "displayName": "Security Defaults",
                "description": "Security defaults is a set of basic identity security mechanisms recommended by "
                               "Microsoft.", "isEnabled": tenant.security_defaults})
        if path == "/identity/conditionalAccess/policies":
            self.count("conditionalAccess")
            now = time.monotonic()
            with self._lock:
                too_fast = tenant.ca_min_interval and now - self._last_ca < tenant.ca_min_interval
                self._last_ca = now
            if too_fast:
                self.count("ca-throttled")
                return graph_error(429, "TooManyRequests", "Too many requests.")  # no Retry-After, as documented
            denied = self._require("Policy.Read.All")
            if denied:
                return denied
            if not tenant.premium:
                return graph_error(403, NON_PREMIUM_CODE, "Tenant does not have a premium license.")
            return self._page(request, tenant.ca_policies)
        return graph_error(404, "Request_ResourceNotFound", f"Resource '{version}{path}' does not exist.")


def _preferred(method: str | None) -> str:
    return {"microsoftAuthenticatorPush": "push", "mobilePhone": "sms", "softwareOneTimePasscode": "oath",
            "officePhone": "voiceOffice", "alternateMobilePhone": "voiceAlternateMobile"}.get(method or "", "none")


@pytest.fixture
def graph_emulator() -> Iterator[Callable[[GraphTenant], GraphEmulator]]:
    """Factory fixture: `graph_emulator(GraphTenant(...))` starts an emulator, stopped after the test."""
    started: list[GraphEmulator] = []

    def start(tenant: GraphTenant) -> GraphEmulator:
        emulator = GraphEmulator(tenant)
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
