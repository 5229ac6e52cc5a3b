"""Benchmark: `history` and `diff` response times with 500 clients x 24 audits in the store.

An MSP keeps years of monthly re-audits for hundreds of clients in one shared store; `auditor history
CLIENT` and `auditor diff NEW` must stay interactive (target: under 200 ms each) on SQLite and PostgreSQL.

Audits are generated cheaply from ONE realistic audit (the demo client evaluated from its recorded
evidence; the report tests' hand-built audit if the demo cannot run): each client gets its own names, and
month after month each failing check is fixed with some probability and each passing one regresses with
another, affected assets come and go; scores are recomputed with the real scoring function.  Audits are
prepared once and bulk-inserted into both stores (`Store.save_many`, one transaction per batch).

PostgreSQL: a throwaway server started on 127.0.0.1 like the test fixture (tests/servers/postgres.py), or
the database at $AUDITOR_BENCH_PG_URL.  Usage:

    python3 bench/bench_history.py [--clients 500] [--audits 24] [--samples 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.history import compare, resolve_baseline  # noqa: E402
from auditor.models import AffectedAsset, Audit, Status  # noqa: E402
from auditor.scoring import score  # noqa: E402
from auditor.store import Store, prepare  # noqa: E402


def template_audit() -> Audit:
    """The demo client's audit from its recorded evidence (fallback: the report tests' audit)."""
    try:
        from auditor.pluginmanager import PluginRegistry
        from auditor.profile import load_profile
        from auditor.runner import run_audit

        registry = PluginRegistry.build()
        profile = load_profile(ROOT / "profiles" / "demo-client.toml", registry)
        audit, _bundle, _files = run_audit(profile, registry)
        if len(audit.results) >= 20:
            return audit
    except Exception as exc:  # the benchmark must run while plugins are being written
        print(f"(demo audit unavailable: {exc}; using the report tests' audit)")
    from tests.report.factory import make_audit

    return make_audit(hosts=60)


def client_history(template: Audit, index: int, months: int, rng: random.Random) -> list[Audit]:
    """One client's audits, month after month, from the template."""
    baseline = resolve_baseline(template)
    catalogue = {c.id: c for c in template.checks}
    client_id = f"client-{index:04d}"
    start = dt.datetime(2025, 1, 3, 9, 0, tzinfo=dt.UTC) + dt.timedelta(hours=index % 200)
    current = list(template.results)
    out: list[Audit] = []
    for month in range(months):
        evolved = []
        for result in current:
            if result.is_finding and rng.random() < 0.2:
                result = result.model_copy(update={"status": Status.passed, "score_share": None, "affected": ()})
            elif result.status is Status.passed and rng.random() < 0.05:
                result = result.model_copy(update={"status": Status.failed, "affected": (
                    AffectedAsset(name=f"HOST-{rng.randrange(400):03d}", kind="host"),)})
            elif result.is_finding and result.affected and rng.random() < 0.3:
                kept = tuple(a for a in result.affected if rng.random() > 0.2) or result.affected[:1]
                result = result.model_copy(update={"affected": kept})
            evolved.append(result)
        current = evolved
        when = start + dt.timedelta(days=30 * month)
        scores = score(catalogue, current, baseline)
        failing = {r.check_id for r in current if r.is_finding}
        items = tuple(i for i in template.roadmap.items if set(i.checks) & failing)
        out.append(template.model_copy(update={
            "id": f"{client_id}-{when:%Y%m%d-%H%M%S}-{rng.getrandbits(32):08x}",
            "client_id": client_id, "client_name": f"Client {index} SARL",
            "kind": "onboarding" if month == 0 else "re-audit",
            "collected_at": when, "evaluated_at": when + dt.timedelta(minutes=3),
            "results": tuple(current), "scores": scores,
            "roadmap": template.roadmap.model_copy(update={"items": items}),
        }))
    return out


def timed(function: Callable[[], object], samples: list[float]) -> None:
    started = time.perf_counter()
    function()
    samples.append((time.perf_counter() - started) * 1000)


def report(name: str, backend: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    verdict = "OK" if p95 < 200 else "OVER TARGET"
    print(f"{backend:10s} {name:8s} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {ordered[-1]:7.1f} ms   (n={len(ordered)}, target < 200 ms: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--audits", type=int, default=24)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch", type=int, default=25, help="clients per bulk-insert transaction")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-history-"))
    stores: dict[str, Store] = {"sqlite": Store(f"sqlite:///{workdir / 'audits.sqlite'}")}
    server = None
    if not args.no_postgres:
        url = os.environ.get("AUDITOR_BENCH_PG_URL")
        if not url:
            from tests.servers.postgres import start_postgres

            server = start_postgres()
            url = server.create_database("bench")
        stores["postgresql"] = Store(url)
    try:
        template = template_audit()
        print(f"template audit: {len(template.results)} results, {len(template.checks)} checks, "
              f"{sum(len(r.affected) for r in template.results)} affected assets, "
              f"{len(template.model_dump_json()) // 1024} KiB of JSON")
        rng = random.Random(20261125)
        load = {name: 0.0 for name in stores}
        generate = 0.0
        for first in range(0, args.clients, args.batch):
            started = time.perf_counter()
            batch = [prepare(a) for i in range(first, min(first + args.batch, args.clients))
                     for a in client_history(template, i, args.audits, rng)]
            generate += time.perf_counter() - started
            for name, store in stores.items():
                started = time.perf_counter()
                store.save_prepared(batch)
                load[name] += time.perf_counter() - started
            print(f"\r{min(first + args.batch, args.clients)}/{args.clients} clients stored", end="", flush=True)
        print()
        total = args.clients * args.audits
        print(f"generated and prepared {total} audits in {generate:.0f} s; "
              + "; ".join(f"{n} bulk load {s:.0f} s" for n, s in load.items()))
        if (workdir / "audits.sqlite").exists():
            print(f"sqlite file: {(workdir / 'audits.sqlite').stat().st_size / 1e6:.0f} MB")
        picks = random.Random(7).sample(range(args.clients), min(args.samples, args.clients))
        for name, store in stores.items():
            history_ms: list[float] = []
            diff_ms: list[float] = []
            warm: list[float] = []  # the first call opens connections and reads the baseline file
            timed(lambda s=store: compare(s, s.history("client-0000")[-1].id), warm)
            print(f"{name:10s} first diff (cold: connections, baseline file) {warm[0]:.1f} ms; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            for index in picks:
                client = f"client-{index:04d}"
                timed(lambda s=store, c=client: s.history(c), history_ms)
                latest = store.history(client)[-1].id
                timed(lambda s=store, audit_id=latest: compare(s, audit_id[:24]), diff_ms)
            report("history", name, history_ms)
            report("diff", name, diff_ms)
    finally:
        for store in stores.values():
            store.close()
        if server is not None:
            server.stop()
            shutil.rmtree(server.root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
