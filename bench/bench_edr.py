"""Benchmark of the EDR plugin against the loopback emulators: collection and evaluation figures.

Run from the repository root: `python3 bench/bench_edr.py [machines]` (default 5000).  Prints, for a
Defender tenant (paged by nextLink and by $skip) and a SentinelOne console of that size, the requests made
and the seconds taken, then the time to reconcile the inventory and evaluate every EDR check.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.http import RetryPolicy
from auditor.inventory import reconcile
from auditor.models import AssetObservation, utcnow
from auditor_plugins.edr import auditor_assets
from auditor_plugins.edr.checks import evaluate
from auditor_plugins.edr.config import EdrParameters
from auditor_plugins.edr.sources import DefenderSource, Pacer, SentinelOneSource, merge
from tests.servers.edr_emulators import (
    DefenderEmulator,
    DefenderEstate,
    SentinelOneEmulator,
    SentinelOneEstate,
    defender_av,
    defender_machine,
    s1_agent,
)

SCOPE = (ipaddress.ip_network("10.0.0.0/8"),)


def _ip(i: int) -> str:
    return str(ipaddress.ip_address("10.1.0.0") + i)


def main(count: int) -> None:
    machines = [defender_machine(f"m{i}", f"wks-{i:05}.corp.example", _ip(i)) for i in range(count)]
    av = [defender_av(f"m{i}", f"wks-{i:05}.corp.example", mode="1" if i % 50 == 0 else "0") for i in range(count)]
    for next_link in (True, False):
        emulator = DefenderEmulator(DefenderEstate(machines=machines, av_info=av, next_link=next_link))
        try:
            source = DefenderSource(tenant_id=emulator.estate.tenant_id, client_id=emulator.estate.client_id,
                                    client_secret=emulator.estate.client_secret, base_url=emulator.base_url,
                                    login_url=emulator.login_url, page_size=1000, networks=SCOPE,
                                    retry=RetryPolicy(attempts=3, backoff_seconds=0.01), pacer=Pacer(100))
            started = time.perf_counter()
            read = source.read()
            seconds = time.perf_counter() - started
        finally:
            emulator.stop()
        print(f"defender  nextLink={'on ' if next_link else 'off'} devices={len(read.devices):6d} "
              f"requests={read.consoles[0].requests:4d} paging={read.consoles[0].paging:15s} {seconds:6.2f} s")
    agents = [s1_agent(f"a{i}", f"SRV-{i:05}", _ip(count + i), machine_type="server") for i in range(count)]
    s1 = SentinelOneEmulator(SentinelOneEstate(agents=agents))
    try:
        started = time.perf_counter()
        s1_read = SentinelOneSource(base_url=s1.base_url, api_token=s1.estate.api_token, networks=SCOPE).read()
        seconds = time.perf_counter() - started
    finally:
        s1.stop()
    print(f"sentinelone           devices={len(s1_read.devices):6d} requests={s1_read.consoles[0].requests:4d} "
          f"paging={s1_read.consoles[0].paging:15s} {seconds:6.2f} s")

    evidence = merge(utcnow(), [read, s1_read])
    ad = [AssetObservation(source="account_hygiene", name=f"WKS-{i:05}", role="workstation")
          for i in range(int(count * 1.05))]
    scan = [AssetObservation(source="open_ports", name="", ips=(_ip(i),)) for i in range(0, 2 * count, 3)]
    started = time.perf_counter()
    inventory = reconcile([*ad, *scan, *auditor_assets(evidence=evidence)])
    reconciled = time.perf_counter() - started
    started = time.perf_counter()
    results = evaluate(evidence, now=evidence.collected_at, parameters=EdrParameters(), inventory=inventory)
    evaluated = time.perf_counter() - started
    figures = {r.check_id: (r.status.value, r.measured) for r in results}
    print(f"reconcile {len(inventory)} assets from {len(ad) + len(scan) + len(evidence.devices)} observations: "
          f"{reconciled:.2f} s; evaluate 10 checks: {evaluated:.2f} s")
    print(f"workstation coverage: {figures['edr.workstations_without_agent']}, "
          f"AV not active: {figures['edr.av_not_active']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
