"""Reading nmap's XML output (-oX): the one parser behind both the live and the recorded source.

Why not python-nmap's dictionary?  It keeps only the last CPE of a port and drops scaninfo details the
checks need (which ports were actually scanned).  So the live source lets python-nmap run nmap and then
hands the XML nmap wrote (`get_nmap_last_output()`) to this parser, exactly like a recorded file.

The XML is untrusted (a client's file, banners from the scanned network): it is parsed with defusedxml
when installed (no entity expansion, no external references), otherwise with the standard parser after
refusing any entity declaration.  Every problem becomes one `NmapXmlError` naming the file (and the line
when the XML itself is broken); nothing else ever escapes `parse_nmap_xml`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from pydantic import ValidationError

from auditor.errors import SourceError
from auditor_plugins.open_ports.evidence import (
    Address,
    ExtraPorts,
    Host,
    Hostname,
    NmapRun,
    Port,
    ScanInfo,
    Service,
    ip_sort_key,
)

try:  # defusedxml is the safe choice for untrusted XML; fall back to a guarded stdlib parser.
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring as _defused_fromstring
except ImportError:  # pragma: no cover - exercised only where defusedxml is absent
    DefusedXmlException = ValueError  # type: ignore[assignment,misc]
    _defused_fromstring = None

#: Refuse absurd files before parsing (a /16 full-port scan is a few hundred MB at most).
MAX_XML_BYTES = 512 * 1024 * 1024

_PORT_PROTOCOLS = {"tcp", "udp", "sctp", "ip"}


class PortScanError(SourceError):
    """Root of every error of the open-ports sources (nmap, recorded XML files)."""


class NmapXmlError(PortScanError):
    """An nmap XML document is malformed or is not nmap output; names the file and, if known, the line."""

    def __init__(self, origin: str, problem: str, line: int | None = None) -> None:
        self.origin = origin
        self.line = line
        self.problem = problem
        where = f"{origin}, line {line}" if line else origin
        super().__init__(f"{where}: {problem}")


def _guarded_stdlib_fromstring(data: bytes) -> Element:
    """The standard expat parser building an ElementTree, refusing any entity declaration or reference.

    Used only when defusedxml is not installed; nmap never writes entities, so refusing them loses nothing.
    """
    from xml.etree.ElementTree import TreeBuilder
    from xml.parsers import expat

    builder = TreeBuilder()
    parser = expat.ParserCreate()

    def refuse(*_args: Any) -> None:
        raise ValueError("entity declarations are not allowed in nmap XML")

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        error = ParseError(expat.ErrorString(exc.code) + f": line {exc.lineno}, column {exc.offset}")
        error.code = exc.code
        error.position = (exc.lineno, exc.offset)
        raise error from None
    return builder.close()


def _parse_document(data: bytes, origin: str) -> Element:
    if len(data) > MAX_XML_BYTES:
        raise NmapXmlError(origin, f"file is larger than {MAX_XML_BYTES // (1024 * 1024)} MB; not an nmap XML scan")
    if not data.strip():
        raise NmapXmlError(origin, "file is empty; expected nmap XML output (nmap -oX)")
    try:
        if _defused_fromstring is not None:
            return _defused_fromstring(data)
        return _guarded_stdlib_fromstring(data)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        message = str(exc).split(":", 1)[0]
        if message in ("no element found", "unclosed token"):
            message = "the XML ends too early (the scan was interrupted or the file is truncated)"
        raise NmapXmlError(origin, f"malformed XML: {message}", line) from None
    except (DefusedXmlException, ValueError) as exc:
        raise NmapXmlError(origin, f"unsafe XML refused ({type(exc).__name__}): nmap never writes entities") from None
    except (RecursionError, MemoryError, UnicodeError, LookupError) as exc:
        raise NmapXmlError(origin, f"unreadable XML ({type(exc).__name__})") from None


def _int(value: str | None, origin: str, what: str, *, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if not re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        raise NmapXmlError(origin, f"{what}: '{value[:40]}' is not a whole number")
    return int(value)


def _timestamp(value: str | None, origin: str, what: str) -> dt.datetime | None:
    if not value:
        return None
    seconds = _int(value, origin, what)
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise NmapXmlError(origin, f"{what}: {seconds} is not a plausible Unix time") from None


def _service(element: Element, origin: str, where: str) -> Service:
    attrs = element.attrib
    confidence = _int(attrs.get("conf"), origin, f"{where}: service conf")
    return Service(
        name=attrs.get("name", ""),
        product=attrs.get("product", ""),
        version=attrs.get("version", ""),
        extrainfo=attrs.get("extrainfo", ""),
        ostype=attrs.get("ostype", ""),
        devicetype=attrs.get("devicetype", ""),
        hostname=attrs.get("hostname", ""),
        tunnel=attrs.get("tunnel", ""),
        method=attrs.get("method", ""),
        confidence=min(max(confidence, 0), 10),
        cpes=tuple((cpe.text or "").strip() for cpe in element.findall("cpe") if (cpe.text or "").strip()),
    )


def _port(element: Element, origin: str, where: str) -> Port:
    protocol = element.get("protocol", "")
    if protocol not in _PORT_PROTOCOLS:
        raise NmapXmlError(origin, f"{where}: unknown port protocol '{protocol[:20]}' (expected tcp, udp, sctp, ip)")
    number = _int(element.get("portid"), origin, f"{where}: portid", default=-1)
    if not 0 <= number <= 65535:
        raise NmapXmlError(origin, f"{where}: port number {element.get('portid', '(missing)')[:20]} is out of range")
    state = element.find("state")
    service = element.find("service")
    here = f"{where}, port {number}/{protocol}"
    return Port(
        protocol=protocol,  # type: ignore[arg-type]
        port=number,
        state=state.get("state", "unknown") if state is not None else "unknown",
        reason=state.get("reason", "") if state is not None else "",
        service=_service(service, origin, here) if service is not None else None,
    )


def _host(element: Element, origin: str, index: int) -> Host:
    addresses = []
    for address in element.findall("address"):
        kind = address.get("addrtype", "ipv4")
        addr = address.get("addr", "").strip()
        if kind not in ("ipv4", "ipv6", "mac"):
            raise NmapXmlError(origin, f"host #{index}: unknown address type '{kind[:20]}'")
        if kind in ("ipv4", "ipv6"):
            try:
                addr = str(ipaddress.ip_address(addr))
            except ValueError:
                raise NmapXmlError(origin, f"host #{index}: '{addr[:60]}' is not an IP address") from None
        addresses.append(Address(addr=addr, addrtype=kind, vendor=address.get("vendor", "")))  # type: ignore[arg-type]
    if not any(a.addrtype in ("ipv4", "ipv6") for a in addresses):
        raise NmapXmlError(origin, f"host #{index} has no IP address")
    where = f"host {next(a.addr for a in addresses if a.addrtype != 'mac')}"
    status = element.find("status")
    hostnames = tuple(
        Hostname(name=h.get("name", ""), type=h.get("type", ""))
        for h in element.findall("hostnames/hostname")
        if h.get("name")
    )
    ports_element = element.find("ports")
    ports: list[Port] = []
    extraports: list[ExtraPorts] = []
    if ports_element is not None:
        ports = [_port(p, origin, where) for p in ports_element.findall("port")]
        extraports = [
            ExtraPorts(state=e.get("state", ""), count=max(0, _int(e.get("count"), origin, f"{where}: extraports")))
            for e in ports_element.findall("extraports")
        ]
    unique: dict[tuple[str, int], Port] = {(p.protocol, p.port): p for p in ports}
    osmatch = element.find("os/osmatch")
    return Host(
        addresses=tuple(addresses),
        hostnames=hostnames,
        status=status.get("state", "unknown") if status is not None else "unknown",
        status_reason=status.get("reason", "") if status is not None else "",
        ports=tuple(sorted(unique.values(), key=lambda p: (p.protocol, p.port))),
        extraports=tuple(extraports),
        os_match=osmatch.get("name", "") if osmatch is not None else "",
    )


def parse_nmap_xml(data: bytes | str, origin: str) -> tuple[NmapRun, tuple[Host, ...]]:
    """Parse one nmap XML document into its run description and its hosts (sorted by address).

    :param data: the XML bytes (or text) nmap wrote with -oX.
    :param origin: how to name the document in errors and provenance (the file's path, or "live scan").
    :raises NmapXmlError: for anything that is not well-formed nmap XML; never any other exception.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass") if data else b""
    try:
        root = _parse_document(data, origin)
        if root.tag != "nmaprun":
            raise NmapXmlError(origin, f"not an nmap XML scan (root element is <{str(root.tag)[:40]}>, "
                                       "expected <nmaprun>; write it with nmap -oX)")
        hosts = tuple(
            sorted((_host(h, origin, i) for i, h in enumerate(root.findall("host"), start=1)),
                   key=lambda h: h.sort_key())
        )
        finished = root.find("runstats/finished")
        counts = root.find("runstats/hosts")
        run = NmapRun(
            scanner=root.get("scanner", "nmap"),
            version=root.get("version", ""),
            args=root.get("args", ""),
            start=_timestamp(root.get("start"), origin, "nmaprun start"),
            end=_timestamp(finished.get("time") if finished is not None else None, origin, "finished time"),
            scaninfo=tuple(
                ScanInfo(
                    type=s.get("type", ""),
                    protocol=s.get("protocol", ""),
                    numservices=max(0, _int(s.get("numservices"), origin, "scaninfo numservices")),
                    services=s.get("services", "")[:400_000],
                )
                for s in root.findall("scaninfo")
            ),
            exit=finished.get("exit", "") if finished is not None else "",
            summary=finished.get("summary", "") if finished is not None else "",
            errormsg=finished.get("errormsg", "") if finished is not None else "",
            origin=origin,
            hosts_up=max(0, _int(counts.get("up") if counts is not None else None, origin, "hosts up")),
            hosts_down=max(0, _int(counts.get("down") if counts is not None else None, origin, "hosts down")),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise NmapXmlError(origin, f"unexpected value in {field or 'document'}: {first['msg']}") from None
    return run, hosts


def merge_hosts(groups: list[tuple[Host, ...]]) -> tuple[Host, ...]:
    """Merge the hosts of several runs of one scope: same IP -> one host, later runs win port by port."""
    merged: dict[str, Host] = {}
    for hosts in groups:
        for host in hosts:
            previous = merged.get(host.ip)
            if previous is None:
                merged[host.ip] = host
                continue
            ports = {(p.protocol, p.port): p for p in previous.ports}
            ports.update({(p.protocol, p.port): p for p in host.ports})
            names = {(h.name, h.type): h for h in (*previous.hostnames, *host.hostnames)}
            addresses = {(a.addr, a.addrtype): a for a in (*previous.addresses, *host.addresses)}
            merged[host.ip] = Host(
                addresses=tuple(addresses.values()),
                hostnames=tuple(names.values()),
                status="up" if previous.is_up or host.is_up else host.status,
                status_reason=host.status_reason if host.is_up else previous.status_reason,
                ports=tuple(sorted(ports.values(), key=lambda p: (p.protocol, p.port))),
                extraports=host.extraports or previous.extraports,
                os_match=host.os_match or previous.os_match,
            )
    return tuple(sorted(merged.values(), key=lambda h: ip_sort_key(h.ip)))
