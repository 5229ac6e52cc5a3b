"""Loopback emulators of the Defender for Endpoint and SentinelOne APIs, for tests and benchmarks.

Real HTTP servers (http.server in a thread, 127.0.0.1, a free port) speaking the documented shapes:

- Microsoft identity platform token endpoint `POST /{tenant}/oauth2/v2.0/token` (client credentials) and
  Defender's `GET /api/machines`, `/api/deviceavinfo`, `/api/alerts` with OData `$top`/`$skip`, an
  `@odata.nextLink` that can be switched off (the machines API may omit it), 404 for an empty tenant,
  `{"error": {"code", "message"}}` envelopes, 401 for unknown or revoked tokens;
- SentinelOne's `GET /web/api/v2.1/agents` with `Authorization: ApiToken ...`, `limit` <= 1000, cursor
  paging (`pagination.nextCursor`), and the `{"errors": [{"code", "title", "detail"}]}` envelope.

Both can answer 429 with a Retry-After on chosen requests, and record every request (method, path,
query, never the credentials) so tests can assert paging and that only GET (plus the token POST) was
sent.  Estates are plain lists of vendor-shaped dicts; the builders below make them readable.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

# --------------------------------------------------------------------------------------------------
# Builders: vendor-shaped records
# --------------------------------------------------------------------------------------------------


def defender_machine(
    machine_id: str,
    name: str,
    ip: str | None,
    *,
    platform: str = "Windows11",
    version: str = "24H2",
    last_seen: str = "2026-11-19T08:00:00.1234567Z",
    health: str = "Active",
    onboarding: str = "Onboarded",
    agent_version: str = "10.8760.26100.2454",
    extra_ips: tuple[str, ...] = (),
    potential_duplicate: bool = False,
    merged_into: str | None = None,
    av_status: str = "Updated",
) -> dict[str, Any]:
    """A `/api/machines` record as documented (Machine resource type)."""
    addresses = [ip, *extra_ips] if ip else list(extra_ips)
    return {
        "id": machine_id,
        "mergedIntoMachineId": merged_into,
        "isPotentialDuplication": potential_duplicate,
        "isExcluded": False,
        "exclusionReason": None,
        "computerDnsName": name,
        "firstSeen": "2025-01-06T10:00:00Z",
        "lastSeen": last_seen,
        "osPlatform": platform,
        "osVersion": None,
        "osProcessor": "x64",
        "version": version,
        "lastIpAddress": ip,
        "lastExternalIpAddress": "203.0.113.10",
        "agentVersion": agent_version if onboarding == "Onboarded" else None,
        "osBuild": None,
        "healthStatus": health,
        "deviceValue": "Normal",
        "rbacGroupId": 0,
        "rbacGroupName": None,
        "riskScore": "None",
        "exposureLevel": "Medium",
        "isAadJoined": False,
        "aadDeviceId": None,
        "machineTags": [],
        "defenderAvStatus": av_status,
        "onboardingStatus": onboarding,
        "osArchitecture": "64-bit",
        "managedBy": "MicrosoftDefenderForEndpoint",
        "managedByStatus": "Success",
        "ipAddresses": [
            {"ipAddress": a, "macAddress": "005056AB0001", "type": "Ethernet", "operationalStatus": "Up"}
            for a in [*addresses, "127.0.0.1", "fe80::1"]
        ],
        "vmMetadata": None,
    }


def defender_av(
    machine_id: str,
    name: str,
    *,
    mode: str = "0",
    signatures: str = "True",
    engine: str = "True",
    platform: str = "True",
    os_platform: str = "Windows11",
) -> dict[str, Any]:
    """A `/api/deviceavinfo` row: the up-to-date flags are strings "True"/"False"/"Unknown"."""
    return {
        "id": f"av-{machine_id}",
        "machineId": machine_id,
        "computerDnsName": name,
        "osKind": "windows",
        "osPlatform": os_platform,
        "osVersion": "10.0.26100.2454",
        "avMode": mode,
        "avSignatureVersion": "1.421.402.0",
        "avEngineVersion": "1.1.24090.11",
        "avPlatformVersion": "4.18.24090.11",
        "lastSeenTime": "2026-11-19T08:00:00Z",
        "quickScanResult": "Completed",
        "quickScanError": "",
        "quickScanTime": "2026-11-18T12:00:00Z",
        "fullScanResult": "",
        "fullScanError": "",
        "fullScanTime": None,
        "dataRefreshTimestamp": "2026-11-19T09:00:00Z",
        "avEngineUpdateTime": "2026-11-18T00:00:00Z",
        "avSignatureUpdateTime": "2026-11-19T00:00:00Z",
        "avPlatformUpdateTime": "2026-10-20T00:00:00Z",
        "avIsSignatureUpToDate": signatures,
        "avIsEngineUpToDate": engine,
        "avIsPlatformUpToDate": platform,
        "avSignaturePublishTime": "2026-11-18T22:00:00Z",
        "rbacGroupName": None,
        "rbacGroupId": 0,
    }


def defender_alert(alert_id: str, machine_id: str, name: str, *, severity: str = "High", status: str = "New",
                   title: str = "Ransomware behaviour detected") -> dict[str, Any]:
    """An `/api/alerts` record (only the fields the plugin reads, plus a few for realism)."""
    return {"id": alert_id, "machineId": machine_id, "computerDnsName": name, "severity": severity,
            "status": status, "title": title, "category": "Ransomware",
            "alertCreationTime": "2026-11-18T03:12:00Z", "detectionSource": "WindowsDefenderAv"}


def s1_agent(
    agent_id: str,
    name: str,
    ip: str | None,
    *,
    machine_type: str = "desktop",
    os_name: str = "Windows 11 Pro",
    active: bool = True,
    up_to_date: bool = True,
    infected: bool = False,
    threats: int = 0,
    mode: str = "protect",
    last_active: str = "2026-11-19T08:00:00.123456Z",
    network_status: str = "connected",
    decommissioned: bool = False,
    agent_version: str = "24.2.3.471",
    site_id: str = "1000000000000000001",
    operational_state: str = "na",
) -> dict[str, Any]:
    """A `/web/api/v2.1/agents` record with the documented field names."""
    return {
        "id": agent_id,
        "uuid": f"uuid-{agent_id}",
        "computerName": name,
        "domain": "DURAND",
        "osName": os_name,
        "osRevision": "26100",
        "osType": "windows" if "windows" in os_name.lower() else "linux",
        "machineType": machine_type,
        "agentVersion": agent_version,
        "isActive": active,
        "isUpToDate": up_to_date,
        "infected": infected,
        "activeThreats": threats,
        "networkStatus": network_status,
        "lastActiveDate": last_active,
        "mitigationMode": mode,
        "mitigationModeSuspicious": "detect",
        "isDecommissioned": decommissioned,
        "isUninstalled": False,
        "isPendingUninstall": False,
        "operationalState": operational_state,
        "lastIpToMgmt": ip,
        "externalIp": "203.0.113.10",
        "networkInterfaces": [{"id": f"nic-{agent_id}", "inet": [ip] if ip else [], "inet6": ["fe80::2"],
                               "name": "Ethernet", "physical": "00-50-56-AB-00-02"}],
        "siteId": site_id,
        "siteName": "Cabinet Durand",
        "registeredAt": "2025-02-01T10:00:00.000000Z",
    }


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]


class _Base:
    """A ThreadingHTTPServer on 127.0.0.1:<free port>, dispatching to `self.handle`."""

    def __init__(self) -> None:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                emulator._dispatch(self, "GET")

            def do_POST(self) -> None:
                emulator._dispatch(self, "POST")

            def do_PUT(self) -> None:
                emulator._dispatch(self, "PUT")

            def do_DELETE(self) -> None:
                emulator._dispatch(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        assert str(host).startswith("127."), "emulators only listen on loopback"
        self.base_url = f"http://127.0.0.1:{port}"
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       name=type(self).__name__, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append(Request(method, parts.path, query))
        status, payload, headers = self.handle(method, parts.path, query, dict(handler.headers.items()), body)
        data = json.dumps(payload).encode() if payload is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def api_calls(self, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and (path is None or r.path == path)]


@dataclass
class DefenderEstate:
    """What the emulated Defender tenant holds and how it misbehaves."""

    machines: list[dict[str, Any]] = field(default_factory=list)
    av_info: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    tenant_id: str = "7f3c1a52-0d4e-4b8e-9a61-2f5d8c0b9e11"
    client_id: str = "c2a8e9d4-5b71-4f03-8e6a-1d9b7c3f0a25"
    client_secret: str = "Def3nder~Emulator~Secret~Value"
    #: Include `@odata.nextLink` when more items remain (False: the client must advance `$skip`).
    next_link: bool = True
    #: 1-based numbers of API GETs that answer 429 with `retry_after`.
    throttle_on: set[int] = field(default_factory=set)
    retry_after: str | None = "0.05"
    #: An empty machine list answers 404 (as the real API does for an empty tenant).
    empty_404: bool = True
    alerts_forbidden: bool = False
    av_forbidden: bool = False
    #: After this many API GETs, every token issued so far is revoked (401), forcing a refresh.
    revoke_tokens_after: int | None = None


class DefenderEmulator(_Base):
    """Token endpoint + Defender API on one loopback server (set `login_url` and `base_url` to it)."""

    def __init__(self, estate: DefenderEstate) -> None:
        self.estate = estate
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self.api_count = 0
        super().__init__()

    @property
    def login_url(self) -> str:
        return self.base_url

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        estate = self.estate
        if method == "POST" and path == f"/{estate.tenant_id}/oauth2/v2.0/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith("/.default"):
                return 400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"}, {}
            if form.get("client_id") != estate.client_id or form.get("client_secret") != estate.client_secret:
                return 401, {"error": "invalid_client",
                             "error_description": "AADSTS7000215: Invalid client secret provided."}, {}
            token = "eyJ0eXAi." + secrets.token_urlsafe(24)
            with self.lock:
                self.tokens.add(token)
                self.tokens_issued += 1
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}, {}
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            return 400, {"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant not found."}, {}
        if method != "GET":
            return 405, {"error": {"code": "MethodNotAllowed", "message": f"{method} is not allowed"}}, {}
        with self.lock:
            self.api_count += 1
            count = self.api_count
            if estate.revoke_tokens_after is not None and count == estate.revoke_tokens_after + 1:
                self.tokens.clear()
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, {"error": {"code": "Unauthorized", "message": "Authorization token is missing or expired"}}, {}
        if count in estate.throttle_on:
            extra = {"Retry-After": estate.retry_after} if estate.retry_after is not None else {}
            return 429, {"error": {"code": "TooManyRequests", "message": "API calls quota exceeded"}}, extra
        collections = {"/api/machines": estate.machines, "/api/deviceavinfo": estate.av_info,
                       "/api/alerts": estate.alerts}
        if path not in collections:
            return 404, {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}}, {}
        if path == "/api/deviceavinfo" and estate.av_forbidden:
            return 403, {"error": {"code": "Forbidden", "message": "Missing application roles"}}, {}
        if path == "/api/alerts" and estate.alerts_forbidden:
            return 403, {"error": {"code": "Forbidden", "message": "Missing application roles: Alert.Read.All"}}, {}
        items = collections[path]
        if path == "/api/machines" and not items and estate.empty_404:
            return 404, {"error": {"code": "ResourceNotFound", "message": "No machines were found"}}, {}
        flt = query.get("$filter", [""])[0]
        if flt:
            match = re.fullmatch(r"(\w+) eq '([^']*)'", flt)
            if match is None:
                return 400, {"error": {"code": "InvalidRequestBody", "message": f"unsupported $filter: {flt}"}}, {}
            items = [i for i in items if str(i.get(match.group(1))) == match.group(2)]
        try:
            top = int(query.get("$top", ["10000"])[0])
            skip = int(query.get("$skip", ["0"])[0])
        except ValueError:
            return 400, {"error": {"code": "InvalidRequestBody", "message": "$top and $skip must be numbers"}}, {}
        if top < 1 or top > 10000 or skip < 0:
            return 400, {"error": {"code": "InvalidRequestBody", "message": "$top must be 1-10000"}}, {}
        page = items[skip:skip + top]
        payload: dict[str, Any] = {"@odata.context": f"{self.base_url}/api/$metadata#Collection", "value": page}
        if estate.next_link and skip + top < len(items):
            params = {k: v[0] for k, v in query.items()}
            params["$skip"] = str(skip + top)
            payload["@odata.nextLink"] = f"{self.base_url}{path}?{urlencode(params)}"
        return 200, payload, {}


@dataclass
class SentinelOneEstate:
    """What the emulated SentinelOne console holds and how it misbehaves."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    api_token: str = "S1-eyJraWQiOiJ1cy1lYXN0LTEtcHJvZC0wIn0.emulator-token"
    throttle_on: set[int] = field(default_factory=set)
    retry_after: str | None = "0.05"
    #: A fixed error answer for every API call: (HTTP status, errors list).
    fail: tuple[int, list[dict[str, Any]]] | None = None


