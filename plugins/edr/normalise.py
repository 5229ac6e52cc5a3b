"""Vendor fields to normalised device fields: one place for every mapping the sources share.

Kept apart from the HTTP code so the mappings (Defender's string flags and digit AV modes, SentinelOne's
machine types, roles from OS names) are unit-testable without a server, and so the CSV reader and the
live sources agree on what "passive", "detect" or "server" mean.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from auditor_plugins.edr.evidence import AvMode, Role

#: Defender's `avMode` is a digit in a string (documented: '' Other, 0 Active, 1 Passive, 2 Disabled,
#: 3 Other, 4 EDRBlocked, 5 PassiveAudit).
DEFENDER_AV_MODES: dict[str, AvMode] = {
    "": "other",
    "0": "active",
    "1": "passive",
    "2": "disabled",
    "3": "other",
    "4": "edr_blocked",
    "5": "passive_audit",
}

#: Defender `healthStatus` values; anything but Active means the sensor is not reporting normally.
DEFENDER_ACTIVE_HEALTH = {"active": True, "inactive": False, "impairedcommunication": False,
                          "nosensordata": False, "nosensordataimpairedcommunication": False}

#: AV modes that leave the machine without real-time antivirus blocking.
NOT_ACTIVE_AV_MODES: frozenset[str] = frozenset({"passive", "passive_audit", "edr_blocked", "disabled"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 from an API or export (any number of fractional digits, `Z`), always timezone-aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def string_flag(value: Any) -> bool | None:
    """Defender's "True"/"False"/"Unknown" strings (and real booleans) as True/False/None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def clean_ips(values: Iterable[Any]) -> tuple[str, ...]:
    """Valid unicast addresses only, de-duplicated in order: loopback, link-local and junk are dropped."""
    seen: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            address = ipaddress.ip_address(value.strip().split("%", 1)[0])
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
            continue
        text = str(address)
        if text not in seen:
            seen.append(text)
    return tuple(seen)


def in_scope(ips: Sequence[str], networks: Sequence[Network]) -> tuple[str, ...]:
    """The addresses inside the audit's authorised networks; all private ones when there is no scope.

    Used for matching devices with the inventory: a roaming laptop's home address must not merge it with
    another laptop that uses the same home-router range.
    """
    kept: list[str] = []
    for ip in ips:
        address = ipaddress.ip_address(ip)
        if networks:
            if any(address.version == n.version and address in n for n in networks):
                kept.append(ip)
        elif address.is_private:
            kept.append(ip)
    return tuple(kept)


def role_from_os(os_name: str) -> Role:
    """A role from an OS or platform name ("WindowsServer2019", "Windows 11 Pro", "macOS", "Linux")."""
    lowered = os_name.lower().replace(" ", "")
    if not lowered:
        return "unknown"
    if "server" in lowered:
        return "server"
    if any(word in lowered for word in ("windows10", "windows11", "windows7", "windows8", "macos", "osx",
                                        "ios", "android", "chromeos")):
        return "workstation"
    return "unknown"


def role_from_machine_type(machine_type: str, os_name: str = "") -> Role:
    """SentinelOne `machineType` / CSV `machine_type` to a role, falling back on the OS name."""
    lowered = machine_type.strip().lower().replace("_", " ").replace("-", " ")
    if lowered in ("domain controller", "domaincontroller", "dc"):
        return "domain_controller"
    if lowered in ("server", "kubernetes node", "kubernetes", "virtual server", "serveur"):
        return "server"
    if lowered in ("desktop", "laptop", "workstation", "pc", "poste", "portable", "poste de travail"):
        return "workstation"
    if lowered in ("network", "printer", "appliance"):
        return "network"
    return role_from_os(os_name)
