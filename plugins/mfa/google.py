"""Live Google Workspace source: Directory API users with their 2-Step Verification state (GET only).

Authentication is a service account with domain-wide delegation: a JWT signed with the account's private
key (RS256) is exchanged at the token endpoint (RFC 7523 bearer grant) for a token impersonating an admin,
scope `admin.directory.user.readonly`.  Users are paged with `nextPageToken`, at most 500 per page.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from auditor.http import ApiClient, ApiError, RetryPolicy
from auditor.secrets import REDACTOR
from auditor_plugins.mfa.errors import MfaAuthError, MfaProtocolError, MfaSourceError
from auditor_plugins.mfa.evidence import GoogleUser, GoogleWorkspaceEvidence
from auditor_plugins.mfa.jwtsign import JwtSigningError, sign_rs256
from auditor_plugins.mfa.settings import GOOGLE_SCOPE, MfaSettings
from auditor_plugins.mfa.sources import AssertionToken, GoogleWorkspaceSource, translate

DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
USERS_PATH = "/admin/directory/v1/users"


def _string_error_codes(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """Response hook: Google's error envelope has an integer `error.code`; use its string `status` instead.

    Works around `auditor.http.vendor_message`, which returns `error.code` as is and then concatenates it
    into a string (TypeError on every Google error).  Remove once the core stringifies the code.
    """
    if response.status_code != 200 and "json" in response.headers.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            return response
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and not isinstance(error.get("code"), str | None):
            error["code"] = str(error.get("status") or error["code"])
            response._content = json.dumps(body).encode()
    return response


def google_permission_hint(path: str, code: str | None) -> str | None:
    return (f"the service account needs domain-wide delegation for the scope {GOOGLE_SCOPE}, and the impersonated "
            f"google_admin_email must be an administrator allowed to read users")


def parse_service_account(text: str) -> dict[str, str]:
    """Read a service account JSON key; registers the private key for redaction before anything else."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise MfaAuthError("plugins.mfa.google_credentials: not a service account JSON key (invalid JSON)") from None
    if not isinstance(data, dict):
        raise MfaAuthError("plugins.mfa.google_credentials: not a service account JSON key")
    key = data.get("private_key")
    if isinstance(key, str):
        REDACTOR.add(key)
        for line in key.splitlines():
            if len(line) >= 16 and "PRIVATE KEY" not in line:
                REDACTOR.add(line)
    missing = [f for f in ("client_email", "private_key") if not isinstance(data.get(f), str) or not data.get(f)]
    if missing:
        raise MfaAuthError(f"plugins.mfa.google_credentials: the JSON key lacks {', '.join(missing)}")
    return {k: str(v) for k, v in data.items() if isinstance(v, str)}


class GoogleDirectorySource(GoogleWorkspaceSource):
    """Reads Google Workspace users through the Admin SDK Directory API."""

    def __init__(
        self,
        settings: MfaSettings,
        *,
        service_account: dict[str, str],
        progress: Callable[[str], None] = lambda _m: None,
        cancelled: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.google_admin_email:
            raise MfaSourceError("plugins.mfa.google_admin_email is required for Google Workspace (the admin the "
                                 "service account impersonates)")
        self.settings = settings
        self.progress = progress
        self.cancelled = cancelled or threading.Event()
        token_url = settings.google_token_url or service_account.get("token_uri") or DEFAULT_TOKEN_URL
        email, key = service_account["client_email"], service_account["private_key"]
        subject = settings.google_admin_email

        def form() -> dict[str, str]:
            now = int(time.time())
            claims = {"iss": email, "sub": subject, "scope": GOOGLE_SCOPE, "aud": token_url,
                      "iat": now, "exp": now + 3600}
            try:
                assertion = sign_rs256(claims, key, headers={"kid": service_account.get("private_key_id", "")})
            except JwtSigningError as exc:
                raise MfaAuthError(f"plugins.mfa.google_credentials: {exc}") from None
            return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}

        auth = AssertionToken(token_url, {}, name="Google OAuth token endpoint", verify=settings.verify_tls,
                              form_factory=form)
        session = requests.Session()
        session.hooks["response"].append(_string_error_codes)
        self.client = ApiClient(
            settings.google_base_url, name="Google Directory API", auth=auth, verify=settings.verify_tls,
            session=session,
            timeout=min(settings.timeout_seconds, 120.0),
            retry=RetryPolicy(attempts=settings.retry_attempts, backoff_seconds=settings.retry_backoff_seconds,
                              sleep=sleep),
            permission_hint=google_permission_hint,
        )

    def collect(self) -> GoogleWorkspaceEvidence:
        try:
            return self._collect()
        except ApiError as exc:
            raise translate(exc) from exc

    def _collect(self) -> GoogleWorkspaceEvidence:
        users: list[GoogleUser] = []
        params: dict[str, Any] = {"customer": self.settings.google_customer,
                                  "maxResults": self.settings.google_page_size,
                                  "projection": "basic", "orderBy": "email"}
        pages = 0
        while True:
            if self.cancelled.is_set():
                raise MfaSourceError("collection cancelled (plugin timeout)")
            page = self.client.get_json(USERS_PATH, params)
            pages += 1
            if not isinstance(page, dict):
                raise MfaProtocolError("Google Directory API: users page is not a JSON object")
            items = page.get("users", [])  # an empty page has no "users" key at all
            if not isinstance(items, list):
                raise MfaProtocolError("Google Directory API: 'users' is not a list")
            for item in items:
                if isinstance(item, dict):
                    users.append(self._user(item))
            token = page.get("nextPageToken")
            if not token:
                break
            params = {**params, "pageToken": token}
            self.progress(f"Google Workspace: {len(users)} users read ({pages} pages)")
        return GoogleWorkspaceEvidence(customer=self.settings.google_customer, users=tuple(users),
                                       requests_made=self.client.requests_made)

    @staticmethod
    def _user(item: dict[str, Any]) -> GoogleUser:
        name = item.get("name") if isinstance(item.get("name"), dict) else {}
        return GoogleUser(
            id=str(item.get("id", "")),
            primary_email=str(item.get("primaryEmail", "")),
            name=str(name.get("fullName") or ""),
            is_admin=bool(item.get("isAdmin")),
            is_delegated_admin=bool(item.get("isDelegatedAdmin")),
            suspended=bool(item.get("suspended")),
            archived=bool(item.get("archived")),
            enrolled_2sv=bool(item.get("isEnrolledIn2Sv")),
            enforced_2sv=bool(item.get("isEnforcedIn2Sv")),
        )
