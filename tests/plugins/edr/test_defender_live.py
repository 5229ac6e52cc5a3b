"""The Defender for Endpoint source against the loopback emulator: paging both ways, throttling, 404
empty tenant, token refresh, permission and credential errors, and no secret in the evidence."""

from __future__ import annotations

import json

import pytest

from auditor.secrets import REDACTOR
from auditor_plugins.edr.sources import EdrApiError, EdrAuthError, Pacer, merge
from tests.plugins.edr.helpers import NOW, defender_source
from tests.servers.edr_emulators import DefenderEstate, defender_alert, defender_av, defender_machine


def _estate(count: int, **kwargs: object) -> DefenderEstate:
    machines = [defender_machine(f"m{i:02}", f"wks-{i:03}.corp.example", f"10.0.0.{100 + i}") for i in range(count)]
    av = [defender_av(f"m{i:02}", f"wks-{i:03}.corp.example") for i in range(count)]
    return DefenderEstate(machines=machines, av_info=av, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("next_link", [True, False])
def test_paging_with_and_without_next_link_reads_every_machine(defender_emulator, next_link: bool) -> None:
    emulator = defender_emulator(_estate(7, next_link=next_link))
    read = defender_source(emulator, page_size=3).read()
    assert sorted(d.console_id for d in read.devices) == [f"m{i:02}" for i in range(7)]
    machine_calls = emulator.api_calls("/api/machines")
    # 7 machines in pages of 3: 3 + 3 + 1, the short page ends the loop either way.
    assert [c.query.get("$skip", ["0"])[0] for c in machine_calls] == ["0", "3", "6"]
    assert read.consoles[0].paging == ("odata.nextLink" if next_link else "$skip")
    # Every machine got its AV health joined (paged as well).
    assert all(d.av_mode == "active" and d.signatures_up_to_date is True for d in read.devices)


def test_without_next_link_an_exact_multiple_costs_one_empty_page(defender_emulator) -> None:
    emulator = defender_emulator(_estate(6, next_link=False))
    read = defender_source(emulator, page_size=3).read()
    assert len(read.devices) == 6
    assert [c.query["$skip"][0] for c in emulator.api_calls("/api/machines")] == ["0", "3", "6"]


def test_throttling_is_retried_honouring_retry_after(defender_emulator) -> None:
    emulator = defender_emulator(_estate(4, throttle_on={1, 3}, retry_after="0.05"))
    read = defender_source(emulator, page_size=2).read()
    assert len(read.devices) == 4
    assert read.consoles[0].throttled == 2
    # Calls 1 and 3 were answered 429 and retried; the full last page (4 = 2 x 2) costs one empty page
    # because the API may omit nextLink.
    assert [c.query["$skip"][0] for c in emulator.api_calls("/api/machines")] == ["0", "0", "2", "2", "4"]


def test_empty_tenant_404_is_zero_devices_with_a_note(defender_emulator) -> None:
    emulator = defender_emulator(DefenderEstate())
    read = defender_source(emulator).read()
    assert read.devices == ()
    assert read.consoles[0].devices == 0
    assert any("404" in note and "empty tenant" in note for note in read.consoles[0].notes)
    assert emulator.api_calls("/api/deviceavinfo") == []


def test_revoked_token_is_refreshed_once(defender_emulator) -> None:
    emulator = defender_emulator(_estate(5, revoke_tokens_after=1))
    read = defender_source(emulator, page_size=2).read()
    assert len(read.devices) == 5
    assert emulator.tokens_issued == 2


def test_wrong_secret_is_a_clear_auth_error_without_the_secret(defender_emulator) -> None:
    emulator = defender_emulator(_estate(1))
    with pytest.raises(EdrAuthError) as caught:
        defender_source(emulator, client_secret="wrong-secret-value").read()
    message = str(caught.value)
    assert "AADSTS7000215" in message and "client secret" in message
    assert "wrong-secret-value" not in message


def test_alerts_permission_missing_leaves_threats_unknown_with_a_note(defender_emulator) -> None:
    emulator = defender_emulator(_estate(2, alerts_forbidden=True))
    read = defender_source(emulator).read()
    assert all(d.active_threats is None and d.infected is None for d in read.devices)
    assert any("Alert.Read.All" in note for note in read.consoles[0].notes)


def test_av_health_permission_missing_leaves_av_unknown_with_a_note(defender_emulator) -> None:
    emulator = defender_emulator(_estate(2, av_forbidden=True))
    read = defender_source(emulator).read()
    assert [d.av_mode for d in read.devices] == ["unknown", "unknown"]
    assert [d.signatures_up_to_date for d in read.devices] == [True, True]  # from defenderAvStatus "Updated"
    (note,) = read.consoles[0].notes
    assert note.startswith("antivirus health not read") and "Machine.Read.All" in note


def test_unresolved_high_and_medium_alerts_count_as_threats(defender_emulator) -> None:
    estate = _estate(3)
    estate.alerts = [
        defender_alert("a1", "m00", "wks-000.corp.example"),
        defender_alert("a2", "m00", "wks-000.corp.example", severity="Medium", status="InProgress"),
        defender_alert("a3", "m01", "wks-001.corp.example", status="Resolved"),
        defender_alert("a4", "m02", "wks-002.corp.example", severity="Informational"),
    ]
    emulator = defender_emulator(estate)
    read = defender_source(emulator).read()
    threats = {d.console_id: d.active_threats for d in read.devices}
    assert threats == {"m00": 2, "m01": 0, "m02": 0}
    assert [c.query["$filter"] for c in emulator.api_calls("/api/alerts")] == [["status eq 'New'"],
                                                                               ["status eq 'InProgress'"]]


def test_vendor_field_mapping(defender_emulator) -> None:
    machines = [
        defender_machine("s1", "SRV-APP01.corp.example", "10.0.0.21", platform="WindowsServer2016", version="1607",
                         health="Inactive", last_seen="2026-10-11T07:00:00.1234567Z"),
        defender_machine("w4", "wks-004.corp.example", "10.0.0.104", onboarding="CanBeOnboarded", health="Inactive"),
        defender_machine("l7", "lap-007.corp.example", "192.168.1.23", potential_duplicate=True),
    ]
    av = [defender_av("s1", "srv-app01", mode="1", signatures="False", engine="Unknown", platform="False"),
          defender_av("l7", "lap-007", mode="4")]
    read = defender_source(defender_emulator(DefenderEstate(machines=machines, av_info=av))).read()
    by_id = {d.console_id: d for d in read.devices}
    server = by_id["s1"]
    assert (server.role, server.os, server.active, server.av_mode) == ("server", "WindowsServer2016 1607", False,
                                                                        "passive")
    assert (server.signatures_up_to_date, server.engine_up_to_date, server.agent_up_to_date) == (False, None, False)
    assert server.last_seen is not None and server.last_seen.isoformat() == "2026-10-11T07:00:00.123456+00:00"
    # Loopback and link-local addresses from ipAddresses are dropped.
    assert server.ips == ("10.0.0.21",)
    assert by_id["w4"].onboarded is False and by_id["w4"].onboarding == "CanBeOnboarded"
    # The home address is kept as data but not used for inventory matching (outside the scope).
    assert by_id["l7"].ips == ("192.168.1.23",) and by_id["l7"].inventory_ips == ()
    assert by_id["l7"].potential_duplicate is True and by_id["l7"].av_mode == "edr_blocked"
    # No AV row: the machine's own summary is used.
    assert by_id["w4"].av_mode == "unknown" and by_id["w4"].signatures_up_to_date is True


def test_only_get_requests_and_no_secret_in_evidence(defender_emulator) -> None:
    estate = _estate(3)
    emulator = defender_emulator(estate)
    read = defender_source(emulator).read()
    evidence = merge(NOW, [read])
    text = evidence.model_dump_json()
    assert estate.client_secret not in text
    assert all(token not in text for token in emulator.tokens)
    assert {r.method for r in emulator.requests} == {"GET", "POST"}
    assert [r.path for r in emulator.requests if r.method == "POST"] == [f"/{estate.tenant_id}/oauth2/v2.0/token"]
    # The redactor knows both the secret and the issued token.
    assert REDACTOR.redact(f"x {estate.client_secret} y") == "x *** y"
    assert json.loads(text)["consoles"][0]["tenant"] == estate.tenant_id


def test_a_server_that_ignores_skip_is_refused(defender_emulator) -> None:
    emulator = defender_emulator(_estate(4, next_link=False))
    # page_size larger than what we ask the server for: force "full pages" that never advance by lying.
    source = defender_source(emulator, page_size=2)
    original = emulator.handle

    def same_page(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        query = {**query, "$skip": ["0"]}
        return original(method, path, query, headers, body)

    emulator.handle = same_page  # type: ignore[method-assign]
    with pytest.raises(EdrApiError, match="same page twice"):
        source.read()


def test_pacer_waits_to_stay_under_the_calls_per_minute_budget() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = Pacer(3, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
        now[0] += 1.0
    pacer.wait()  # 4th call at t=3 must wait until t=60
    assert waits == [57.0]
    assert pacer.waited == 57.0
