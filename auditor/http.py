"""One careful HTTP client for every vendor API the plugins read (Graph, Defender, SentinelOne, Veeam...).

Vendor APIs throttle (429 with a Retry-After that may be fractional or missing), fail transiently (5xx),
expire tokens mid-collection and wrap errors in their own envelopes.  Handling that once, here, keeps each
plugin's source small.  The client is read-only by construction: it only issues GET, and the token
providers issue the single POST a token request needs.  Tokens are registered with the redactor.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests

from auditor import __version__
from auditor.errors import SourceError
from auditor.secrets import REDACTOR


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def shown_url(url: str) -> str:
    """A URL fit for a message: no user:password@, no query string (tokens hide there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class ApiError(SourceError):
    """A vendor API call failed; the message names the API, the path and what the vendor said."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(REDACTOR.redact(message))
        self.status = status
        self.code = code


class ApiAuthError(ApiError):
    """401: the credentials were refused (wrong secret, expired secret, wrong tenant)."""


class ApiPermissionError(ApiError):
    """403: authenticated, but the application lacks a permission; the message names it when known."""


class ApiNotFound(ApiError):
    """404: the resource does not exist (some APIs answer 404 for an empty tenant)."""


class ApiThrottled(ApiError):
    """429 kept coming back after every allowed retry."""


class ApiUnavailable(ApiError):
    """The server could not be reached or kept failing (connection error, timeout, 5xx)."""


class ApiProtocolError(ApiError):
    """The server answered something that is not the documented shape (not JSON, missing fields)."""


@dataclass
class RetryPolicy:
    """Bounded retries: how many attempts, and how long we are willing to wait in total."""

    attempts: int = 6
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait_seconds)
        return min(self.backoff_seconds * (2 ** (attempt - 1)) * (1 + random.random() * 0.1), self.max_wait_seconds)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (possibly fractional) or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def vendor_message(response: requests.Response) -> tuple[str | None, str]:
    """Extract (code, message) from the common error envelopes: Graph/Defender, Veeam, SentinelOne."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return None, text[:200]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Graph / Defender {"error": {"code", "message"}}; Google adds "status"
            code = error.get("status") or error.get("code")
            return (str(code) if code is not None else None), str(error.get("message", ""))[:300]
        if "errorCode" in body:  # Veeam: {"errorCode", "message"}
            return str(body.get("errorCode")), str(body.get("message", ""))[:300]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # SentinelOne
            first = errors[0]
            message = first.get("detail") or first.get("title") or ""
            return (str(first.get("code")) if first.get("code") is not None else None), str(message)[:300]
        if isinstance(error, str):  # OAuth: {"error": "invalid_client", "error_description": ...}
            return error, str(body.get("error_description", ""))[:300]
    return None, str(body)[:200]


#: OAuth2 error codes (RFC 6749 section 5.2) that mean "these credentials are wrong", as opposed to a
#: malformed request such as an unsupported API version.
OAUTH_CREDENTIAL_ERRORS = frozenset({"invalid_client", "invalid_grant", "unauthorized_client"})


class TokenProvider(ABC):
    """Supplies the authentication headers for a request and forgets its token when the server refuses it."""

    @abstractmethod
    def headers(self, session: requests.Session) -> dict[str, str]: ...

    def invalidate(self) -> None:  # noqa: B027 - static credentials have nothing to forget
        """Drop a cached token (called after a 401) so the next request fetches a fresh one."""


class StaticToken(TokenProvider):
    """A fixed header, e.g. SentinelOne's `Authorization: ApiToken <token>`."""

    def __init__(self, header: str, value: str) -> None:
        REDACTOR.add(value)
        self._header, self._value = header, value

    def headers(self, session: requests.Session) -> dict[str, str]:
        return {self._header: self._value}


@dataclass
class OAuthToken(TokenProvider):
    """OAuth2 token endpoint (client credentials or password grant), cached until shortly before expiry."""

    token_url: str
    form: dict[str, str] = field(repr=False)
    name: str = "token endpoint"
    extra_headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    verify: bool | str = True
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    requests_made: int = 0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def headers(self, session: requests.Session) -> dict[str, str]:
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at:
                self._fetch(session)
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self, session: requests.Session) -> None:
        response = None
        for attempt in range(1, self.retry.attempts + 1):
            self.requests_made += 1
            try:
                # Never follow a redirect with the credentials in the body (requests re-posts it on 307/308).
                response = session.post(self.token_url, data=self.form, headers=self.extra_headers,
                                        timeout=self.timeout, verify=self.verify, allow_redirects=False)
            except requests.exceptions.SSLError:
                raise ApiUnavailable(f"{self.name}: TLS certificate of {self.token_url} could not be verified; "
                                     "give the server's CA (ca_bundle/ca_file setting)") from None
            except requests.RequestException as exc:
                if attempt == self.retry.attempts:
                    raise ApiUnavailable(f"{self.name}: cannot reach {self.token_url}: {type(exc).__name__}") from None
                self.retry.sleep(self.retry.delay(attempt, None))
                continue
            if (response.status_code == 429 or response.status_code >= 500) and attempt < self.retry.attempts:
                self.retry.sleep(self.retry.delay(attempt, parse_retry_after(response.headers.get("Retry-After"))))
                continue
            break
        assert response is not None
        if response.status_code != 200:
            code, message = vendor_message(response)
            refused = response.status_code in (401, 403) or (
                response.status_code == 400 and code in OAUTH_CREDENTIAL_ERRORS)
            kind = ApiAuthError if refused else (ApiUnavailable if response.status_code >= 429 else ApiError)
            verb = "refused the credentials" if refused else "failed"
            raise kind(f"{self.name} {verb} (HTTP {response.status_code}"
                       f"{', ' + code if code else ''}): {message}", status=response.status_code, code=code)
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ApiProtocolError(f"{self.name}: token response is not the documented JSON") from None
        REDACTOR.add(token)
        self._token = token
        # Renew a minute early (or at half-life for very short tokens) so a long page loop never 401s.
        self._expires_at = self.clock() + max(lifetime - 60, lifetime / 2)