def _cursor(offset: int) -> str:
    return base64.b64encode(json.dumps({"id_column": "AgentView.id", "offset": offset}).encode()).decode()


class SentinelOneEmulator(_Base):
    def __init__(self, estate: SentinelOneEstate) -> None:
        self.estate = estate
        self.api_count = 0
        super().__init__()

    @staticmethod
    def _errors(status: int, code: int, title: str, detail: str) -> tuple[int, Any, dict[str, str]]:
        return status, {"errors": [{"code": code, "title": title, "detail": detail}]}, {}

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        estate = self.estate
        if method != "GET":
            return self._errors(405, 4050010, "Method Not Allowed", f"{method} is not allowed")
        with self.lock:
            self.api_count += 1
            count = self.api_count
        if headers.get("Authorization") != f"ApiToken {estate.api_token}":
            return self._errors(401, 4010010, "Authentication Failed", "Invalid or expired API token")
        if count in estate.throttle_on:
            extra = {"Retry-After": estate.retry_after} if estate.retry_after is not None else {}
            status, payload, _ = self._errors(429, 4290010, "Too Many Requests", "Rate limit exceeded")
            return status, payload, extra
        if estate.fail is not None:
            return estate.fail[0], {"errors": estate.fail[1]}, {}
        if path != "/web/api/v2.1/agents":
            return self._errors(404, 4040010, "Not Found", f"{path} does not exist")
        try:
            limit = int(query.get("limit", ["10"])[0])
        except ValueError:
            return self._errors(400, 4000010, "Validation Error", "limit: Not a valid integer.")
        if not 1 <= limit <= 1000:
            return self._errors(400, 4000010, "Validation Error", "limit: Must be between 1 and 1000.")
        offset = 0
        if "cursor" in query:
            try:
                offset = int(json.loads(base64.b64decode(query["cursor"][0]))["offset"])
            except (ValueError, KeyError, TypeError):
                return self._errors(400, 4000010, "Validation Error", "cursor: Invalid cursor.")
        agents = estate.agents
        if "siteIds" in query:
            wanted = set(query["siteIds"][0].split(","))
            agents = [a for a in agents if a.get("siteId") in wanted]
        page = agents[offset:offset + limit]
        more = offset + limit < len(agents)
        return 200, {"data": page, "pagination": {"totalItems": len(agents),
                                                  "nextCursor": _cursor(offset + limit) if more else None}}, {}


@pytest.fixture
def defender_emulator() -> Iterator[Callable[[DefenderEstate], DefenderEmulator]]:
    """Start Defender emulators on loopback for the test; all are stopped afterwards."""
    started: list[DefenderEmulator] = []

    def start(estate: DefenderEstate) -> DefenderEmulator:
        emulator = DefenderEmulator(estate)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def sentinelone_emulator() -> Iterator[Callable[[SentinelOneEstate], SentinelOneEmulator]]:
    """Start SentinelOne emulators on loopback for the test; all are stopped afterwards."""
    started: list[SentinelOneEmulator] = []

    def start(estate: SentinelOneEstate) -> SentinelOneEmulator:
        emulator = SentinelOneEmulator(estate)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
