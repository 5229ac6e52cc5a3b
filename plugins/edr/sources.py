"""Where EDR evidence comes from: the consoles' APIs, a CSV export, or a recorded evidence file.

Each source reads one console and returns `ConsoleRead` (its provenance plus its devices, normalised).
Sources take their settings in the constructor and never decide which of them runs: `auditor_collect`
does.  Every failure is an `EdrSourceError` subclass whose message names the console, the call and what
the vendor said; the shared HTTP client's errors are translated with `raise ... from`.  Only GET requests
are sent (plus the OAuth token request); secrets stay in the token providers, which register them for
redaction.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.errors import CredentialsMissing, SourceError
from auditor.http import (
    ApiAuthError,
    ApiClient,
    ApiError,
    ApiNotFound,
    ApiPermissionError,
    ApiProtocolError,
    RetryPolicy,
    StaticToken,
    client_credentials,
)
from auditor_plugins.edr.evidence import ConsoleInfo, EdrDevice, EdrEvidence
from auditor_plugins.edr.normalise import (
    DEFENDER_ACTIVE_HEALTH,
    DEFENDER_AV_MODES,
    Network,
    clean_ips,
    in_scope,
    parse_time,
    role_from_machine_type,
    role_from_os,
    string_flag,
)


class EdrSourceError(SourceError):
    """Root of every EDR source failure."""


class EdrAuthError(EdrSourceError):
    """The console refused the credentials (wrong secret or token, wrong tenant, expired token)."""


class EdrPermissionError(EdrSourceError):
    """Authenticated, but the application or user lacks the read permission named in the message."""


class EdrApiError(EdrSourceError):
    """The console answered an error or something that is not its documented shape."""


class EdrFileError(EdrSourceError):
    """A recorded evidence file or export is missing, unreadable or malformed."""


class EdrCancelled(EdrSourceError):
    """The run's timeout expired while the console was being read."""


@dataclass(frozen=True)
class ConsoleRead:
    """What one source read: provenance of its console(s) and their devices."""

    consoles: tuple[ConsoleInfo, ...]
    devices: tuple[EdrDevice, ...]


class EdrSource(ABC):
    """One EDR console (or export) to read."""

    @abstractmethod
    def read(self) -> ConsoleRead:
        """Read every device record; raise an `EdrSourceError` subclass on failure."""


