"""Property-based tests of the parsers of untrusted vendor JSON (Defender machines/AV rows/alerts,
SentinelOne agents, recorded evidence): whatever types a console or a file sends, the mapping either
yields bounded devices or raises the plugin's domain error, never anything else."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor_plugins.edr.sources import EdrFileError, RecordedEvidenceSource, defender_devices, sentinelone_devices

_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
                     st.floats(allow_nan=False), st.text(max_size=300))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)
_ip_text = st.one_of(st.ip_addresses().map(str), st.text(max_size=20))


def _record(keys: list[str]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={k: st.one_of(_json, _ip_text) for k in keys})


_MACHINE_KEYS = ["id", "computerDnsName", "osPlatform", "version", "healthStatus", "onboardingStatus", "agentVersion",
                 "lastSeen", "lastIpAddress", "ipAddresses", "defenderAvStatus", "isPotentialDuplication",
                 "mergedIntoMachineId"]
_AV_KEYS = ["machineId", "avMode", "avIsSignatureUpToDate", "avIsEngineUpToDate", "avIsPlatformUpToDate"]
_ALERT_KEYS = ["machineId", "status", "severity"]
_AGENT_KEYS = ["id", "uuid", "computerName", "networkInterfaces", "lastIpToMgmt", "osName", "osRevision",
               "machineType", "operationalState", "isDecommissioned", "isUninstalled", "mitigationMode",
               "activeThreats", "agentVersion", "isUpToDate", "lastActiveDate", "networkStatus", "isActive",
               "infected"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(machines=st.lists(_record(_MACHINE_KEYS), max_size=4), av=st.lists(_record(_AV_KEYS), max_size=3),
       alerts=st.one_of(st.none(), st.lists(_record(_ALERT_KEYS), max_size=3)))
def test_defender_mapping_never_crashes(machines, av, alerts) -> None:
    devices = defender_devices(machines, av, alerts)
    assert len(devices) <= len(machines)
    for device in devices:
        assert len(device.name) <= 255 and len(device.os) <= 512
        assert all("\x00" not in ip for ip in device.ips)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(agents=st.lists(_record(_AGENT_KEYS), max_size=4))
def test_sentinelone_mapping_never_crashes(agents) -> None:
    devices = sentinelone_devices(agents)
    assert len(devices) <= len(agents)
    for device in devices:
        assert device.active_threats is None or device.active_threats >= 0


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_json)
def test_recorded_file_loads_or_raises_a_file_error(tmp_path: Path, document) -> None:
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        RecordedEvidenceSource(path).load()
    except EdrFileError as exc:
        assert str(exc).startswith(str(path))
