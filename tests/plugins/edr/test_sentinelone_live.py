"""The SentinelOne source against the loopback emulator: cursor paging, limit, throttling, the `errors`
envelope turned into clear messages, field mapping, no token in the evidence."""

from __future__ import annotations

import pytest

from auditor_plugins.edr.sources import EdrApiError, EdrAuthError, EdrPermissionError, merge
from tests.plugins.edr.helpers import NOW, sentinelone_source
from tests.servers.edr_emulators import SentinelOneEstate, s1_agent


def _agents(count: int) -> list[dict]:
    return [s1_agent(f"a{i:02}", f"WKS-{i:03}", f"10.0.0.{100 + i}") for i in range(count)]


def test_cursor_paging_reads_every_agent(sentinelone_emulator) -> None:
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(7)))
    read = sentinelone_source(emulator, page_size=3).read()
    assert sorted(d.console_id for d in read.devices) == [f"a{i:02}" for i in range(7)]
    calls = emulator.api_calls("/web/api/v2.1/agents")
    assert len(calls) == 3
    assert "cursor" not in calls[0].query and all("cursor" in c.query for c in calls[1:])
    assert {c.query["limit"][0] for c in calls} == {"3"}
    assert read.consoles[0].paging == "cursor"


def test_limit_is_capped_at_1000(sentinelone_emulator) -> None:
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(2)))
    read = sentinelone_source(emulator, page_size=5000).read()
    assert len(read.devices) == 2
    assert emulator.api_calls()[0].query["limit"] == ["1000"]


def test_throttling_is_retried(sentinelone_emulator) -> None:
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(4), throttle_on={2}))
    read = sentinelone_source(emulator, page_size=2).read()
    assert len(read.devices) == 4
    assert read.consoles[0].throttled == 1
    assert len(emulator.api_calls()) == 3


def test_invalid_token_is_a_clear_auth_error(sentinelone_emulator) -> None:
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(1)))
    with pytest.raises(EdrAuthError) as caught:
        sentinelone_source(emulator, api_token="not-the-token").read()
    message = str(caught.value)
    assert "HTTP 401 4010010: Invalid or expired API token" in message
    assert "sentinelone_api_token" in message
    assert "not-the-token" not in message


def test_errors_envelope_becomes_the_message(sentinelone_emulator) -> None:
    errors = [{"code": 4030010, "title": "Insufficient permissions", "detail": "Action is not allowed to site users"}]
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(1), fail=(403, errors)))
    with pytest.raises(EdrPermissionError) as caught:
        sentinelone_source(emulator).read()
    assert "4030010: Action is not allowed to site users" in str(caught.value)
    assert "Viewer role" in str(caught.value)


def test_server_error_envelope_is_reported_after_retries(sentinelone_emulator) -> None:
    errors = [{"code": 5000010, "title": "Server Error", "detail": "Something went wrong"}]
    emulator = sentinelone_emulator(SentinelOneEstate(agents=_agents(1), fail=(500, errors)))
    with pytest.raises(EdrApiError, match=r"HTTP 500 5000010: Something went wrong \(gave up after 4 attempts\)"):
        sentinelone_source(emulator).read()


def test_field_mapping(sentinelone_emulator) -> None:
    agents = [
        s1_agent("srv", "SRV-APP01", "10.0.0.21", machine_type="server", os_name="Windows Server 2016 Standard",
                 mode="detect", up_to_date=False, agent_version="22.1.4.10010"),
        s1_agent("lap", "LAP-008", "192.168.1.40", machine_type="laptop", active=False, network_status="disconnected",
                 last_active="2026-10-11T07:00:00.000000Z", infected=True, threats=2),
        s1_agent("old", "WKS-OLD", "10.0.0.99", decommissioned=True),
        s1_agent("off", "WKS-009", "10.0.0.109", operational_state="auto_fully_disabled"),
    ]
    read = sentinelone_source(sentinelone_emulator(SentinelOneEstate(agents=agents))).read()
    by_id = {d.console_id: d for d in read.devices}
    assert (by_id["srv"].role, by_id["srv"].protection_mode, by_id["srv"].agent_up_to_date) == ("server", "detect",
                                                                                                 False)
    assert by_id["srv"].ips == ("10.0.0.21",)  # fe80:: dropped, externalIp never used
    lap = by_id["lap"]
    assert (lap.role, lap.active, lap.health, lap.active_threats, lap.infected) == ("workstation", False,
                                                                                    "disconnected", 2, True)
    assert lap.inventory_ips == ()  # home network, outside the audit scope
    assert by_id["old"].onboarded is False and by_id["old"].onboarding == "Decommissioned"
    assert by_id["off"].av_mode == "disabled"
    assert by_id["srv"].signatures_up_to_date is None  # SentinelOne has no signature flag


def test_site_filter_and_no_token_in_evidence(sentinelone_emulator) -> None:
    agents = [s1_agent("a", "WKS-A", "10.0.0.1", site_id="1"), s1_agent("b", "WKS-B", "10.0.0.2", site_id="2")]
    estate = SentinelOneEstate(agents=agents)
    emulator = sentinelone_emulator(estate)
    read = sentinelone_source(emulator, site_ids=["2"]).read()
    assert [d.console_id for d in read.devices] == ["b"]
    assert emulator.api_calls()[0].query["siteIds"] == ["2"]
    assert estate.api_token not in merge(NOW, [read]).model_dump_json()
    assert {r.method for r in emulator.requests} == {"GET"}