@dataclass
class Pacer:
    """Keeps a client under a calls-per-minute budget (Defender: 100/minute) by waiting before a call."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _calls: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    waited: float = 0.0

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            while self._calls and now - self._calls[0] >= 60.0:
                self._calls.popleft()
            if len(self._calls) >= self.per_minute:
                delay = 60.0 - (now - self._calls[0])
                if delay > 0:
                    self.waited += delay
                    self.sleep(delay)
                self._calls.popleft()
            self._calls.append(self.clock())


def _translate(exc: ApiError, console: str, hint: str) -> EdrSourceError:
    if isinstance(exc, ApiAuthError):
        return EdrAuthError(f"{exc}; {hint}")
    if isinstance(exc, ApiPermissionError):
        return EdrPermissionError(str(exc))
    return EdrApiError(str(exc))


def _cancel_check(cancelled: threading.Event | None, console: str) -> None:
    if cancelled is not None and cancelled.is_set():
        raise EdrCancelled(f"{console}: reading stopped because the plugin's timeout expired")


# --------------------------------------------------------------------------------------------------
# Microsoft Defender for Endpoint
# --------------------------------------------------------------------------------------------------

DEFENDER = "Defender for Endpoint"
_DEFENDER_PERMISSIONS = {
    "/api/machines": "Machine.Read.All",
    "/api/deviceavinfo": "Machine.Read.All",
    "/api/alerts": "Alert.Read.All",
}


def _defender_permission_hint(path: str, _code: str | None) -> str | None:
    for suffix, permission in _DEFENDER_PERMISSIONS.items():
        if path.endswith(suffix):
            return (f"grant the application permission {permission} (WindowsDefenderATP API, application type) "
                    "and an administrator's consent")
    return None


class DefenderSource(EdrSource):
    """Defender for Endpoint: `/api/machines`, `/api/deviceavinfo` and open (New, InProgress) `/api/alerts`.

    Paging: follow `@odata.nextLink` when present; otherwise keep advancing `$skip` while pages come back
    full (the machines API may omit the link).  An empty tenant answers 404 on `/api/machines`: that is
    zero devices, not an error.  Calls are paced under the documented 100 calls/minute; 429s are retried
    by the shared client honouring Retry-After.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        base_url: str = "https://api.security.microsoft.com",
        login_url: str = "https://login.microsoftonline.com",
        scope: str = "https://api.securitycenter.microsoft.com/.default",
        page_size: int = 1000,
        read_alerts: bool = True,
        max_calls_per_minute: int = 90,
        verify: bool | str = True,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        networks: Sequence[Network] = (),
        cancelled: threading.Event | None = None,
        progress: Callable[[str], None] = lambda _m: None,
        pacer: Pacer | None = None,
        max_pages: int = 10000,
    ) -> None:
        self.tenant_id, self.client_id = tenant_id, client_id
        self.base_url = base_url.rstrip("/")
        self.token_url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.auth = client_credentials(self.token_url, client_id, client_secret, scope,
                                       name="Microsoft Entra token endpoint", verify=verify)
        self.client = ApiClient(self.base_url, name=DEFENDER, auth=self.auth, timeout=timeout, retry=retry,
                                verify=verify, permission_hint=_defender_permission_hint)
        self.page_size = page_size
        self.read_alerts = read_alerts
        self.pacer = pacer or Pacer(max_calls_per_minute)
        self.networks = tuple(networks)
        self.cancelled = cancelled
        self.progress = progress
        self.max_pages = max_pages
        self.paging_modes: set[str] = set()

    def _get(self, url: str, params: dict[str, Any] | None) -> Any:
        _cancel_check(self.cancelled, DEFENDER)
        self.pacer.wait()
        return self.client.get_json(url, params)

    def _collection(self, path: str, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of an OData collection, by next link or by `$skip` while pages are full."""
        base = {**(extra or {}), "$top": self.page_size}
        url, params = path, {**base, "$skip": 0}
        items: list[dict[str, Any]] = []
        previous_first: Any = object()
        for page_number in range(1, self.max_pages + 1):
            page = self._get(url, params)
            values = page.get("value") if isinstance(page, dict) else None
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise ApiProtocolError(f"{DEFENDER}: {path} page {page_number} has no 'value' list of objects")
            if values and page_number > 1 and values[0] == previous_first:
                raise ApiProtocolError(f"{DEFENDER}: {path} returned the same page twice; paging is not advancing")
            previous_first = values[0] if values else None
            items.extend(values)
            self.progress(f"{path}: {len(items)} records")
            next_link = page.get("@odata.nextLink")
            if isinstance(next_link, str) and next_link:
                # The shared client refuses a link to another server before the bearer token goes with it.
                self.paging_modes.add("odata.nextLink")
                url, params = next_link, None
            elif len(values) >= self.page_size:
                self.paging_modes.add("$skip")
                url, params = path, {**base, "$skip": len(items)}
            else:
                return items
        raise ApiProtocolError(f"{DEFENDER}: {path} did not end after {self.max_pages} pages")

    def read(self) -> ConsoleRead:
        notes: list[str] = []
        hint = "check tenant_id, client_id and the client secret (and that it has not expired)"
        try:
            try:
                machines = self._collection("/api/machines")
            except ApiNotFound:
                machines = []
                notes.append("/api/machines answered 404: the tenant has no device (empty tenant)")
            av_rows: list[dict[str, Any]] = []
            if machines:
                try:
                    av_rows = self._collection("/api/deviceavinfo")
                except ApiNotFound:
                    notes.append("/api/deviceavinfo answered 404: no antivirus health data")
                except ApiPermissionError as exc:
                    notes.append(f"antivirus health not read (AV mode and signatures unknown): {exc}")
            alerts: list[dict[str, Any]] | None = None
            if machines and self.read_alerts:
                try:
                    # One documented `eq` filter per open status (New, InProgress) rather than `ne`.
                    alerts = [alert for status in ("New", "InProgress")
                              for alert in self._collection("/api/alerts", {"$filter": f"status eq '{status}'"})]
                except ApiNotFound:
                    alerts = []
                except ApiPermissionError as exc:
                    notes.append(f"alerts not read (active threats unknown): {exc}")
        except ApiError as exc:
            raise _translate(exc, DEFENDER, hint) from exc
        devices = tuple(defender_devices(machines, av_rows, alerts, self.networks))
        console = ConsoleInfo(
            provider="defender",
            source=self.base_url,
            tenant=self.tenant_id,
            identity=f"application {self.client_id}",
            devices=len(devices),
            paging=", ".join(sorted(self.paging_modes)) or "single page",
            requests=self.client.requests_made,
            throttled=self.client.throttled,
            notes=tuple(notes),
        )
        return ConsoleRead((console,), devices)


def _defender_ips(machine: dict[str, Any]) -> tuple[str, ...]:
    listed = machine.get("ipAddresses")
    addresses = [entry.get("ipAddress") for entry in listed if isinstance(entry, dict)] if isinstance(
        listed, list) else []
    return clean_ips([machine.get("lastIpAddress"), *addresses])


def defender_devices(
    machines: Sequence[dict[str, Any]],
    av_rows: Sequence[dict[str, Any]],
    alerts: Sequence[dict[str, Any]] | None,
    networks: Sequence[Network] = (),
) -> list[EdrDevice]:
    """Join machines with their AV health row (by machine id) and their unresolved alerts."""
    av_by_id = {str(row.get("machineId") or ""): row for row in av_rows if row.get("machineId")}
    threats: dict[str, int] = {}
    for alert in alerts or ():
        status = str(alert.get("status") or "").lower()
        severity = str(alert.get("severity") or "").lower()
        if status != "resolved" and severity in ("high", "medium") and alert.get("machineId"):
            key = str(alert["machineId"])
            threats[key] = threats.get(key, 0) + 1
    devices: list[EdrDevice] = []
    for machine in machines:
        machine_id = str(machine.get("id") or "")
        name = str(machine.get("computerDnsName") or "")
        if not machine_id and not name:
            continue
        av = av_by_id.get(machine_id, {})
        platform = str(machine.get("osPlatform") or "")
        os_name = " ".join(p for p in (platform, str(machine.get("version") or "")) if p)
        health = str(machine.get("healthStatus") or "")
        onboarding = str(machine.get("onboardingStatus") or "")
        av_status = str(machine.get("defenderAvStatus") or "").lower()
        if av:
            av_mode = DEFENDER_AV_MODES.get(str(av.get("avMode") if av.get("avMode") is not None else "").strip(),
                                            "unknown")
            signatures = string_flag(av.get("avIsSignatureUpToDate"))
            engine = string_flag(av.get("avIsEngineUpToDate"))
            platform_current = string_flag(av.get("avIsPlatformUpToDate"))
        else:  # no AV health row: fall back on the machine's own summary
            av_mode = "disabled" if av_status == "disabled" else "unknown"
            signatures = {"updated": True, "notupdated": False}.get(av_status)
            engine = None
            platform_current = None
        ips = _defender_ips(machine)
        devices.append(EdrDevice(
            provider="defender",
            product="Microsoft Defender for Endpoint",
            console_id=machine_id or name,
            name=name,
            ips=ips,
            inventory_ips=in_scope(ips, networks),
            os=os_name,
            machine_type=platform,
            # Defender on Linux is, in SMB estates, a server product (no machine type in the API).
            role="server" if platform.lower().startswith("linux") else role_from_os(platform),
            agent_version=str(machine.get("agentVersion") or ""),
            agent_up_to_date=platform_current,
            last_seen=parse_time(machine.get("lastSeen")),
            health=health,
            active=DEFENDER_ACTIVE_HEALTH.get(health.lower()),
            onboarding=onboarding,
            onboarded=onboarding.lower() == "onboarded" if onboarding else bool(machine.get("agentVersion")),
            av_mode=av_mode,
            signatures_up_to_date=signatures,
            engine_up_to_date=engine,
            # Defender Antivirus in active mode blocks what it detects; no other mode is reported.
            protection_mode="protect" if av_mode == "active" else "unknown",
            active_threats=None if alerts is None else threats.get(machine_id, 0),
            infected=None if alerts is None else threats.get(machine_id, 0) > 0,
            potential_duplicate=bool(machine.get("isPotentialDuplication")),
            merged_into=str(machine["mergedIntoMachineId"]) if machine.get("mergedIntoMachineId") else None,
        ))
    return devices


# --------------------------------------------------------------------------------------------------
# SentinelOne
# --------------------------------------------------------------------------------------------------

SENTINELONE = "SentinelOne"
AGENTS_PATH = "/web/api/v2.1/agents"


class SentinelOneSource(EdrSource):
    """SentinelOne management API v2.1: `GET /web/api/v2.1/agents` with cursor paging.

    `limit` is at most 1000; the next page is asked with `cursor=pagination.nextCursor` until the cursor
    is null.  Errors come in an `errors` envelope, which the shared client turns into the message.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_token: str,
        page_size: int = 1000,
        site_ids: Sequence[str] = (),
        verify: bool | str = True,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        networks: Sequence[Network] = (),
        cancelled: threading.Event | None = None,
        progress: Callable[[str], None] = lambda _m: None,
        max_pages: int = 10000,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = ApiClient(
            self.base_url, name=SENTINELONE, auth=StaticToken("Authorization", f"ApiToken {api_token}"),
            timeout=timeout, retry=retry, verify=verify,
            permission_hint=lambda _p, _c: "the API token's user needs at least the Viewer role on the "
                                           "account or site",
        )
        self.page_size = min(max(page_size, 1), 1000)
        self.site_ids = tuple(site_ids)
        self.networks = tuple(networks)
        self.cancelled = cancelled
        self.progress = progress
        self.max_pages = max_pages

    def read(self) -> ConsoleRead:
        base: dict[str, Any] = {"limit": self.page_size}
        if self.site_ids:
            base["siteIds"] = ",".join(self.site_ids)
        params = dict(base)
        agents: list[dict[str, Any]] = []
        seen_cursors: set[str] = set()
        try:
            for page_number in range(1, self.max_pages + 1):
                _cancel_check(self.cancelled, SENTINELONE)
                page = self.client.get_json(AGENTS_PATH, params)
                if not isinstance(page, dict):
                    raise ApiProtocolError(f"{SENTINELONE}: {AGENTS_PATH} did not answer a JSON object")
                errors = page.get("errors")
                if isinstance(errors, list) and errors:
                    first = errors[0] if isinstance(errors[0], dict) else {}
                    raise EdrApiError(
                        f"{SENTINELONE}: GET {AGENTS_PATH} answered errors: "
                        f"{first.get('code', '')} {first.get('title', '')}: {first.get('detail', '')}".strip())
                data = page.get("data")
                if not isinstance(data, list) or not all(isinstance(a, dict) for a in data):
                    raise ApiProtocolError(f"{SENTINELONE}: {AGENTS_PATH} page {page_number} has no 'data' list")
                agents.extend(data)
                self.progress(f"agents: {len(agents)}")
                pagination = page.get("pagination") if isinstance(page.get("pagination"), dict) else {}
                cursor = pagination.get("nextCursor")
                if not cursor:
                    break
                if cursor in seen_cursors:
                    raise ApiProtocolError(f"{SENTINELONE}: {AGENTS_PATH} returned the same cursor twice")
                seen_cursors.add(str(cursor))
                params = {**base, "cursor": cursor}
            else:
                raise ApiProtocolError(f"{SENTINELONE}: {AGENTS_PATH} did not end after {self.max_pages} pages")
        except ApiError as exc:
            raise _translate(exc, SENTINELONE, "check sentinelone_api_token (tokens expire) and the console URL") \
                from exc
        devices = tuple(sentinelone_devices(agents, self.networks))
        console = ConsoleInfo(
            provider="sentinelone",
            source=self.base_url,
            tenant=",".join(self.site_ids),
            identity="API token (service user)",
            devices=len(devices),
            paging="cursor" if seen_cursors else "single page",
            requests=self.client.requests_made,
            throttled=self.client.throttled,
        )
        return ConsoleRead((console,), devices)


def sentinelone_devices(agents: Sequence[dict[str, Any]], networks: Sequence[Network] = ()) -> list[EdrDevice]:
    """Normalise SentinelOne agent records."""
    devices: list[EdrDevice] = []
    for agent in agents:
        agent_id = str(agent.get("id") or agent.get("uuid") or "")
        name = str(agent.get("computerName") or "")
        if not agent_id and not name:
            continue
        interfaces = agent.get("networkInterfaces") if isinstance(agent.get("networkInterfaces"), list) else []
        addresses: list[Any] = []
        for interface in interfaces:
            if isinstance(interface, dict) and isinstance(interface.get("inet"), list):
                addresses.extend(interface["inet"])
        ips = clean_ips([*addresses, agent.get("lastIpToMgmt")])
        os_name = " ".join(str(agent.get(k)) for k in ("osName", "osRevision") if agent.get(k))
        machine_type = str(agent.get("machineType") or "")
        state = str(agent.get("operationalState") or "").lower()
        gone = bool(agent.get("isDecommissioned") or agent.get("isUninstalled"))
        mode = str(agent.get("mitigationMode") or "").lower()
        threats = agent.get("activeThreats")
        devices.append(EdrDevice(
            provider="sentinelone",
            product="SentinelOne",
            console_id=agent_id or name,
            name=name,
            ips=ips,
            inventory_ips=in_scope(ips, networks),
            os=os_name,
            machine_type=machine_type,
            role=role_from_machine_type(machine_type, os_name),
            agent_version=str(agent.get("agentVersion") or ""),
            agent_up_to_date=agent["isUpToDate"] if isinstance(agent.get("isUpToDate"), bool) else None,
            last_seen=parse_time(agent.get("lastActiveDate")),
            health=str(agent.get("networkStatus") or ""),
            active=agent["isActive"] if isinstance(agent.get("isActive"), bool) else None,
            onboarding="Decommissioned" if gone else "Onboarded",
            onboarded=not gone,
            # The agent is the antivirus: it is "active" unless its engines were disabled.
            av_mode="disabled" if "disabled" in state else "active",
            protection_mode=mode if mode in ("protect", "detect") else "unknown",
            active_threats=threats if isinstance(threats, int) and threats >= 0 else None,
            infected=agent["infected"] if isinstance(agent.get("infected"), bool) else None,
        ))
    return devices


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


class RecordedEvidenceSource(EdrSource):
    """The plugin's own JSON evidence (an `EdrEvidence` document), as written by a previous collection."""

    MAX_BYTES = 50 * 1024 * 1024

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> EdrEvidence:
        try:
            if self.path.stat().st_size > self.MAX_BYTES:
                raise EdrFileError(f"{self.path}: file larger than {self.MAX_BYTES // (1024 * 1024)} MB")
            data = json.loads(self.path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise EdrFileError(f"{self.path}: recorded EDR evidence file not found") from None
        except OSError as exc:
            raise EdrFileError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise EdrFileError(f"{self.path}: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise EdrFileError(f"{self.path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") \
                from None
        if isinstance(data, dict) and "payload" in data and "plugin" in data:  # an evidence/edr.json of a bundle
            data = data["payload"]
        try:
            return EdrEvidence.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(document)"
            raise EdrFileError(f"{self.path}: field {where}: {first['msg']}") from None

    def read(self) -> ConsoleRead:
        evidence = self.load()
        return ConsoleRead(evidence.consoles, evidence.devices)


def require(value: str | None, setting: str) -> str:
    """A non-secret setting a live source cannot work without."""
    if not value:
        raise CredentialsMissing(f"no credentials: plugins.edr.{setting} is not set in the profile")
    return value


def merge(collected_at: dt.datetime, reads: Sequence[ConsoleRead]) -> EdrEvidence:
    """One evidence document from several consoles, exports and recorded files."""
    return EdrEvidence(collected_at=collected_at,
                       consoles=tuple(c for r in reads for c in r.consoles),
                       devices=tuple(d for r in reads for d in r.devices))
