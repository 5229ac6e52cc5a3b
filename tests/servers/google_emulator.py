"""A Google Workspace emulator (OAuth2 JWT-bearer token endpoint + Admin SDK Directory API users) on 127.0.0.1.

The token endpoint verifies the service account's RS256 assertion with the test's throwaway public key
(issuer, audience, scope, expiry, impersonated subject) like Google's does, and answers Google's OAuth
error shapes.  `GET /admin/directory/v1/users` pages with `nextPageToken` (maxResults at most 500) and
returns the documented user fields (isEnrolledIn2Sv, isEnforcedIn2Sv, isAdmin, suspended...).  Faults,
counters and serving time come from `graph_emulator.EmulatorServer`.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

# This module imports the Graph emulator before pytest loads it as a plugin (google < graph): ask pytest to
# rewrite its asserts now, so it does not warn that the module was imported too early.
pytest.register_assert_rewrite("tests.servers.graph_emulator")

from tests.servers.graph_emulator import EmulatorServer, Fault, Request, Response, TokenIssuer, json_response  # noqa: E402

SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"


def google_error(status: int, message: str, reason: str, headers: dict[str, str] | None = None) -> Response:
    """Google's JSON error envelope: {"error": {"code", "message", "errors": [...], "status"}}."""
    statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return json_response(status, {"error": {"code": status, "message": message, "errors": [
        {"message": message, "domain": "global", "reason": reason}], "status": statuses.get(status, "UNKNOWN")}},
        headers)


