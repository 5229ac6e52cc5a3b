"""Benchmark: the open-ports plugin's live collection against bare nmap with identical arguments.

Starts ~20 real listeners (RDP, Telnet, FTP, MySQL, Redis, VNC, SMB, SSH, HTTP...) spread across
127.0.0.0/24, then alternates, round after round, (a) the plugin's `auditor_collect` in live mode
(python-nmap + XML parsing + evidence model) and (b) `nmap` run directly by subprocess with exactly the
argument vector python-nmap uses (`NmapCommand.argv()`), and prints both wall times and their ratio.
Target: plugin / nmap <= 1.10.

Only loopback is ever scanned: every target is checked against 127.0.0.0/8 before anything runs.  By
default the targets are the listeners' addresses; `--range` scans the whole 127.0.0.0/24 instead (which
also probes whatever other local test servers listen on the scanned ports).

    python3 bench/bench_open_ports.py [--rounds 5] [--top-ports 100] [--udp] [--range]
"""

from __future__ import annotations

import argparse
import ipaddress
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.plugin_api import CollectContext, ScopeGuard  # noqa: E402
from auditor_plugins import open_ports as plugin  # noqa: E402
from auditor_plugins.open_ports.ports import build_command  # noqa: E402
from auditor_plugins.open_ports.settings import OpenPortsSettings  # noqa: E402
from tests.servers.listeners import (  # noqa: E402
    FTP,
    HTTP_ADMIN,
    HTTP_WEB,
    MYSQL,
    RDP,
    REDIS,
    SMB,
    SNMP,
    SSH,
    TELNET,
    VNC,
    ListenerPool,
)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
SCOPE = "127.0.0.0/24"
SPECS = [RDP, TELNET, FTP, MYSQL, HTTP_ADMIN, VNC, SMB, SSH, REDIS, HTTP_WEB]


def start_listeners(pool: ListenerPool, udp: bool) -> list[str]:
    """20 listeners: each service twice, on addresses spread over 127.0.0.0/24."""
    for index in range(20):
        pool.start(SPECS[index % len(SPECS)], f"127.0.0.{10 + index * 12}")
    if udp:
        pool.start(SNMP, "127.0.0.250")
    return sorted({listener.host for listener in pool.listeners}, key=ipaddress.ip_address)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top-ports", type=int, default=100)
    parser.add_argument("--udp", action="store_true", help="also scan UDP 161 (needs root; slower, noisier)")
    parser.add_argument("--range", action="store_true", help=f"scan the whole {SCOPE} instead of the listeners")
    options = parser.parse_args()
    if shutil.which("nmap") is None:
        print("nmap is not installed", file=sys.stderr)
        return 2

    with ListenerPool() as pool:
        hosts = start_listeners(pool, options.udp)
        targets = [SCOPE] if options.range else hosts
        for target in targets:
            if not ipaddress.ip_network(target).subnet_of(LOOPBACK):  # type: ignore[arg-type]
                raise SystemExit(f"refusing to scan {target}: the benchmark only scans loopback")
        settings = OpenPortsSettings(
            mode="live", internal_targets=tuple(targets), top_ports=options.top_ports,
            udp="on" if options.udp else "off", reverse_dns=False, internal_skip_discovery=True,
            timeout_seconds=600,
        )
        command = build_command(settings, "internal", targets)
        argv = command.argv("nmap")
        print(f"listeners: {len(pool.listeners)} on {len(hosts)} addresses in {SCOPE}")
        print(f"targets:   {' '.join(targets) if len(targets) < 4 else f'{len(targets)} addresses'}")
        print(f"arguments: {' '.join(command.arguments)}  (-p with {command.ports.count(',') + 1} port items)")

        def run_plugin() -> float:
            context = CollectContext(plugin="open_ports", settings=settings, profile_dir=REPO,
                                     scope=ScopeGuard([SCOPE], "BENCH-LOOPBACK"), client_id="bench")
            started = time.perf_counter()
            collected = plugin.auditor_collect(context=context)
            elapsed = time.perf_counter() - started
            recorded = collected.source.options["internal.command"].split()
            assert recorded[1:] == argv[1:] or sorted(recorded[1:]) == sorted(argv[1:]), "arguments differ"
            return elapsed

        def run_nmap() -> float:
            started = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            return time.perf_counter() - started

        run_plugin()  # warm-up (imports, nmap's data files in the page cache)
        plugin_times: list[float] = []
        nmap_times: list[float] = []
        for round_number in range(options.rounds):
            order = (run_plugin, run_nmap) if round_number % 2 == 0 else (run_nmap, run_plugin)
            for runner in order:
                elapsed = runner()
                (plugin_times if runner is run_plugin else nmap_times).append(elapsed)
            print(f"round {round_number + 1}: plugin {plugin_times[-1]:.3f} s   nmap {nmap_times[-1]:.3f} s")

    plugin_median, nmap_median = statistics.median(plugin_times), statistics.median(nmap_times)
    print(f"plugin: median {plugin_median:.3f} s, mean {statistics.mean(plugin_times):.3f} s, "
          f"min {min(plugin_times):.3f} s")
    print(f"nmap:   median {nmap_median:.3f} s, mean {statistics.mean(nmap_times):.3f} s, min {min(nmap_times):.3f} s")
    ratio = plugin_median / nmap_median
    print(f"ratio plugin/nmap (medians): {ratio:.3f}  (total {sum(plugin_times) / sum(nmap_times):.3f}); "
          f"target <= 1.10: {'OK' if ratio <= 1.10 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
