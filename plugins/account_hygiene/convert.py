"""Turning raw directory entries (attribute -> list of bytes) into evidence, for every source alike.

The live LDAP source and the LDIF reader both produce entries as ``(dn, {attribute: [bytes, ...]})``;
this module decodes AD's encodings (FILETIME, GeneralizedTime, binary SIDs, negative intervals) and
builds the evidence, so the two sources cannot disagree on what an attribute means.  It also decides what
could not be read: an attribute AD always fills (userAccountControl, pwdLastSet...) that is missing from
every entry was not readable by the account used (or not dumped), and the checks will say so.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from auditor.models import bound_text
from auditor_plugins.account_hygiene.evidence import (
    LAPS_LEGACY_ATTRIBUTE,
    LAPS_WINDOWS_ATTRIBUTE,
    PRIVILEGED_GROUPS,
    PROTECTED_GROUPS,
    RID_DOMAIN_CONTROLLERS,
    RID_READONLY_DOMAIN_CONTROLLERS,
    UF_SERVER_TRUST_ACCOUNT,
    AdComputer,
    AdEvidence,
    AdGroup,
    AdUser,
    DomainInfo,
    DomainPolicy,
    PasswordSettings,
)

Attributes = Mapping[str, list[bytes]]

USER_ATTRIBUTES = (
    "sAMAccountName", "userPrincipalName", "objectSid", "userAccountControl",
    "msDS-User-Account-Control-Computed", "pwdLastSet", "lastLogonTimestamp", "whenCreated", "adminCount",
    "primaryGroupID", "servicePrincipalName",
)
COMPUTER_ATTRIBUTES = (
    "sAMAccountName", "dNSHostName", "operatingSystem", "operatingSystemVersion", "userAccountControl",
    "primaryGroupID", "lastLogonTimestamp", "pwdLastSet", "whenCreated", "servicePrincipalName",
    "msDS-AllowedToDelegateTo", "msDS-AllowedToActOnBehalfOfOtherIdentity",
)
DOMAIN_ATTRIBUTES = (
    "objectSid", "name", "minPwdLength", "pwdHistoryLength", "maxPwdAge", "minPwdAge", "pwdProperties",
    "lockoutThreshold", "lockoutDuration", "lockOutObservationWindow", "msDS-Behavior-Version",
)
PSO_ATTRIBUTES = (
    "cn", "msDS-PasswordSettingsPrecedence", "msDS-MinimumPasswordLength", "msDS-PasswordHistoryLength",
    "msDS-MaximumPasswordAge", "msDS-MinimumPasswordAge", "msDS-PasswordComplexityEnabled",
    "msDS-PasswordReversibleEncryptionEnabled", "msDS-LockoutThreshold", "msDS-LockoutDuration",
    "msDS-LockoutObservationWindow", "msDS-PSOAppliesTo",
)
GROUP_ATTRIBUTES = ("cn", "objectSid", "member")

_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
_NEVER = (0, 0x7FFFFFFFFFFFFFFF)
_INTERVAL_NEVER = -0x8000000000000000


class DecodeError(ValueError):
    """An attribute value is not in the encoding AD uses for it."""


def lower_keys(attributes: Mapping[str, list[bytes]]) -> dict[str, list[bytes]]:
    return {key.lower(): value for key, value in attributes.items() if value}


def _first(attrs: Attributes, name: str) -> bytes | None:
    values = attrs.get(name.lower())
    return values[0] if values else None


def text(attrs: Attributes, name: str) -> str | None:
    raw = _first(attrs, name)
    return bound_text(raw.decode("utf-8", errors="replace")) if raw is not None else None


def integer(attrs: Attributes, name: str) -> int | None:
    raw = _first(attrs, name)
    if raw is None:
        return None
    try:
        return int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise DecodeError(f"{name}: expected an integer, got {raw[:40]!r}") from None


def boolean(attrs: Attributes, name: str) -> bool | None:
    raw = _first(attrs, name)
    if raw is None:
        return None
    value = raw.strip().upper()
    if value not in (b"TRUE", b"FALSE"):
        raise DecodeError(f"{name}: expected TRUE or FALSE, got {raw[:40]!r}")
    return value == b"TRUE"


def filetime(attrs: Attributes, name: str) -> dt.datetime | None:
    """FILETIME (100 ns since 1601): 0 and max-int mean "never"."""
    value = integer(attrs, name)
    if value is None or value in _NEVER or value < 0:
        return None
    try:
        return (_FILETIME_EPOCH + dt.timedelta(microseconds=value // 10)).replace(microsecond=0)
    except OverflowError:
        raise DecodeError(f"{name}: {value} is not a valid FILETIME") from None


def generalized_time(attrs: Attributes, name: str) -> dt.datetime | None:
    raw = text(attrs, name)
    if raw is None:
        return None
    try:
        return dt.datetime.strptime(raw[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise DecodeError(f"{name}: expected GeneralizedTime (YYYYMMDDhhmmss.0Z), got {raw[:40]!r}") from None


def interval_days(attrs: Attributes, name: str, unit: float = 86400.0) -> float | None:
    """AD stores durations as negative 100-ns intervals; "never" is the most negative value (or 0)."""
    value = integer(attrs, name)
    if value is None:
        return None
    if value in (_INTERVAL_NEVER, 0):
        return 0.0
    return round(abs(value) / 10_000_000 / unit, 4)


def sid_to_string(raw: bytes) -> str:
    """Binary objectSid -> ``S-1-5-21-...``."""
    if len(raw) < 8 or raw[0] != 1 or len(raw) != 8 + 4 * raw[1]:
        raise DecodeError(f"objectSid: {len(raw)} bytes is not a valid SID")
    authority = int.from_bytes(raw[2:8], "big")
    subs = [int.from_bytes(raw[8 + 4 * i: 12 + 4 * i], "little") for i in range(raw[1])]
    return "-".join(["S", str(raw[0]), str(authority), *map(str, subs)])


def sid(attrs: Attributes, name: str = "objectSid") -> str | None:
    raw = _first(attrs, name)
    if raw is None:
        return None
    if raw.startswith(b"S-1-"):  # some tools dump the string form
        return raw.decode("ascii", errors="replace")
    return sid_to_string(raw)


def rid_of(sid_text: str | None) -> int | None:
    if not sid_text:
        return None
    try:
        return int(sid_text.rsplit("-", 1)[-1])
    except ValueError:
        return None


def dns_name_of(base_dn: str) -> str:
    parts = [p.split("=", 1)[1] for p in base_dn.split(",") if p.strip().upper().startswith("DC=")]
    return ".".join(parts).lower()


def user_from(dn: str, attrs: Attributes) -> AdUser:
    spns = attrs.get("serviceprincipalname", [])
    return AdUser(
        dn=dn,
        sam_account_name=text(attrs, "sAMAccountName") or dn.split(",", 1)[0].split("=", 1)[-1],
        user_principal_name=text(attrs, "userPrincipalName"),
        rid=rid_of(sid(attrs)),
        uac=integer(attrs, "userAccountControl"),
        uac_computed=integer(attrs, "msDS-User-Account-Control-Computed"),
        pwd_last_set=filetime(attrs, "pwdLastSet"),
        last_logon=filetime(attrs, "lastLogonTimestamp"),
        created=generalized_time(attrs, "whenCreated"),
        admin_count=(integer(attrs, "adminCount") or 0) > 0,
        primary_group_rid=integer(attrs, "primaryGroupID"),
        service_principal_names=tuple(v.decode("utf-8", errors="replace") for v in spns[:200]),
    )


def computer_from(dn: str, attrs: Attributes) -> AdComputer:
    uac = integer(attrs, "userAccountControl")
    primary = integer(attrs, "primaryGroupID")
    name = text(attrs, "sAMAccountName") or dn.split(",", 1)[0].split("=", 1)[-1]
    return AdComputer(
        dn=dn,
        name=name[:-1] if name.endswith("$") else name,
        dns_host_name=text(attrs, "dNSHostName"),
        operating_system=text(attrs, "operatingSystem"),
        operating_system_version=text(attrs, "operatingSystemVersion"),
        uac=uac,
        is_domain_controller=bool(uac is not None and uac & UF_SERVER_TRUST_ACCOUNT)
        or primary in (RID_DOMAIN_CONTROLLERS, RID_READONLY_DOMAIN_CONTROLLERS),
        last_logon=filetime(attrs, "lastLogonTimestamp"),
        pwd_last_set=filetime(attrs, "pwdLastSet"),
        created=generalized_time(attrs, "whenCreated"),
        laps_legacy=LAPS_LEGACY_ATTRIBUTE.lower() in attrs,
        laps_windows=LAPS_WINDOWS_ATTRIBUTE.lower() in attrs,
        constrained_delegation_targets=len(attrs.get("msds-allowedtodelegateto", [])),
        resource_based_delegation="msds-allowedtoactonbehalfofotheridentity" in attrs,
    )


def policy_from(attrs: Attributes, prefix: str = "") -> DomainPolicy:
    """Domain head attributes (prefix "") or a PSO's msDS-* attributes (prefix "pso")."""
    if prefix:
        properties = None
        complexity = boolean(attrs, "msDS-PasswordComplexityEnabled")
        reversible = boolean(attrs, "msDS-PasswordReversibleEncryptionEnabled")
        names = ("msDS-MinimumPasswordLength", "msDS-PasswordHistoryLength", "msDS-MaximumPasswordAge",
                 "msDS-MinimumPasswordAge", "msDS-LockoutThreshold", "msDS-LockoutDuration",
                 "msDS-LockoutObservationWindow")
    else:
        properties = integer(attrs, "pwdProperties")
        complexity = None if properties is None else bool(properties & 0x1)
        reversible = None if properties is None else bool(properties & 0x10)
        names = ("minPwdLength", "pwdHistoryLength", "maxPwdAge", "minPwdAge", "lockoutThreshold",
                 "lockoutDuration", "lockOutObservationWindow")
    return DomainPolicy(
        min_password_length=integer(attrs, names[0]),
        password_history=integer(attrs, names[1]),
        max_password_age_days=interval_days(attrs, names[2]),
        min_password_age_days=interval_days(attrs, names[3]),
        complexity=complexity,
        reversible_encryption=reversible,
        lockout_threshold=integer(attrs, names[4]),
        lockout_duration_minutes=interval_days(attrs, names[5], unit=60.0),
        lockout_window_minutes=interval_days(attrs, names[6], unit=60.0),
    )


