"""The open-ports evidence: what nmap saw, per scope, as the plugin records it in a bundle.

This is the plugin's recorded JSON format and a contract with other plugins: the patch-level plugin reads
service products, versions and CPEs from it through ``context.evidence_of("open_ports")``.  Its shape::

    OpenPortsEvidence
      internal / external: ScopeScan | None       (None: that scope was not scanned)
        targets            what was asked to be scanned (addresses/CIDR ranges)
        runs[]             one per nmap invocation or XML file: version, exact arguments, start/end, scaninfo
        hosts[]            merged over the runs, sorted by address
          addresses[], hostnames[] (reverse DNS), status ("up"...), os_match, extraports[]
          ports[]          protocol, port, state ("open", "open|filtered"...), reason
            service        name, product, version, extrainfo, ostype, devicetype, tunnel ("ssl"),
                           method ("probed" = version detection, "table" = guessed from the port number),
                           confidence 0-10, cpes (ALL the CPEs nmap printed, in order)

Use `OpenPortsEvidence.services()` to walk every open port with its scope and host.  Every string came
from the scanned network (banners, reverse DNS) and is untrusted: it is stripped of control characters and
bounded in length here, and must stay data downstream.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from auditor.models import bound_text

SCHEMA_VERSION = 1

Scope = Literal["internal", "external"]
SCOPES: tuple[Scope, ...] = ("internal", "external")
Protocol = Literal["tcp", "udp", "sctp", "ip"]


def _bounded(value: object) -> object:
    return bound_text(value, 512) if isinstance(value, str) else value


def _short(value: object) -> object:
    return bound_text(value, 128) if isinstance(value, str) else value


#: Untrusted text from the network: control characters removed, at most 512 characters.
Text = Annotated[str, BeforeValidator(_bounded), Field(max_length=512)]
def _command_line(value: object) -> object:
    return bound_text(value, 65536) if isinstance(value, str) else value


#: A command line: long (an explicit 1000-port list is ~4 kB) but still bounded.
CommandLine = Annotated[str, BeforeValidator(_command_line), Field(max_length=65536)]
#: Short untrusted tokens (states, reasons, names).
Token = Annotated[str, BeforeValidator(_short), Field(max_length=128)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Frozen):
    addr: Token
    addrtype: Literal["ipv4", "ipv6", "mac"] = "ipv4"
    vendor: Token = ""


class Hostname(_Frozen):
    name: Token
    #: "PTR" (reverse DNS) or "user" (the name given on the command line).
    type: Token = ""


class Service(_Frozen):
    """What nmap identified behind an open port."""

    #: nmap's service name ("ms-wbt-server", "microsoft-ds", "http", "unknown"...).
    name: Token = ""
    product: Text = ""
    version: Text = ""
    extrainfo: Text = ""
    ostype: Text = ""
    devicetype: Token = ""
    hostname: Token = ""
    #: "ssl" when the service is wrapped in TLS (https is http with tunnel "ssl").
    tunnel: Token = ""
    #: "probed" (version detection matched) or "table" (only guessed from nmap's port table).
    method: Token = ""
    confidence: Annotated[int, Field(ge=0, le=10)] = 0
    #: Every CPE nmap gave for the service (application, then OS/hardware), in nmap's order.
    cpes: tuple[Text, ...] = ()

    @property
    def probed(self) -> bool:
        return self.method == "probed"

    def label(self) -> str:
        """`ssl/http nginx 1.18.0 (Ubuntu)`: how nmap's own table shows the service."""
        name = f"{self.tunnel}/{self.name}" if self.tunnel and self.name else self.name
        parts = [name or "unknown", self.product, self.version]
        text = " ".join(part for part in parts if part)
        return f"{text} ({self.extrainfo})" if self.extrainfo else text


class Port(_Frozen):
    protocol: Protocol
    port: Annotated[int, Field(ge=0, le=65535)]
    #: nmap's state: open, closed, filtered, unfiltered, open|filtered, closed|filtered.
    state: Token
    reason: Token = ""
    service: Service | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def key(self) -> str:
        return f"{self.port}/{self.protocol}"


class ExtraPorts(_Frozen):
    """Ports nmap summarised instead of listing ("997 closed tcp ports")."""

    state: Token
    count: Annotated[int, Field(ge=0)]


