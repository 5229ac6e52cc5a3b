"""The ONE place that reads other plugins' evidence, converted into this plugin's own input models.

The checks only know `OsObservation` (what one source says about a machine's operating system) and
`ServiceObservation` (one open port with the software behind it).  Adapters here turn the
account-hygiene evidence (AD computers: operatingSystem / operatingSystemVersion / lastLogonTimestamp),
the open-ports evidence (nmap service product, version, extrainfo and ALL CPEs, parsed from the XML) and
this plugin's own device records into them.  If another plugin's model changes, only this file changes.

Attribute access is deliberately tolerant (``getattr`` with defaults): evidence from an older or newer
plugin version degrades to fewer observations, never to a crash in evaluation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from auditor.inventory import InventoryIndex, short_name
from auditor.models import Asset
from auditor_plugins.patch_level.evidence import DeviceRecord, PatchEvidence
from auditor_plugins.patch_level.lifecycle import parse_windows_build

Confidence = Literal["patch-level", "release-level", "banner"]
CONFIDENCE_RANK: dict[str, int] = {"patch-level": 0, "release-level": 1, "banner": 2}
Role = Literal["domain_controller", "server", "workstation", "unknown"]


@dataclass(frozen=True)
class OsObservation:
    """What one source says about one machine's operating system."""

    host: str
    os_name: str
    os_version: str = ""
    build: int | None = None
    revision: int | None = None
    #: "ad", "csv", "intune" or "banner".
    source: str = ""
    last_seen: dt.datetime | None = None
    confidence: Confidence = "release-level"
    role: Role = "unknown"
    ips: tuple[str, ...] = ()
    last_patch: dt.datetime | None = None
    pending_updates: int | None = None
    #: Grace added to the staleness threshold (AD's lastLogonTimestamp lags real logons by up to 14 days).
    lag_days: int = 0

    @property
    def key(self) -> str:
        return short_name(self.host) or self.host


@dataclass(frozen=True)
class ServiceObservation:
    """One open port and the software nmap identified behind it."""

    host: str
    ip: str
    port: int
    protocol: str = "tcp"
    scope: str = "internal"
    product: str = ""
    version: str = ""
    extrainfo: str = ""
    cpes: tuple[str, ...] = ()
    banner: str = ""
    probed: bool = True

    @property
    def endpoint(self) -> str:
        shown = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{shown}:{self.port}/{self.protocol}"


def from_account_hygiene(evidence: Any) -> list[OsObservation]:
    """Enabled AD computer objects -> release-level observations (AD gives the release, not the patch level)."""
    if evidence is None:
        return []
    observations: list[OsObservation] = []
    for computer in getattr(evidence, "computers", ()) or ():
        if not getattr(computer, "enabled", True):
            continue  # a disabled computer object is not a machine in use
        name = str(getattr(computer, "name", "") or "")
        if not name:
            continue
        os_name = str(getattr(computer, "operating_system", "") or "")
        os_version = str(getattr(computer, "operating_system_version", "") or "")
        build, _ = parse_windows_build(os_version)
        role = getattr(computer, "role", "unknown")
        # Never logged on: the record is as fresh as its creation (an object created long ago and never
        # used is stale data, a brand-new one is not).
        last_seen = getattr(computer, "last_logon", None) or getattr(computer, "created", None)
        observations.append(OsObservation(
            host=name, os_name=os_name, os_version=os_version, build=build, source="ad",
            last_seen=last_seen, confidence="release-level",
            role=role if role in ("domain_controller", "server", "workstation") else "unknown",
            lag_days=14,
        ))
    return observations


def from_devices(evidence: PatchEvidence | None) -> list[OsObservation]:
    """This plugin's export records -> patch-level observations when the revision is known."""
    if evidence is None:
        return []
    return [_device(d) for d in evidence.devices if d.name]