def generate_rsa_keypair() -> tuple[str, str]:
    """A throwaway 2048-bit RSA key pair (private PEM PKCS#8, public PEM) for tests."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class EmuGoogleUser:
    primary_email: str
    full_name: str = ""
    is_admin: bool = False
    is_delegated_admin: bool = False
    suspended: bool = False
    archived: bool = False
    enrolled: bool = False
    enforced: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4().int)[:21])


@dataclass
class GoogleTenant:
    users: list[EmuGoogleUser]
    public_key_pem: str
    client_email: str = "auditor@msp-audit.iam.gserviceaccount.com"
    admin_email: str = "admin@example.test"
    customer_id: str = "C01abcdef"
    page_size_max: int = 500
    token_lifetime: float = 3600.0


def compose_google_users(*, enrolled_enforced: int = 0, enrolled_not_enforced: int = 0, not_enrolled: int = 0,
                         admins_enrolled: int = 0, admins_not_enrolled: int = 0, suspended: int = 0,
                         domain: str = "example.test") -> list[EmuGoogleUser]:
    users: list[EmuGoogleUser] = []

    def add(prefix: str, n: int, **kwargs: Any) -> None:
        for i in range(n):
            users.append(EmuGoogleUser(primary_email=f"{prefix}-{i:05d}@{domain}", full_name=f"{prefix} {i}",
                                       **kwargs))

    add("enforced", enrolled_enforced, enrolled=True, enforced=True)
    add("enrolled", enrolled_not_enforced, enrolled=True)
    add("noenrol", not_enrolled)
    add("admin-2sv", admins_enrolled, is_admin=True, enrolled=True, enforced=True)
    add("admin-no2sv", admins_not_enrolled, is_admin=True)
    add("suspended", suspended, suspended=True)
    return users


def service_account_json(tenant: GoogleTenant, private_key_pem: str, token_uri: str) -> str:
    """A service account key file in Google's JSON layout, pointing at the emulator's token endpoint."""
    return json.dumps({
        "type": "service_account", "project_id": "msp-audit", "private_key_id": secrets.token_hex(20),
        "private_key": private_key_pem, "client_email": tenant.client_email, "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
    }, indent=2)


class GoogleEmulator(EmulatorServer):
    def __init__(self, tenant: GoogleTenant) -> None:
        super().__init__()
        self.tenant = tenant
        self.tokens = TokenIssuer(tenant.token_lifetime)
        self._page_tokens: dict[str, int] = {}
        self._users = sorted(({
            "kind": "admin#directory#user", "id": u.id, "etag": '"' + secrets.token_hex(8) + '"',
            "primaryEmail": u.primary_email,
            "name": {"givenName": u.full_name.split(" ")[0], "familyName": u.full_name.split(" ")[-1],
                     "fullName": u.full_name},
            "isAdmin": u.is_admin, "isDelegatedAdmin": u.is_delegated_admin,
            "lastLoginTime": "2026-11-18T08:12:00.000Z",
            "creationTime": "2022-03-01T10:00:00.000Z", "agreedToTerms": True, "suspended": u.suspended,
            "archived": u.archived, "changePasswordAtNextLogin": False, "ipWhitelisted": False,
            "emails": [{"address": u.primary_email, "primary": True}], "customerId": tenant.customer_id,
            "orgUnitPath": "/", "isMailboxSetup": True, "isEnrolledIn2Sv": u.enrolled, "isEnforcedIn2Sv": u.enforced,
            "includeInGlobalAddressList": True,
        } for u in tenant.users), key=lambda item: item["primaryEmail"])

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def fault_response(self, fault: Fault) -> Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return google_error(fault.status, fault.message, fault.code or "rateLimitExceeded", headers)

    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/token":
            self.count("token")
            return self._token(request)
        if request.method != "GET":
            self.count("refused-method")
            return google_error(405, "Method not allowed (read-only emulator)", "methodNotAllowed")
        problem = self.tokens.check(request.headers.get("authorization"))
        if problem is not None:
            self.count("401")
            return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                     "token, login cookie or other valid authentication credential.", "authError")
        if request.path == "/admin/directory/v1/users":
            self.count("users")
            return self._users_page(request)
        return google_error(404, "Not Found", "notFound")

    def _token(self, request: Request) -> Response:
        from auditor_plugins.mfa.jwtsign import verify_rs256

        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return json_response(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            claims = verify_rs256(form.get("assertion", ""), self.tenant.public_key_pem)
        except ValueError:
            return json_response(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        now = time.time()
        if claims.get("iss") != self.tenant.client_email:
            return json_response(401, {"error": "invalid_client", "error_description": "The OAuth client was not "
                                                                                       "found."})
        if claims.get("aud") != self.token_url:
            return json_response(400, {"error": "invalid_grant", "error_description": "Invalid JWT: audience"})
        if not (float(claims.get("iat", 0)) - 300 <= now <= float(claims.get("exp", 0))) or \
                float(claims.get("exp", 0)) - float(claims.get("iat", 0)) > 3600:
            return json_response(400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a "
                                       "short-lived token (60 minutes) and in a reasonable timeframe."})
        if SCOPE not in str(claims.get("scope", "")).split() or claims.get("sub") != self.tenant.admin_email:
            return json_response(401, {"error": "unauthorized_client", "error_description": "Client is unauthorized "
                                       "to retrieve access tokens using this method, or client not authorized for any "
                                       "of the scopes requested."})
        return json_response(200, self.tokens.issue())

    def _users_page(self, request: Request) -> Response:
        query = request.query
        if query.get("customer") not in ("my_customer", self.tenant.customer_id) and "domain" not in query:
            return google_error(400, "Bad Request", "badRequest")
        try:
            size = int(query.get("maxResults", 100))
        except ValueError:
            return google_error(400, "Invalid Input: maxResults", "invalid")
        if size < 1 or size > 500:
            return google_error(400, "Invalid Input: maxResults", "invalid")
        size = min(size, self.tenant.page_size_max)
        token = query.get("pageToken")
        if token:
            if token not in self._page_tokens:
                return google_error(400, "Invalid Input: pageToken", "invalid")
            offset = self._page_tokens[token]
        else:
            offset = 0
        chunk = self._users[offset:offset + size]
        body: dict[str, Any] = {"kind": "admin#directory#users", "etag": '"' + secrets.token_hex(8) + '"'}
        if chunk:
            body["users"] = chunk
        if offset + size < len(self._users):
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._page_tokens[next_token] = offset + size
            body["nextPageToken"] = next_token
        return json_response(200, body)


@pytest.fixture(scope="session")
def throwaway_rsa_keypair() -> tuple[str, str]:
    """One throwaway RSA key pair per test session (generating keys is slow-ish)."""
    return generate_rsa_keypair()


@pytest.fixture
def google_emulator() -> Iterator[Callable[[GoogleTenant], GoogleEmulator]]:
    started: list[GoogleEmulator] = []

    def start(tenant: GoogleTenant) -> GoogleEmulator:
        emulator = GoogleEmulator(tenant)
        emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
