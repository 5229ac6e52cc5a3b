"""How `auditor_collect` chooses sources from the settings, and the protocol guards of the live sources
(cancellation, malformed pages, a cursor that never advances)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from auditor.errors import CredentialsMissing
from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins import edr
from auditor_plugins.edr.config import EdrSettings
from auditor_plugins.edr.sources import EdrApiError, EdrCancelled
from tests.plugins.edr.helpers import defender_source, sentinelone_source
from tests.servers.edr_emulators import DefenderEstate, SentinelOneEstate, defender_machine, s1_agent

DEMO = Path(__file__).resolve().parents[3] / "samples" / "demo-client" / "edr" / "defender-evidence.json"
CSV = "name;ips;machine type;last seen;av mode\nSRV-ERP;10.20.0.60;server;2026-11-19;active\nPC-ACCUEIL;;laptop;;off\n"


def _context(tmp_path: Path, **settings: object) -> CollectContext:
    return CollectContext(plugin="edr", settings=EdrSettings(**settings), profile_dir=tmp_path,  # type: ignore[arg-type]
                          scope=ScopeGuard(["10.20.0.0/24"], "AUT-1"), client_id="t", cancelled=threading.Event())


def test_recorded_plus_csv_export_are_merged(tmp_path: Path) -> None:
    (tmp_path / "eset.csv").write_text(CSV, encoding="utf-8")
    collected = edr.auditor_collect(context=_context(
        tmp_path, mode="recorded", providers=["defender", "csv"], recorded_files=[str(DEMO)], csv_files=["eset.csv"],
        csv_product="ESET PROTECT"))
    evidence = collected.evidence
    assert [c.provider for c in evidence.consoles] == ["defender", "csv"]
    assert len(evidence.devices) == 16
    erp = next(d for d in evidence.devices if d.name == "SRV-ERP")
    assert (erp.product, erp.role, erp.inventory_ips, erp.av_mode) == ("ESET PROTECT", "server", ("10.20.0.60",),
                                                                       "active")
    # A CSV read now: the evidence is stamped with the collection time, not the recorded file's.
    assert evidence.collected_at.year >= 2026
    assert collected.source.files == (str(DEMO), str(tmp_path / "eset.csv"))


def test_recorded_file_alone_keeps_its_collection_time(tmp_path: Path) -> None:
    collected = edr.auditor_collect(context=_context(tmp_path, mode="recorded", recorded_files=[str(DEMO)]))
    assert collected.evidence.collected_at.isoformat() == "2026-11-20T09:30:00+00:00"
    assert collected.source.kind == "recorded"


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"mode": "recorded"}, "recorded_files"),
        ({"providers": ["csv"]}, "csv_files"),
        ({"providers": ["defender"], "client_id": "c", "client_secret": "env:X"}, "plugins.edr.tenant_id"),
        ({"providers": ["sentinelone"], "sentinelone_api_token": "env:X"}, "plugins.edr.sentinelone_base_url"),
        ({"providers": ["sentinelone"], "sentinelone_base_url": "https://x.sentinelone.net"},
         "plugins.edr.sentinelone_api_token"),
    ],
)
def test_missing_settings_skip_the_plugin(tmp_path: Path, settings: dict, setting: str) -> None:
    with pytest.raises(CredentialsMissing, match=setting):
        edr.auditor_collect(context=_context(tmp_path, **settings))


def test_cancellation_stops_between_pages(defender_emulator, sentinelone_emulator) -> None:
    cancelled = threading.Event()
    cancelled.set()
    emulator = defender_emulator(DefenderEstate(machines=[defender_machine("m", "a", "10.0.0.1")]))
    with pytest.raises(EdrCancelled, match="timeout expired"):
        defender_source(emulator, cancelled=cancelled).read()
    s1 = sentinelone_emulator(SentinelOneEstate(agents=[s1_agent("a", "A", "10.0.0.1")]))
    with pytest.raises(EdrCancelled):
        sentinelone_source(s1, cancelled=cancelled).read()


def test_a_page_without_a_value_list_is_a_protocol_error(defender_emulator) -> None:
    emulator = defender_emulator(DefenderEstate(machines=[defender_machine("m", "a", "10.0.0.1")]))
    original = emulator.handle

    def broken(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        status, payload, extra = original(method, path, query, headers, body)
        if path == "/api/machines":
            payload = {"items": payload["value"]}
        return status, payload, extra

    emulator.handle = broken  # type: ignore[method-assign]
    with pytest.raises(EdrApiError, match=r"/api/machines page 1 has no 'value' list"):
        defender_source(emulator).read()


def test_a_cursor_that_never_advances_is_refused(sentinelone_emulator) -> None:
    emulator = sentinelone_emulator(SentinelOneEstate(agents=[s1_agent(f"a{i}", f"A{i}", None) for i in range(3)]))
    original = emulator.handle

    def stuck(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        status, payload, extra = original(method, path, {k: v for k, v in query.items() if k != "cursor"}, headers,
                                          body)
        return status, payload, extra

    emulator.handle = stuck  # type: ignore[method-assign]
    with pytest.raises(EdrApiError, match="same cursor twice"):
        sentinelone_source(emulator, page_size=1).read()


def test_a_next_link_to_another_host_is_not_followed(defender_emulator) -> None:
    emulator = defender_emulator(DefenderEstate(machines=[defender_machine(f"m{i}", f"a{i}", None) for i in range(3)]))
    original = emulator.handle

    def redirecting(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        status, payload, extra = original(method, path, query, headers, body)
        if isinstance(payload, dict) and "@odata.nextLink" in payload:
            payload["@odata.nextLink"] = "http://127.0.0.2:9/api/machines?$skip=1"
        return status, payload, extra

    emulator.handle = redirecting  # type: ignore[method-assign]
    with pytest.raises(EdrApiError, match=r"refused to follow a link to another server \(http://127\.0\.0\.2:9\)"):
        defender_source(emulator, page_size=1).read()
    assert all(r.path != "/api/machines" or r.query.get("$skip", ["0"]) == ["0"] for r in emulator.requests)
