"""Hand-built open-ports evidence for the tests: a few lines describe a host and its services."""

from __future__ import annotations

from auditor.models import CheckResult
from auditor_plugins.open_ports.evidence import (
    Address,
    Host,
    Hostname,
    NmapRun,
    OpenPortsEvidence,
    Port,
    ScanInfo,
    ScopeScan,
    Service,
)

#: The ports a default live scan covers for the families (what the hand-built scans say they scanned).
TCP_SCANNED = "1-65535"
UDP_SCANNED = "161"


def svc(name: str, product: str = "", version: str = "", *, method: str = "probed", tunnel: str = "",
        devicetype: str = "", extrainfo: str = "", cpes: tuple[str, ...] = ()) -> Service:
    return Service(name=name, product=product, version=version, method=method, tunnel=tunnel,
                   devicetype=devicetype, extrainfo=extrainfo, confidence=10 if method == "probed" else 3,
                   cpes=cpes)


def port(number: int, service: Service | None = None, *, protocol: str = "tcp", state: str = "open") -> Port:
    return Port(protocol=protocol, port=number, state=state, reason="syn-ack", service=service)  # type: ignore[arg-type]


def host(ip: str, *ports: Port, name: str = "", status: str = "up") -> Host:
    return Host(
        addresses=(Address(addr=ip, addrtype="ipv6" if ":" in ip else "ipv4"),),
        hostnames=(Hostname(name=name, type="PTR"),) if name else (),
        status=status,
        ports=ports,
    )


def scan(scope: str, *hosts: Host, tcp: str = TCP_SCANNED, udp: str | None = UDP_SCANNED) -> ScopeScan:
    info = [ScanInfo(type="syn", protocol="tcp", numservices=1, services=tcp)]
    if udp is not None:
        info.append(ScanInfo(type="udp", protocol="udp", numservices=1, services=udp))
    run = NmapRun(version="7.94", args="nmap -sS -sU -sV", scaninfo=tuple(info), exit="success")
    return ScopeScan(scope=scope, runs=(run,), hosts=hosts)  # type: ignore[arg-type]


def evidence(internal: ScopeScan | None = None, external: ScopeScan | None = None) -> OpenPortsEvidence:
    return OpenPortsEvidence(internal=internal, external=external)


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check_id: r for r in results}


def failing(results: list[CheckResult]) -> dict[str, list[str]]:
    """check id -> affected names, for every failed result."""
    return {r.check_id: [a.name for a in r.affected] for r in results if r.status.value == "fail"}