def _device(device: DeviceRecord) -> OsObservation:
    build, revision = device.build, device.revision
    if build is None:
        build, parsed_revision = parse_windows_build(device.os_version, device.os_name)
        revision = revision if revision is not None else parsed_revision
    return OsObservation(
        host=device.name, os_name=device.os_name, os_version=device.os_version, build=build, revision=revision,
        source=device.source, last_seen=device.last_seen,
        confidence="patch-level" if revision is not None or device.last_patch is not None else "release-level",
        role=device.role, ips=device.ips, last_patch=device.last_patch, pending_updates=device.pending_updates,
    )


def from_open_ports(evidence: Any, inventory: Iterable[Asset] = ()) -> list[ServiceObservation]:
    """Every open port with a service from the open-ports evidence, named after the reconciled asset."""
    if evidence is None or not hasattr(evidence, "services"):
        return []
    index = InventoryIndex(inventory)
    observations: list[ServiceObservation] = []
    for seen in evidence.services():
        host = seen.host
        service = getattr(seen.port, "service", None)
        if service is None:
            continue
        ip = getattr(host, "ip", "") or ""
        asset = index.find(getattr(host, "name", "") or "", getattr(host, "ips", ()) or (ip,))
        name = asset.name if asset else (getattr(host, "name", "") or ip)
        label = service.label() if hasattr(service, "label") else ""
        observations.append(ServiceObservation(
            host=name, ip=ip, port=int(seen.port.port), protocol=str(seen.port.protocol),
            scope=str(getattr(seen, "scope", "internal")), product=service.product or "",
            version=service.version or "", extrainfo=service.extrainfo or "", cpes=tuple(service.cpes or ()),
            banner=label, probed=getattr(service, "method", "probed") == "probed",
        ))
    return observations


# --- what software a service observation shows --------------------------------------------------------

_CPE_PRODUCTS: dict[str, str] = {
    "openbsd:openssh": "openssh",
    "apache:http_server": "apache_httpd",
    "igor_sysoev:nginx": "nginx",
    "f5:nginx": "nginx",
    "nginx:nginx": "nginx",
    "microsoft:internet_information_services": "iis",
    "microsoft:iis": "iis",
    "microsoft:exchange_server": "exchange",
    "openssl:openssl": "openssl",
}
_PRODUCT_WORDS: tuple[tuple[str, str], ...] = (
    ("openssh", "openssh"),
    ("apache httpd", "apache_httpd"),
    ("apache http server", "apache_httpd"),
    ("nginx", "nginx"),
    ("microsoft iis", "iis"),
    ("microsoft exchange", "exchange"),
    ("microsoft sql server", "mssql"),
)
_OPENSSL_IN_TEXT = re.compile(r"openssl/(\d[\w.\-]*)", re.IGNORECASE)


@dataclass(frozen=True)
class SoftwareSeen:
    product: str
    version: str
    #: Text in which distribution markers are looked for (full version string, extrainfo, banner).
    hints: str
    #: "probed" banner/CPE version, or "cpe" when the version only came from a CPE.
    origin: str = "banner"


def software_in(service: ServiceObservation) -> list[SoftwareSeen]:
    """The tracked products (with versions) a service observation reveals: product/version, CPEs, OpenSSL."""
    found: dict[str, SoftwareSeen] = {}
    hints = " ".join(p for p in (service.version, service.extrainfo, service.banner) if p)
    lowered = service.product.lower()
    for word, product in _PRODUCT_WORDS:
        if word in lowered and service.version:
            found[product] = SoftwareSeen(product, service.version, hints)
            break
    for cpe in service.cpes:
        parts = cpe.split(":")
        if len(parts) < 4 or parts[1] != "/a":
            continue
        product = _CPE_PRODUCTS.get(f"{parts[2]}:{parts[3]}".lower())
        version = parts[4] if len(parts) > 4 else ""
        if product and version and product not in found:
            found[product] = SoftwareSeen(product, version, hints, origin="cpe")
    if "openssl" not in found:
        match = _OPENSSL_IN_TEXT.search(hints)
        if match:
            found["openssl"] = SoftwareSeen("openssl", match.group(1), hints)
    return [found[k] for k in sorted(found)]
