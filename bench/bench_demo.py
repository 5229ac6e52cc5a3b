"""Benchmark: the full demo audit from the recorded sample (target: under 3 s on the 2-core machine).

Prints the wall time of the whole `auditor audit` command (process start, plugin loading, collection from
recorded files, evaluation, store, JSON/CSV/PDF outputs) and of the library's collect+evaluate alone.
Run: python bench/bench_demo.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "demo-client.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from auditor.pluginmanager import PluginRegistry
    from auditor.profile import load_profile
    from auditor.runner import run_audit

    registry = PluginRegistry.build()
    profile = load_profile(PROFILE, registry)
    library: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        audit, _bundle, _files = run_audit(profile, registry)
        library.append(time.perf_counter() - started)

    command: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.rounds):
            out = Path(folder) / f"run{index}"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "auditor", "audit", str(PROFILE), "--out", str(out),
                 "--db", str(Path(folder) / "bench.sqlite"), "--quiet"],
                check=True, stdout=subprocess.DEVNULL,
            )
            command.append(time.perf_counter() - started)

    print(f"demo audit: {len(audit.results)} results, {len(audit.inventory)} assets, "
          f"score {audit.scores.overall} grade {audit.scores.grade}")
    print(f"library collect+evaluate: median {statistics.median(library):.3f} s (min {min(library):.3f} s)")
    print(f"whole `auditor audit` command incl. PDF: median {statistics.median(command):.3f} s "
          f"(min {min(command):.3f} s, max {max(command):.3f} s); target < 3 s: "
          f"{'met' if statistics.median(command) < 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