def client_credentials(token_url: str, client_id: str, client_secret: str, scope: str, *, name: str,
                       verify: bool | str = True) -> OAuthToken:
    """Microsoft identity platform style client-credentials grant."""
    REDACTOR.add(client_secret)
    return OAuthToken(token_url, {"grant_type": "client_credentials", "client_id": client_id,
                                  "client_secret": client_secret, "scope": scope}, name=name, verify=verify)


class ApiClient:
    """GET-only JSON client with token refresh, bounded retries and vendor error translation."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        auth: TokenProvider | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        permission_hint: Callable[[str, str | None], str | None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.verify = verify
        self.permission_hint = permission_hint
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": f"msp-posture-auditor/{__version__}"})
        if headers:
            self.session.headers.update(headers)
        self.requests_made = 0
        self.throttled = 0

    def url(self, path_or_url: str) -> str:
        """A path under the base URL, or an absolute URL (a next-link) on the very same scheme, host and port.

        A next-link naming another origin would receive our bearer token: it is refused, never followed.
        """
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != _origin(self.base_url):
                raise ApiProtocolError(f"{self.name}: refused to follow a link to another server "
                                       f"({_origin(path_or_url)}); the API answered from {_origin(self.base_url)}")
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode JSON, retrying 429/5xx/connection errors within the retry policy."""
        url = self.url(path_or_url)
        shown = shown_url(url)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = self.auth.headers(self.session) if self.auth else {}
            try:
                self.requests_made += 1
                # Redirects are not followed: they could carry the bearer token to another server.
                response = self.session.get(url, params=params, headers=headers, timeout=self.timeout,
                                            verify=self.verify, allow_redirects=False)
            except requests.exceptions.SSLError:
                # A certificate problem does not heal by retrying: say so at once.
                raise ApiUnavailable(f"{self.name}: TLS certificate of {shown} could not be verified; give the "
                                     "server's CA (ca_bundle/ca_file setting) rather than disabling verification"
                                     ) from None
            except requests.RequestException as exc:
                if attempt >= self.retry.attempts:
                    raise ApiUnavailable(f"{self.name}: cannot reach {shown} ({type(exc).__name__}) after "
                                         f"{attempt} attempts") from None
                self.retry.sleep(self.retry.delay(attempt, None))
                continue
            status = response.status_code
            if status == 200:
                try:
                    # orjson: JSON decoding is most of a large collection's client-side cost.
                    return orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    raise ApiProtocolError(f"{self.name}: {shown} did not answer JSON") from None
            code, message = vendor_message(response)
            detail = f"{self.name}: GET {shown} answered HTTP {status}{' ' + code if code else ''}: {message}"
            if status == 401 and self.auth is not None and not refreshed:
                refreshed = True
                self.auth.invalidate()
                continue
            if status == 429 or status >= 500:
                if status == 429:
                    self.throttled += 1
                if attempt >= self.retry.attempts:
                    kind = ApiThrottled if status == 429 else ApiUnavailable
                    raise kind(f"{detail} (gave up after {attempt} attempts)", status=status, code=code)
                self.retry.sleep(self.retry.delay(attempt, parse_retry_after(response.headers.get("Retry-After"))))
                continue
            if status == 401:
                raise ApiAuthError(detail, status=status, code=code)
            if status == 403:
                hint = self.permission_hint(shown, code) if self.permission_hint else None
                raise ApiPermissionError(f"{detail}{'; ' + hint if hint else ''}", status=status, code=code)
            if status == 404:
                raise ApiNotFound(detail, status=status, code=code)
            raise ApiError(detail, status=status, code=code)

    def iter_next_link(self, path: str, params: dict[str, Any] | None = None, *,
                       items_key: str = "value", link_key: str = "@odata.nextLink") -> Iterator[dict[str, Any]]:
        """Follow the whole next-link URL until it is absent (never parse skip tokens)."""
        page = self.get_json(path, params)
        while True:
            items = page.get(items_key) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise ApiProtocolError(f"{self.name}: {path} page has no '{items_key}' list")
            yield from items
            next_link = page.get(link_key)
            if not next_link:
                return
            page = self.get_json(next_link)
