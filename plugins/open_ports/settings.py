"""Profile settings (`[plugins.open_ports]`) and baseline parameters (`[parameters.open_ports]`).

Settings say what to scan and how (live) or which XML files to read (recorded), and which services the
client expects (the allow-list).  Parameters are the baseline's thresholds.  The nmap command line is
built from typed settings, never from free text: extra nmap options must come from a short allow-list of
harmless tuning options, so a profile cannot turn the audit into an intrusive scan (`--script`, `-sC`...).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.plugin_api import PluginParameters, PluginSettings

ScopeChoice = Literal["internal", "external", "any"]
PortNumber = Annotated[int, Field(ge=1, le=65535)]

#: nmap options a profile may add, with the shape of their value (None: a flag without value).
EXTRA_ARG_ALLOW_LIST: dict[str, str | None] = {
    "--max-rate": r"\d+(\.\d+)?",
    "--min-rate": r"\d+(\.\d+)?",
    "--max-retries": r"\d{1,2}",
    "--min-rtt-timeout": r"\d+(ms|s|m)?",
    "--max-rtt-timeout": r"\d+(ms|s|m)?",
    "--initial-rtt-timeout": r"\d+(ms|s|m)?",
    "--scan-delay": r"\d+(ms|s|m)?",
    "--max-scan-delay": r"\d+(ms|s|m)?",
    "--min-hostgroup": r"\d{1,5}",
    "--max-hostgroup": r"\d{1,5}",
    "--min-parallelism": r"\d{1,5}",
    "--max-parallelism": r"\d{1,5}",
    "--defeat-rst-ratelimit": None,
    "--version-all": None,
    "--reason": None,
    "-O": None,
    "--osscan-limit": None,
    "-e": r"[A-Za-z0-9_.:-]{1,32}",
    "--exclude": r"[0-9a-fA-F.:/,]{1,400}",
}


class AllowEntry(BaseModel):
    """A service the client expects: matching open ports are not reported as unexpected.

    An entry matches a host (IP, CIDR range or host name; empty = any host), optionally limited to ports,
    a protocol and nmap service names.  In its scope (default: internal only) it also silences the
    risky-service checks for that port, e.g. SMB on the file server.  It never silences a risky service
    seen from the internet unless `scope` says "external" or "any" explicitly; prefer an accepted risk
    (justified, with an expiry date) for those.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    hosts: tuple[Annotated[str, Field(min_length=1, max_length=255)], ...] = ()
    ports: tuple[PortNumber, ...] = ()
    protocol: Literal["tcp", "udp", "any"] = "any"
    services: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    scope: ScopeChoice = "internal"
    reason: Annotated[str, Field(max_length=300)] = ""

    @field_validator("hosts", "services", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("ports", mode="before")
    @classmethod
    def _ports(cls, value: object) -> object:
        return [value] if isinstance(value, int) else value


def _targets(value: object) -> object:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple):
        for item in value:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError:
                raise ValueError(
                    f"'{item}' is not an IP address or CIDR range (host names are refused: they could resolve "
                    "outside the authorised scope)"
                ) from None
    return value


class OpenPortsSettings(PluginSettings):
    """`[plugins.open_ports]`: targets, recorded files, nmap options and the allow-list."""

    #: The whole plugin's budget (both scopes, scanned one after the other); nmap is killed when it runs out.
    timeout_seconds: float = Field(default=3600.0, gt=0, le=86400)
    #: Live targets (IP addresses or CIDR ranges), each checked against the authorisation's scope.
    internal_targets: tuple[str, ...] = ()
    external_targets: tuple[str, ...] = ()
    #: Recorded nmap XML files (nmap -oX), relative to the profile's folder.
    internal_xml: tuple[str, ...] = ()
    external_xml: tuple[str, ...] = ()

    #: "auto": SYN scan (-sS) when running as root, else connect scan (-sT).
    scan_type: Literal["auto", "connect", "syn"] = "auto"
    #: How many of nmap's most frequently open TCP ports to scan (the risky ports are always added).
    top_ports: Annotated[int, Field(ge=0, le=65535)] = 1000
    include_risky_ports: bool = True
    extra_tcp_ports: tuple[PortNumber, ...] = ()
    #: UDP scan of `udp_ports` (needs root): "auto" = when running as root.
    udp: Literal["auto", "on", "off"] = "auto"
    udp_ports: tuple[PortNumber, ...] = (161,)
    #: Version detection (-sV); nmap only probes ports it found open.
    service_detection: bool = True
    version_intensity: Annotated[int, Field(ge=0, le=9)] = 2
    #: Skip host discovery (-Pn): internet-facing firewalls drop pings, LAN hosts usually answer.
    internal_skip_discovery: bool = False
    external_skip_discovery: bool = True
    timing: Annotated[int, Field(ge=0, le=5)] = 4
    host_timeout_seconds: Annotated[int, Field(ge=5, le=86400)] = 900
    reverse_dns: bool = True
    #: Additional nmap options, each from a short allow-list (see EXTRA_ARG_ALLOW_LIST).
    extra_args: tuple[str, ...] = ()
    #: Where the nmap binary is (default: found on PATH).
    nmap_path: str | None = None

    allow: tuple[AllowEntry, ...] = ()

    @field_validator("internal_targets", "external_targets", mode="before")
    @classmethod
    def _targets_ok(cls, value: object) -> object:
        return _targets(value)

    @field_validator("internal_xml", "external_xml", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("extra_args")
    @classmethod
    def _extra_args(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        validate_extra_args(value)
        return value


def validate_extra_args(args: tuple[str, ...] | list[str]) -> None:
    """Accept only allow-listed nmap options with well-formed values; raise ValueError otherwise."""
    items = list(args)
    index = 0
    while index < len(items):
        option = items[index]
        name, _, inline = option.partition("=")
        if name not in EXTRA_ARG_ALLOW_LIST:
            allowed = ", ".join(sorted(EXTRA_ARG_ALLOW_LIST))
            raise ValueError(f"nmap option '{option[:40]}' is not allowed (allowed: {allowed})")
        shape = EXTRA_ARG_ALLOW_LIST[name]
        if shape is None:
            if inline:
                raise ValueError(f"nmap option '{name}' takes no value")
            index += 1
            continue
        value = inline
        if not inline:
            if index + 1 >= len(items):
                raise ValueError(f"nmap option '{name}' needs a value")
            value = items[index + 1]
            index += 1
        if not re.fullmatch(shape, value):
            raise ValueError(f"value '{value[:40]}' is not valid for nmap option '{name}'")
        index += 1


class OpenPortsParameters(PluginParameters):
    """`[parameters.open_ports]` in a baseline."""

    #: Plain-HTTP ports treated as administration interfaces whatever nmap says the product is
    #: (Synology DSM 5000, Cockpit 9090, Webmin 10000...).
    admin_http_ports: tuple[PortNumber, ...] = (5000, 9090, 10000)
    #: nmap service names that are not reported as "unexpected" on the internal scope even without an
    #: allow-list entry (ordinary Windows/infrastructure chatter).  Never applies to the external scope.
    default_allowed_internal: tuple[str, ...] = (
        "msrpc", "ncacn_http", "wsdapi", "domain", "kerberos-sec", "kpasswd5", "ldap", "globalcatLDAP",
        "globalcatLDAPssl", "ssh", "https", "ntp", "ipp", "jetdirect", "mc-nmf",
    )
