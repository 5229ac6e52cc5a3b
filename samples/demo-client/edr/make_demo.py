"""Regenerate defender-evidence.json: the demo client's Defender for Endpoint tenant as the plugin records it.

generic-example.csv beside it is the same tenant in the documented CSV export format (docs/edr.md): `;`
delimiter, UTF-8 BOM, French booleans, day-first dates; a test checks both give the same findings.

Run from the repository root: `python3 samples/demo-client/edr/make_demo.py`.  The records are built with
the same vendor-shaped builders the loopback emulator serves and mapped by the same code the live source
uses (`defender_devices`), so the file is exactly what a live collection of this tenant would record.

The tenant, consistent with ../ESTATE.md (collected 2026-11-20T09:30:00Z):
- onboarded: DC01, DC02, SRV-APP01, SRV-BACKUP01, SRV-LINUX01, WKS-001/002/003/005/006, LAP-007, LAP-008;
- SRV-FILE01 is not in the console at all; WKS-004 is only *discovered* (onboardingStatus CanBeOnboarded);
- LAP-008 last reported on 2026-10-11 (40 days), its signatures and engine are out of date;
- SRV-APP01 runs an outdated Defender platform; SRV-BACKUP01 has Defender Antivirus in passive mode
  (set when a previous provider installed another antivirus, since removed);
- WKS-002 was reinstalled in July: its old record (last seen 2026-07-14) is still listed;
- LAP-007 reports from the user's home network (192.168.1.23), outside the audit scope;
- WKS-OLD-03 (gone since 2023) is beyond Defender's 180-day retention, so it is not listed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

from auditor_plugins.edr.evidence import ConsoleInfo, EdrEvidence
from auditor_plugins.edr.sources import defender_devices
from tests.servers.edr_emulators import defender_alert, defender_av, defender_machine

COLLECTED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SCOPE = (ipaddress.ip_network("10.20.0.0/24"),)
TENANT = "3f6b2c1e-8d4a-4c7e-9b21-5a0d7e4c2f18"
CLIENT = "9e1d4b7a-2c3f-4e85-a6b0-7d2f1c8e5a43"


def build() -> EdrEvidence:
    m = defender_machine
    machines = [
        m("4a1f0c9e2b7d", "dc01.durand.local", "10.20.0.10", platform="WindowsServer2019", version="1809",
          last_seen="2026-11-20T08:47:12.3319214Z", agent_version="10.8760.17763.6532"),
        m("7c3e9a1b5d2f", "dc02.durand.local", "10.20.0.11", platform="WindowsServer2022", version="21H2",
          last_seen="2026-11-20T08:52:40.1187361Z", agent_version="10.8760.20348.2849"),
        m("2b8d4f6a1c3e", "srv-app01.durand.local", "10.20.0.21", platform="WindowsServer2016", version="1607",
          last_seen="2026-11-20T07:58:03.6620412Z", agent_version="10.8210.14393.7428"),
        m("9f2a6c8e4b1d", "srv-backup01.durand.local", "10.20.0.22", platform="WindowsServer2022", version="21H2",
          last_seen="2026-11-20T08:31:55.2094416Z", agent_version="10.8760.20348.2849"),
        m("5d7b1e3f9a2c", "srv-linux01", "10.20.0.30", platform="Linux", version="Debian 11",
          last_seen="2026-11-20T06:12:48.9001735Z", agent_version="101.24092.0002"),
        m("1e4c7a9d3f6b", "wks-001.durand.local", "10.20.0.101", version="24H2",
          last_seen="2026-11-20T08:05:19.4471093Z"),
        m("8a2f5d1c7e4b", "wks-002.durand.local", "10.20.0.102", version="23H2",
          last_seen="2026-11-19T17:42:07.1180254Z"),
        m("3c9e6b2a8d5f", "wks-003.durand.local", "10.20.0.103", platform="Windows10", version="22H2",
          last_seen="2026-11-20T07:49:31.7702118Z", agent_version="10.8760.19045.5131"),
        m("6f1b8d4e2a9c", "wks-004.durand.local", "10.20.0.104", platform="Windows10", version="22H2",
          onboarding="CanBeOnboarded", health="Inactive", last_seen="2026-11-20T07:30:02.0000000Z",
          av_status="Unknown"),
        m("0d5a3e7c1b8f", "wks-005.durand.local", "10.20.0.105", version="24H2",
          last_seen="2026-11-20T08:11:44.5563020Z"),
        m("b4e8c2f6a0d3", "wks-006.durand.local", "10.20.0.106", version="24H2",
          last_seen="2026-11-20T08:26:58.2231847Z"),
        m("e7a1d9b3c5f2", "LAP-007.durand.local", "192.168.1.23", version="24H2",
          last_seen="2026-11-19T17:05:36.8812401Z"),
        m("c2f6a4e8b0d7", "LAP-008.durand.local", "10.20.0.118", platform="Windows10", version="22H2",
          health="Inactive", last_seen="2026-10-11T08:14:09.3307716Z", agent_version="10.8560.19045.4894",
          av_status="NotUpdated"),
        m("f9b3d7a1e5c8", "wks-002.durand.local", "10.20.0.117", version="23H2", health="Inactive",
          last_seen="2026-07-14T09:02:51.0046628Z", agent_version="10.8560.22631.3880"),
    ]
    av = [defender_av(x["id"], x["computerDnsName"], os_platform=x["osPlatform"]) for x in machines
          if x["id"] not in ("2b8d4f6a1c3e", "9f2a6c8e4b1d", "6f1b8d4e2a9c", "c2f6a4e8b0d7")]
    av += [
        defender_av("2b8d4f6a1c3e", "srv-app01.durand.local", platform="False", os_platform="WindowsServer2016"),
        defender_av("9f2a6c8e4b1d", "srv-backup01.durand.local", mode="1", os_platform="WindowsServer2022"),
        defender_av("c2f6a4e8b0d7", "LAP-008.durand.local", signatures="False", engine="False",
                    os_platform="Windows10"),
    ]
    alerts = [defender_alert("da638671234567890123_-1234567890", "3c9e6b2a8d5f", "wks-003.durand.local",
                             severity="Medium", status="Resolved", title="Suspicious PowerShell command line")]
    devices = tuple(defender_devices(machines, av, alerts, SCOPE))
    console = ConsoleInfo(
        provider="defender", source="https://api.security.microsoft.com", tenant=TENANT,
        identity=f"application {CLIENT}", devices=len(devices), paging="single page", requests=4, throttled=0,
    )
    return EdrEvidence(collected_at=COLLECTED, consoles=(console,), devices=devices)


if __name__ == "__main__":
    target = Path(__file__).with_name("defender-evidence.json")
    target.write_text(json.dumps(build().model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"wrote {target}")