def pso_from(dn: str, attrs: Attributes) -> PasswordSettings:
    return PasswordSettings(
        dn=dn,
        name=text(attrs, "cn") or dn.split(",", 1)[0].split("=", 1)[-1],
        precedence=integer(attrs, "msDS-PasswordSettingsPrecedence"),
        policy=policy_from(attrs, prefix="pso"),
        applies_to=tuple(v.decode("utf-8", errors="replace") for v in attrs.get("msds-psoappliesto", [])),
    )


def well_known_sids(domain_sid: str | None) -> dict[str, str]:
    """SID -> group key for every privileged and protected group of this domain."""
    result: dict[str, str] = {}
    for key, template in {**PRIVILEGED_GROUPS, **PROTECTED_GROUPS}.items():
        if "{domain}" in template and not domain_sid:
            continue
        result[template.format(domain=domain_sid)] = key
    return result


@dataclass
class EvidenceBuilder:
    """Accumulates users and computers one entry at a time (memory stays proportional to the evidence)."""

    users: list[AdUser] = field(default_factory=list)
    computers: list[AdComputer] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    _missing: dict[str, int] = field(default_factory=dict)
    _present: dict[str, int] = field(default_factory=dict)
    #: Users and computers may be added from two threads (the live source reads them concurrently).
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, attrs: Attributes, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                key = name.lower()
                bucket = self._present if key in attrs else self._missing
                bucket[key] = bucket.get(key, 0) + 1

    def add_user(self, dn: str, attrs: Attributes) -> None:
        self._count(attrs, ("userAccountControl", "pwdLastSet", "whenCreated", "lastLogonTimestamp",
                            "servicePrincipalName"))
        self.users.append(user_from(dn, attrs))

    def add_computer(self, dn: str, attrs: Attributes) -> None:
        self._count(attrs, ("userAccountControl", "whenCreated", "lastLogonTimestamp", "servicePrincipalName"))
        self.computers.append(computer_from(dn, attrs))

    def _judge_attributes(self) -> None:
        """Attributes AD always sets that are missing were not readable (or not dumped)."""
        for name, label in (("useraccountcontrol", "userAccountControl"), ("pwdlastset", "pwdLastSet"),
                            ("whencreated", "whenCreated")):
            missing = self._missing.get(name, 0)
            if missing:
                total = missing + self._present.get(name, 0)
                self.unreadable.setdefault(label, f"{label} is missing from {missing} of {total} accounts "
                                                  "(not readable by this account, or not in the dump)")
        for name, label in (("lastlogontimestamp", "lastLogonTimestamp"),
                            ("serviceprincipalname", "servicePrincipalName")):
            if self._missing.get(name) and not self._present.get(name):
                self.unreadable.setdefault(label, f"no account at all carries {label} (not readable by this "
                                                  "account, or not in the dump)")

    def finish(self, *, domain: DomainInfo, groups: Iterable[AdGroup], password_settings: Iterable[PasswordSettings],
               laps_legacy_schema: bool | None, laps_windows_schema: bool | None,
               collected_at: dt.datetime | None, source: str) -> AdEvidence:
        self._judge_attributes()
        policy = domain.policy
        if policy.min_password_length is None and policy.lockout_threshold is None:
            self.unreadable.setdefault("domain_policy", "the domain object's password and lockout attributes "
                                                        "could not be read")
        groups = tuple(sorted(groups, key=lambda g: g.key))
        if not any(g.key == "domain_admins" for g in groups) and "privileged_groups" not in self.unreadable:
            self.unreadable["privileged_groups"] = "the Domain Admins group (RID 512) was not found"
        return AdEvidence(
            collected_at=collected_at,
            source=source,
            domain=domain,
            users=tuple(sorted(self.users, key=lambda u: u.sam_account_name.lower())),
            computers=tuple(sorted(self.computers, key=lambda c: c.name.lower())),
            groups=groups,
            password_settings=tuple(sorted(password_settings, key=lambda p: (p.precedence or 0, p.name))),
            laps_legacy_schema=laps_legacy_schema,
            laps_windows_schema=laps_windows_schema,
            unreadable=dict(sorted(self.unreadable.items())),
        )
