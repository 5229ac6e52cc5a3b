"""Recorded evidence, the assets hook, Intune device mapping and common export headers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.http import ApiProtocolError
from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins.patch_level import auditor_assets, auditor_collect
from auditor_plugins.patch_level.config import PatchLevelSettings
from auditor_plugins.patch_level.errors import RecordedEvidenceError
from auditor_plugins.patch_level.evidence import DeviceRecord, PatchEvidence
from auditor_plugins.patch_level.inventory_csv import parse_inventory_csv
from auditor_plugins.patch_level.sources import RecordedEvidenceSource, managed_device

ROOT = Path(__file__).resolve().parents[3]
DEMO_CSV = ROOT / "samples" / "demo-client" / "patch_level" / "rmm-inventory.csv"


def _context(settings: PatchLevelSettings, directory: Path) -> CollectContext:
    return CollectContext(plugin="patch_level", settings=settings, profile_dir=directory,
                          scope=ScopeGuard((), None), client_id="t")


def test_demo_export_round_trips_through_recorded_evidence(tmp_path: Path) -> None:
    collected = auditor_collect(context=_context(PatchLevelSettings(mode="recorded",
                                                                    inventory_files=[str(DEMO_CSV)]), tmp_path))
    evidence = collected.evidence
    assert len(evidence.devices) == 15 and evidence.exports[0].encoding == "cp1252"
    assert collected.source.kind == "recorded" and collected.source.files == (str(DEMO_CSV),)
    recorded = tmp_path / "patch_level.json"
    recorded.write_text(evidence.model_dump_json(), encoding="utf-8")
    again = auditor_collect(context=_context(PatchLevelSettings(mode="recorded", recorded_files=["patch_level.json"]),
                                             tmp_path))
    assert again.evidence.devices == evidence.devices and again.evidence.collected_at == evidence.collected_at
    assets = {a.name: a for a in auditor_assets(evidence=evidence)}
    assert assets["SRV-FILE01"].ips == ("10.20.0.20",) and assets["SRV-FILE01"].role == "server"
    assert assets["LAP-008"].role == "workstation" and "19045" in assets["LAP-008"].os


def test_recorded_file_errors(tmp_path: Path) -> None:
    with pytest.raises(RecordedEvidenceError, match=r"missing\.json: file not found"):
        RecordedEvidenceSource(tmp_path / "missing.json").load()
    bad = tmp_path / "bad.json"
    bad.write_text('{"collected_at": "2026-11-20T09:30:00Z", "devices": [{"name": "A", "build": -1}]}')
    with pytest.raises(RecordedEvidenceError, match=r"bad.json: devices\.0\.build"):
        RecordedEvidenceSource(bad).load()
    bad.write_text("{not json")
    with pytest.raises(RecordedEvidenceError, match="line 1: not valid JSON"):
        RecordedEvidenceSource(bad).load()


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                       max_size=4), max_leaves=12)


@given(json_values)
def test_recorded_json_of_any_shape_is_accepted_or_refused_cleanly(value: object) -> None:
    try:
        PatchEvidence.model_validate(value)
    except Exception as exc:  # the source turns ValidationError into RecordedEvidenceError
        assert type(exc).__name__ == "ValidationError"


@given(st.dictionaries(st.sampled_from(["deviceName", "operatingSystem", "osVersion", "lastSyncDateTime",
                                        "complianceState", "id"]), json_values, max_size=6))
def test_graph_items_of_any_shape_map_or_fail_as_protocol_errors(item: dict[str, object]) -> None:
    try:
        device = managed_device(item)
    except ApiProtocolError as exc:
        assert "Microsoft Graph" in str(exc)
    else:
        assert device is None or isinstance(device, DeviceRecord)


def test_intune_portal_export_headers_are_recognised() -> None:
    text = ("Device name,OS,OS version,Last check-in,Compliance,Primary user UPN\r\n"
            "PC-1,Windows,10.0.26200.7171,2026-11-19 08:12:00,Compliant,a@b.example\r\n")
    read = parse_inventory_csv(text.encode("utf-8-sig"), "DevicesWithInventory.csv")
    (device,) = read.devices
    assert (device.name, device.build, device.revision, device.compliance) == ("PC-1", 26200, 7171, "Compliant")
    assert device.last_seen == dt.datetime(2026, 11, 19, 8, 12, tzinfo=dt.UTC)
    assert read.export.ignored_columns == ("Primary user UPN",)
    assert json.loads(read.export.model_dump_json())["columns"]["last_seen"] == "Last check-in"


def test_adapters_tolerate_missing_or_foreign_evidence() -> None:
    from types import SimpleNamespace

    from auditor_plugins.patch_level.inputs import from_account_hygiene, from_devices, from_open_ports

    assert from_account_hygiene(None) == [] and from_open_ports(None) == [] and from_devices(None) == []
    assert from_open_ports(SimpleNamespace()) == []  # no services(): an unknown evidence shape
    older = SimpleNamespace(computers=[SimpleNamespace(name="PC1", operating_system="Windows 10 Pro",
                                                       operating_system_version="10.0 (19045)")])
    (observation,) = from_account_hygiene(older)  # attributes a future model might drop default sensibly
    assert (observation.host, observation.build, observation.last_seen, observation.role) == ("PC1", 19045, None,
                                                                                            "unknown")
