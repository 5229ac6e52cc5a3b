"""Intune managed devices through Microsoft Graph, against a real HTTP emulator on loopback."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from auditor.errors import CredentialsMissing
from auditor.http import ApiPermissionError, ApiProtocolError
from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins.patch_level import auditor_collect
from auditor_plugins.patch_level.config import PatchLevelSettings
from auditor_plugins.patch_level.sources import GRAPH_PERMISSION, IntuneSource
from tests.servers.graph_emulator import (
    EmulatorServer,
    Fault,
    Request,
    Response,
    TokenIssuer,
    graph_error,
    json_response,
)

TENANT = "00000000-0000-0000-0000-00000000abcd"
DEVICES = [
    {"id": "1", "deviceName": "WKS-001", "operatingSystem": "Windows", "osVersion": "10.0.26100.9602",
     "lastSyncDateTime": "2026-11-20T08:47:00Z", "complianceState": "compliant"},
    {"id": "2", "deviceName": "LAP-008", "operatingSystem": "Windows", "osVersion": "10.0.19045.5371",
     "lastSyncDateTime": "2026-09-02T16:40:00Z", "complianceState": "noncompliant"},
    {"id": "3", "deviceName": "IPHONE-MD", "operatingSystem": "iOS", "osVersion": "18.6",
     "lastSyncDateTime": "0001-01-01T00:00:00Z", "complianceState": "unknown"},
]


class IntuneEmulator(EmulatorServer):
    """Token endpoint + `deviceManagement/managedDevices` with server-driven paging (page size 2)."""

    def __init__(self, devices: list[dict[str, Any]], page_size: int = 2) -> None:
        super().__init__()
        self.devices = devices
        self.page_size = page_size
        self.tokens = TokenIssuer()
        self.permitted = True
        self.seen_queries: list[dict[str, list[str]]] = []

    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == f"/{TENANT}/oauth2/v2.0/token":
            form = parse_qs(request.body.decode())
            if form.get("client_secret") != ["s3cret-value"] or form.get("grant_type") != ["client_credentials"]:
                return json_response(401, {"error": "invalid_client", "error_description": "AADSTS7000215"})
            return json_response(200, self.tokens.issue())
        if request.method != "GET" or request.path != "/v1.0/deviceManagement/managedDevices":
            return graph_error(404, "ResourceNotFound", request.path)
        problem = self.tokens.check(request.headers.get("authorization"))
        if problem:
            return graph_error(401, "InvalidAuthenticationToken", problem)
        if not self.permitted:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges")
        self.count("managedDevices")
        query = {k: [v] for k, v in request.query.items()}
        self.seen_queries.append(query)
        start = int(request.query.get("$skiptoken", "0"))
        page = self.devices[start:start + self.page_size]
        body: dict[str, Any] = {"@odata.context": "...", "value": page}
        if start + self.page_size < len(self.devices):
            body["@odata.nextLink"] = f"{self.url}/v1.0/deviceManagement/managedDevices?$skiptoken=" \
                                      f"{start + self.page_size}"
        return json_response(200, body)


@pytest.fixture
def intune() -> Iterator[IntuneEmulator]:
    emulator = IntuneEmulator(DEVICES)
    emulator.start()
    yield emulator
    emulator.stop()


def source(emulator: IntuneEmulator, secret: str = "s3cret-value") -> IntuneSource:
    return IntuneSource(tenant_id=TENANT, client_id="app-id", client_secret=secret, graph_url=emulator.url,
                        login_url=emulator.url, timeout=5)


def test_pages_are_followed_and_devices_mapped(intune: IntuneEmulator) -> None:
    intune.add_fault(Fault(path="managedDevices", status=429, retry_after="0.05"))
    read = source(intune).read()
    assert [d.name for d in read.devices] == ["WKS-001", "LAP-008", "IPHONE-MD"]
    first, second, phone = read.devices
    assert (first.build, first.revision, first.source, first.compliance) == (26100, 9602, "intune", "compliant")
    assert second.last_seen == dt.datetime(2026, 9, 2, 16, 40, tzinfo=dt.UTC)
    assert phone.last_seen is None and phone.build is None  # 0001-01-01 means "never synced"
    assert intune.counts["managedDevices"] == 2 and intune.faults_served[429] == 1
    assert intune.seen_queries[0]["$select"][0].startswith("id,deviceName,operatingSystem,osVersion")
    assert read.export.kind == "intune" and read.export.rows == 3
    assert set(intune.methods) == {"GET", "POST"} and intune.methods["POST"] == 1  # token only


def test_missing_permission_names_it(intune: IntuneEmulator) -> None:
    intune.permitted = False
    with pytest.raises(ApiPermissionError, match=GRAPH_PERMISSION):
        source(intune).read()


def test_wrong_secret_is_refused_without_echoing_it(intune: IntuneEmulator) -> None:
    with pytest.raises(Exception, match="refused the credentials") as caught:
        source(intune, secret="wrong-secret-123").read()
    assert "wrong-secret-123" not in str(caught.value)


def test_unexpected_shape_is_a_protocol_error(intune: IntuneEmulator) -> None:
    intune.devices = [{"deviceName": "X", "lastSyncDateTime": "yesterday"}]
    with pytest.raises(ApiProtocolError, match="unreadable lastSyncDateTime"):
        source(intune).read()


def _context(settings: PatchLevelSettings, tmp_path) -> CollectContext:  # type: ignore[no-untyped-def]
    return CollectContext(plugin="patch_level", settings=settings, profile_dir=tmp_path,
                          scope=ScopeGuard((), None), client_id="test")


def test_collect_live_with_intune_and_without_anything(intune: IntuneEmulator, tmp_path,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCH_TEST_SECRET", "s3cret-value")
    settings = PatchLevelSettings(mode="live", intune=True, tenant_id=TENANT, client_id="app-id",
                                  client_secret="env:PATCH_TEST_SECRET", graph_url=intune.url, login_url=intune.url)
    collected = auditor_collect(context=_context(settings, tmp_path))
    assert [d.name for d in collected.evidence.devices] == ["WKS-001", "LAP-008", "IPHONE-MD"]
    assert collected.source.kind == "live" and collected.source.servers[0].startswith("http://127.0.0.1:")
    assert "s3cret-value" not in json.dumps(collected.evidence.model_dump(mode="json"))
    # No export and no Intune configured: collection still succeeds, with an empty device list.
    empty = auditor_collect(context=_context(PatchLevelSettings(mode="live"), tmp_path))
    assert empty.evidence.devices == () and empty.evidence.exports == ()
    assert empty.evidence.data_date == dt.date(2026, 11, 20)
    with pytest.raises(CredentialsMissing, match="client_secret"):
        auditor_collect(context=_context(PatchLevelSettings(mode="live", intune=True, tenant_id=TENANT,
                                                            client_id="app-id"), tmp_path))