class Host(_Frozen):
    addresses: tuple[Address, ...]
    hostnames: tuple[Hostname, ...] = ()
    #: "up", "down", "unknown" or "skipped".
    status: Token = "up"
    status_reason: Token = ""
    ports: tuple[Port, ...] = ()
    extraports: tuple[ExtraPorts, ...] = ()
    #: nmap's best OS match when OS detection ran (-O), else "".
    os_match: Text = ""

    @property
    def ip(self) -> str:
        """The host's IP address (first IPv4, else IPv6, else any address)."""
        for kind in ("ipv4", "ipv6"):
            for address in self.addresses:
                if address.addrtype == kind:
                    return address.addr
        return self.addresses[0].addr if self.addresses else ""

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(a.addr for a in self.addresses if a.addrtype in ("ipv4", "ipv6"))

    @property
    def mac(self) -> str:
        return next((a.addr for a in self.addresses if a.addrtype == "mac"), "")

    @property
    def name(self) -> str:
        """The reverse-DNS name if nmap found one (else a user-given name, else "")."""
        for wanted in ("PTR", "user", ""):
            for hostname in self.hostnames:
                if wanted in ("", hostname.type):
                    return hostname.name
        return ""

    @property
    def is_up(self) -> bool:
        return self.status == "up"

    def open_ports(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.is_open)

    def sort_key(self) -> tuple[int, int, str]:
        return ip_sort_key(self.ip)


class ScanInfo(_Frozen):
    """One `<scaninfo>` line: the scan type and exactly which ports of one protocol were scanned."""

    type: Token
    protocol: Token
    numservices: Annotated[int, Field(ge=0)] = 0
    #: nmap's compact port list, e.g. "1,3-4,21-23,3389".
    services: Annotated[str, Field(max_length=400_000)] = ""

    def covers(self, port: int) -> bool:
        for item in self.services.split(","):
            low, _, high = item.strip().partition("-")
            try:
                if int(low) <= port <= int(high or low):
                    return True
            except ValueError:
                continue
        return False


class NmapRun(_Frozen):
    """One nmap invocation (a live scan or one recorded XML file)."""

    scanner: Token = "nmap"
    version: Token = ""
    #: The exact command line nmap recorded (`args` attribute of `<nmaprun>`).
    args: CommandLine = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    scaninfo: tuple[ScanInfo, ...] = ()
    #: "success" or "error" (from `<runstats><finished exit=...>`), "" for a truncated file.
    exit: Token = ""
    summary: Text = ""
    errormsg: Text = ""
    #: Where the run came from: the recorded file's name, or "live".
    origin: Text = ""
    hosts_up: Annotated[int, Field(ge=0)] = 0
    hosts_down: Annotated[int, Field(ge=0)] = 0


class ScopeScan(_Frozen):
    """Everything seen in one scope ("internal" LAN or "external" internet-facing addresses)."""

    scope: Scope
    targets: tuple[Token, ...] = ()
    runs: tuple[NmapRun, ...] = ()
    hosts: tuple[Host, ...] = ()

    def covers(self, protocol: str, port: int) -> bool:
        """Whether any run scanned this protocol/port (a port never scanned cannot be called closed)."""
        return any(info.protocol == protocol and info.covers(port) for run in self.runs for info in run.scaninfo)

    def hosts_up(self) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.is_up)


@dataclass(frozen=True)
class ServiceSeen:
    """One open port with its context, as `OpenPortsEvidence.services()` yields it."""

    scope: Scope
    host: Host
    port: Port

    @property
    def service(self) -> Service:
        return self.port.service or Service()

    @property
    def endpoint(self) -> str:
        """`10.20.0.21:3389/tcp` (IPv6 in brackets)."""
        ip = self.host.ip
        shown = f"[{ip}]" if ":" in ip else ip
        return f"{shown}:{self.port.port}/{self.port.protocol}"


class OpenPortsEvidence(BaseModel):
    """The plugin's evidence payload: one `ScopeScan` per scope that was scanned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    internal: ScopeScan | None = None
    external: ScopeScan | None = None

    def scope(self, name: Scope) -> ScopeScan | None:
        return self.internal if name == "internal" else self.external

    def services(self, scope: Scope | None = None) -> Iterator[ServiceSeen]:
        """Every open port of up hosts, scope by scope, hosts by address, ports by protocol and number."""
        for name in SCOPES if scope is None else (scope,):
            scan = self.scope(name)
            if scan is None:
                continue
            for host in scan.hosts:
                if not host.is_up:
                    continue
                for port in host.ports:
                    if port.is_open:
                        yield ServiceSeen(name, host, port)


def ip_sort_key(value: str) -> tuple[int, int, str]:
    """Sort IPv4 before IPv6, numerically; anything unparsable last, by text."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return (9, 0, value)
    return (address.version, int(address), "")
