"""Which ports to scan and the exact nmap command line, built from typed settings.

nmap's own `--top-ports N` cannot be combined with extra ports, so the plugin builds an explicit `-p` list:
the N most frequently open TCP ports from nmap's services frequency table (the same ranking `--top-ports`
uses; a copy of the top 100 is shipped for machines without the table) plus the risky ports every check
needs, so that "RDP not found" always means "3389 was scanned and is closed".
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from auditor_plugins.open_ports.settings import OpenPortsSettings

#: Ports the checks look at; always scanned unless `include_risky_ports = false`.
RISKY_TCP_PORTS: tuple[int, ...] = (
    21, 23, 80, 139, 445, 1433, 3306, 3389, 5000, 5432, 5800, 5900, 5901, 5902, 5985, 5986, 6379, 8000,
    8080, 8081, 9090, 9200, 9300, 10000, 27017,
)
RISKY_UDP_PORTS: tuple[int, ...] = (161,)

#: nmap's 100 most frequently open TCP ports, most frequent first (what `nmap --top-ports 100` scans).
TOP_100_TCP: tuple[int, ...] = (
    80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993, 5900, 1025,
    587, 8888, 199, 1720, 465, 548, 113, 81, 6001, 10000, 514, 5060, 179, 1026, 2000, 8443, 8000, 32768, 554,
    26, 1433, 49152, 2001, 515, 8008, 49154, 1027, 5666, 646, 5000, 5631, 631, 49153, 8081, 2049, 88, 79,
    5800, 106, 2121, 1110, 49155, 6000, 513, 990, 5357, 427, 49156, 543, 544, 5101, 144, 7, 389, 8009, 3128,
    444, 9999, 5009, 7070, 5190, 3000, 5432, 1900, 3986, 13, 1029, 9, 5051, 6646, 49157, 1028, 873, 1755,
    2717, 4899, 9100, 119, 37,
)


def nmap_services_file(nmap_path: str | None = None) -> Path | None:
    """nmap's `nmap-services` table, where nmap itself would look for it."""
    candidates: list[Path] = []
    if os.environ.get("NMAPDIR"):
        candidates.append(Path(os.environ["NMAPDIR"]) / "nmap-services")
    binary = shutil.which(nmap_path or "nmap")
    if binary:
        candidates.append(Path(binary).resolve().parent.parent / "share" / "nmap" / "nmap-services")
    candidates += [Path("/usr/share/nmap/nmap-services"), Path("/usr/local/share/nmap/nmap-services")]
    return next((c for c in candidates if c.is_file()), None)


def top_tcp_ports(count: int, services_file: Path | None = None) -> tuple[int, ...]:
    """The `count` most frequently open TCP ports, by nmap's frequency table (ties by port number)."""
    if count <= 0:
        return ()
    ranked: list[tuple[float, int]] = []
    if services_file is not None:
        try:
            lines = services_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        seen: set[int] = set()
        for line in lines:
            fields = line.split()
            if len(fields) < 3 or line.startswith("#") or not fields[1].endswith("/tcp"):
                continue
            try:
                port, frequency = int(fields[1][:-4]), float(fields[2])
            except ValueError:
                continue
            if port not in seen:
                seen.add(port)
                ranked.append((frequency, port))
    if not ranked:
        return tuple(sorted(TOP_100_TCP[:count]))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return tuple(sorted(port for _, port in ranked[:count]))


def compact(ports: set[int] | list[int] | tuple[int, ...]) -> str:
    """`[21, 22, 23, 80]` -> `21-23,80` (nmap's own notation)."""
    ordered = sorted(set(ports))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        parts.append(str(start) if start == end else f"{start}-{end}")
        index += 1
    return ",".join(parts)


@dataclass(frozen=True)
class NmapCommand:
    """Everything python-nmap's `PortScanner.scan()` needs, and what bare nmap would be given."""

    targets: tuple[str, ...]
    ports: str
    arguments: tuple[str, ...]

    def argv(self, nmap: str = "nmap") -> list[str]:
        """The command line python-nmap runs: `nmap -oX - TARGETS -p PORTS ARGUMENTS`."""
        return [nmap, "-oX", "-", *self.targets, "-p", self.ports, *self.arguments]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def build_command(
    settings: OpenPortsSettings, scope: str, targets: list[str] | tuple[str, ...], *, root: bool | None = None,
    services_file: Path | None = None,
) -> NmapCommand:
    """The nmap command for one scope, from the settings alone (no free-form arguments)."""
    root = is_root() if root is None else root
    scan_type = settings.scan_type
    if scan_type == "auto":
        scan_type = "syn" if root else "connect"
    if scan_type == "syn" and not root:
        raise ValueError("scan_type = \"syn\" needs root privileges; use \"connect\" or \"auto\"")
    udp = settings.udp == "on" or (settings.udp == "auto" and root)
    if settings.udp == "on" and not root:
        raise ValueError("udp = \"on\" needs root privileges (nmap -sU); use \"auto\" or \"off\"")

    tcp_ports = set(top_tcp_ports(settings.top_ports, services_file or nmap_services_file(settings.nmap_path)))
    tcp_ports.update(settings.extra_tcp_ports)
    udp_ports = set(settings.udp_ports) if udp else set()
    if settings.include_risky_ports:
        tcp_ports.update(RISKY_TCP_PORTS)
        if udp:
            udp_ports.update(RISKY_UDP_PORTS)
    if not tcp_ports and not udp_ports:
        raise ValueError("no port to scan: set top_ports, extra_tcp_ports or include_risky_ports")
    port_spec = ",".join(
        part for part in (
            f"T:{compact(tcp_ports)}" if tcp_ports else "",
            f"U:{compact(udp_ports)}" if udp_ports else "",
        ) if part
    )

    versions = {ipaddress.ip_network(target, strict=False).version for target in targets}
    if len(versions) > 1:
        raise ValueError(f"the {scope} targets mix IPv4 and IPv6 addresses; nmap scans one family per run, "
                         "so list IPv6 targets in a separate profile")
    args: list[str] = ["-6"] if versions == {6} else []
    if tcp_ports:
        args.append("-sS" if scan_type == "syn" else "-sT")
    if udp_ports:
        args.append("-sU")
    if settings.service_detection:
        args += ["-sV", "--version-intensity", str(settings.version_intensity)]
    skip_discovery = settings.external_skip_discovery if scope == "external" else settings.internal_skip_discovery
    if skip_discovery:
        args.append("-Pn")
    if not settings.reverse_dns:
        args.append("-n")
    args += [f"-T{settings.timing}", "--host-timeout", f"{settings.host_timeout_seconds}s"]
    args += list(settings.extra_args)
    return NmapCommand(targets=tuple(targets), ports=port_spec, arguments=tuple(args))
