"""Benchmark: collect MFA evidence for a 50,000-user Entra ID tenant through the Graph emulator (999 per page).

The emulator runs in its own process (so its CPU time and memory are not the client's) and measures its own
serving time: from a request's arrival to the last byte of its answer.  The client is the plugin's real
`GraphSource` (shared `auditor.http` client, paging, pydantic evidence).  Printed figures:

* collection wall time, requests made (client and emulator counts);
* emulator serving time, and the client's overhead over it: (wall - serving) / serving;
* the same for a bare loop (requests + json only) to show how much of the overhead is HTTP/JSON decoding;
* peak memory of the client process (peak RSS) and peak Python allocations during collection (tracemalloc).

Targets from the issue: overhead <= 20 %, peak memory <= 200 MB.

Usage: python3 bench/bench_mfa.py [--users 50000] [--page 999] [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _emulator_process(conn, users: int, page: int, premium: bool) -> None:
    from tests.servers.graph_emulator import GraphEmulator, GraphTenant, ca_policy, compose_users

    registered = int(users * 0.8)
    tenant = GraphTenant(
        users=compose_users(members_registered=registered - 100, members_unregistered=users - registered - 600,
                            members_phone_only=100, admins_registered=40, admins_unregistered=10,
                            guests_registered=100, guests_unregistered=200, disabled_unregistered=250,
                            domain="bench.test"),
        page_size_max=page, premium=premium, ca_policies=[ca_policy("Require MFA for everyone")] if premium else [])
    emulator = GraphEmulator(tenant).start()
    conn.send((emulator.url, tenant.tenant_id, tenant.client_id, tenant.client_secret))
    while True:
        command = conn.recv()
        if command == "stats":
            conn.send((emulator.serving_seconds, emulator.requests_served, dict(emulator.counts)))
        elif command == "reset":
            emulator.reset_counters()
            conn.send("ok")
        else:
            emulator.stop()
            conn.send("stopped")
            return


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--non-premium", action="store_true",
                        help="tenant without Entra ID P1/P2: measures the per-user fallback (one request per user; "
                             "use with --users 2000 or so)")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_emulator_process, args=(child, args.users, args.page, not args.non_premium),
                          daemon=True)
    started = time.perf_counter()
    process.start()
    url, tenant_id, client_id, secret = parent.recv()
    ready = time.perf_counter() - started
    print(f"emulator: {args.users} users, {args.page} per page, ready in {ready:.1f} s at {url}")

    import requests

    from auditor_plugins.mfa.graph import GraphSource
    from auditor_plugins.mfa.settings import MfaSettings

    settings = MfaSettings(tenant_id=tenant_id, client_id=client_id, client_secret="env:UNUSED",
                           graph_base_url=url, login_base_url=url, conditional_access_pause_seconds=0,
                           page_size=args.page)

    def stats() -> tuple[float, int, dict]:
        parent.send("stats")
        return parent.recv()

    def reset() -> None:
        parent.send("reset")
        parent.recv()

    # 1. Bare loop: the floor any Python client pays (HTTP + JSON decoding of the same pages).
    bare: list[tuple[float, float]] = []
    for _ in range(0 if args.non_premium else args.repeat):
        reset()
        session = requests.Session()
        token = session.post(f"{url}/{tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
            "scope": f"{url}/.default"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        t0 = time.perf_counter()
        for first in (f"{url}/v1.0/users?$select=id,userPrincipalName,displayName,userType,accountEnabled"
                      f"&$top={args.page}",
                      f"{url}/v1.0/reports/authenticationMethods/userRegistrationDetails?$top={args.page}"):
            link = first
            while link:
                body = session.get(link, headers=headers).json()
                link = body.get("@odata.nextLink")
        wall = time.perf_counter() - t0
        bare.append((wall, stats()[0]))

    # 2. The plugin's real collection.
    runs: list[tuple[float, float, int, int]] = []
    users_seen = 0
    path = ""
    rss_before = _rss_mb()
    for _ in range(args.repeat):
        reset()
        source = GraphSource(settings, client_secret=secret)
        t0 = time.perf_counter()
        evidence = source.collect()
        wall = time.perf_counter() - t0
        serving, served, _counts = stats()
        users_seen = len(evidence.users)
        path = evidence.collection_path
        runs.append((wall, serving, source.client.requests_made, served))
        del evidence, source
    rss_peak = _rss_mb()

    # 3. Python allocations during one collection (tracemalloc slows the run: timed separately, above).
    reset()
    tracemalloc.start()
    evidence = GraphSource(settings, client_secret=secret).collect()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = len(evidence.users)
    del evidence

    parent.send("stop")
    parent.recv()
    process.join(timeout=10)

    def overhead(wall: float, serving: float) -> float:
        return 100.0 * (wall - serving) / serving

    best = min(runs, key=lambda r: r[0])
    print(f"collected users: {users_seen} (tracemalloc run: {kept})")
    print(f"requests: client {best[2]} (GET, excluding the token request), emulator served {best[3]} "
          f"(including the token request)")
    print(f"collection path: {path}")
    for label, rows in (("plugin collection", [(r[0], r[1]) for r in runs]), ("bare requests+json loop", bare)):
        if not rows:
            continue
        walls = [w for w, _s in rows]
        servings = [s for _w, s in rows]
        overheads = [overhead(w, s) for w, s in rows]
        print(f"{label}: wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}), emulator serving "
              f"median {statistics.median(servings):.3f} s, client overhead median "
              f"{statistics.median(overheads):.0f} % (best {min(overheads):.0f} %)")
    print(f"peak RSS of the client process: {rss_peak:.1f} MB (before collections: {rss_before:.1f} MB)")
    print(f"peak Python allocations during one collection (tracemalloc): {traced_peak / 1024 / 1024:.1f} MB")
    print("targets: overhead <= 20 %, peak memory <= 200 MB")


if __name__ == "__main__":
    main()
