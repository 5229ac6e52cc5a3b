"""The account-hygiene evidence: what the plugin reads from Active Directory, as stored in a bundle.

This is also the plugin's recorded JSON format (``samples/demo-client/account_hygiene/ad.json``), and a
contract other plugins rely on: the patch-level plugin reads :attr:`AdEvidence.computers` through
``context.evidence_of("account_hygiene")``, and the EDR and backup plugins see the same computers through
the reconciled inventory (``auditor_assets``).  So the computer part is kept small, explicit and stable:

* :class:`AdComputer` -- ``name`` (sAMAccountName without ``$``), ``dns_host_name``, ``operating_system``
  (free, possibly localised text: "Windows 11 Professionnel"; Samba DCs say "Samba"),
  ``operating_system_version`` ("10.0 (26100)"), ``enabled``, ``is_domain_controller``, ``last_logon``
  (``lastLogonTimestamp``, which lags real logons by up to 14 days), ``pwd_last_set``, ``created``,
  LAPS presence and delegation flags; :attr:`AdComputer.role` is ``domain_controller`` / ``server`` /
  ``workstation`` / ``unknown`` and :meth:`AdComputer.is_stale` answers "has it been seen lately?".

Times are timezone-aware UTC datetimes; ``None`` means "never" (AD's 0 / max-int) or "not present".
What could not be read is listed in :attr:`AdEvidence.unreadable` (attribute or area -> why), so checks
can be ``not_assessed`` instead of guessing.  Every string came from the client's directory: it is bounded.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from auditor.models import UNTRUSTED_TEXT_MAX, bound_text

SCHEMA_VERSION = 1

# userAccountControl bits (MS-ADTS 2.2.16)
UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_PASSWD_NOTREQD = 0x20
UF_ENCRYPTED_TEXT_PWD_ALLOWED = 0x80
UF_NORMAL_ACCOUNT = 0x200
UF_WORKSTATION_TRUST_ACCOUNT = 0x1000
UF_SERVER_TRUST_ACCOUNT = 0x2000
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_SMARTCARD_REQUIRED = 0x40000
UF_TRUSTED_FOR_DELEGATION = 0x80000
UF_NOT_DELEGATED = 0x100000
UF_DONT_REQ_PREAUTH = 0x400000
UF_PASSWORD_EXPIRED = 0x800000
UF_TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000
UF_PARTIAL_SECRETS_ACCOUNT = 0x4000000  # read-only domain controller

#: Well-known RIDs (domain-relative) and builtin SIDs.
RID_ADMINISTRATOR = 500
RID_GUEST = 501
RID_KRBTGT = 502
RID_DOMAIN_CONTROLLERS = 516
RID_READONLY_DOMAIN_CONTROLLERS = 521

#: The privileged groups the checks count, by well-known SID (``{domain}`` is the domain SID), never by
#: name: names are localised ("Admins du domaine").  Enterprise/Schema Admins live in the forest root
#: domain; in a child domain they are simply not found.
PRIVILEGED_GROUPS: dict[str, str] = {
    "domain_admins": "{domain}-512",
    "enterprise_admins": "{domain}-519",
    "schema_admins": "{domain}-518",
    "administrators": "S-1-5-32-544",
    "account_operators": "S-1-5-32-548",
    "server_operators": "S-1-5-32-549",
    "print_operators": "S-1-5-32-550",
    "backup_operators": "S-1-5-32-551",
}
#: Groups whose members AdminSDHolder also protects (adminCount=1 is legitimate for them), and Protected Users.
PROTECTED_GROUPS: dict[str, str] = {
    "replicator": "S-1-5-32-552",
    "domain_controllers": "{domain}-516",
    "readonly_domain_controllers": "{domain}-521",
    "key_admins": "{domain}-526",
    "enterprise_key_admins": "{domain}-527",
    "protected_users": "{domain}-525",
}
GroupKey = Literal[
    "domain_admins", "enterprise_admins", "schema_admins", "administrators", "account_operators",
    "server_operators", "print_operators", "backup_operators", "replicator", "domain_controllers",
    "readonly_domain_controllers", "key_admins", "enterprise_key_admins", "protected_users",
]

LAPS_LEGACY_ATTRIBUTE = "ms-Mcs-AdmPwdExpirationTime"
LAPS_WINDOWS_ATTRIBUTE = "msLAPS-PasswordExpirationTime"

_SERVER_OS_MARKERS = ("server", "samba", "red hat", "rhel", "centos", "ubuntu", "debian", "suse", "linux",
                      "freebsd", "truenas", "esx")


def _bounded(value: object) -> object:
    return bound_text(value) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_bounded), Field(max_length=UNTRUSTED_TEXT_MAX)]
Dn = Annotated[str, BeforeValidator(_bounded), Field(max_length=UNTRUSTED_TEXT_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdUser(_Model):
    """One user object (computers excluded): the attributes the checks need, nothing more."""

    dn: Dn
    sam_account_name: Text
    user_principal_name: Text | None = None
    #: Relative identifier (last part of objectSid): 500 Administrator, 501 Guest, 502 krbtgt.
    rid: int | None = None
    #: userAccountControl as stored; ``None`` if it could not be read.
    uac: int | None = None
    #: msDS-User-Account-Control-Computed (LOCKOUT and PASSWORD_EXPIRED are only current here).
    uac_computed: int | None = None
    pwd_last_set: dt.datetime | None = None
    #: lastLogonTimestamp (replicated; lags real logons by up to 14 days).  None: never logged on.
    last_logon: dt.datetime | None = None
    created: dt.datetime | None = None
    admin_count: bool = False
    primary_group_rid: int | None = None
    service_principal_names: tuple[Text, ...] = Field(default=(), max_length=200)

    def _flag(self, bit: int) -> bool:
        return bool(self.uac is not None and self.uac & bit)

    @property
    def enabled(self) -> bool:
        return self.uac is not None and not self.uac & UF_ACCOUNTDISABLE

    @property
    def password_never_expires(self) -> bool:
        return self._flag(UF_DONT_EXPIRE_PASSWD)

    @property
    def password_not_required(self) -> bool:
        return self._flag(UF_PASSWD_NOTREQD)

    @property
    def reversible_encryption(self) -> bool:
        return self._flag(UF_ENCRYPTED_TEXT_PWD_ALLOWED)

    @property
    def no_preauth(self) -> bool:
        return self._flag(UF_DONT_REQ_PREAUTH)

    @property
    def sensitive(self) -> bool:
        """"Account is sensitive and cannot be delegated"."""
        return self._flag(UF_NOT_DELEGATED)

    @property
    def locked_out(self) -> bool:
        return bool(self.uac_computed and self.uac_computed & UF_LOCKOUT)


class AdComputer(_Model):
    """One computer object.  Part of the cross-plugin contract: see the module docstring."""

    dn: Dn
    #: sAMAccountName without the trailing ``$`` (the NetBIOS name), e.g. ``WKS-001``.
    name: Text
    dns_host_name: Text | None = None
    operating_system: Text | None = None
    operating_system_version: Text | None = None
    uac: int | None = None
    is_domain_controller: bool = False
    last_logon: dt.datetime | None = None
    pwd_last_set: dt.datetime | None = None
    created: dt.datetime | None = None
    #: Legacy LAPS (ms-Mcs-AdmPwdExpirationTime) / Windows LAPS (msLAPS-PasswordExpirationTime) present.
    laps_legacy: bool = False
    laps_windows: bool = False
    #: Number of SPNs this computer may delegate to (constrained delegation, msDS-AllowedToDelegateTo).
    constrained_delegation_targets: int = 0
    #: Resource-based constrained delegation configured on it (msDS-AllowedToActOnBehalfOfOtherIdentity).
    resource_based_delegation: bool = False

    @property
    def enabled(self) -> bool:
        return self.uac is not None and not self.uac & UF_ACCOUNTDISABLE

    @property
    def unconstrained_delegation(self) -> bool:
        return bool(self.uac is not None and self.uac & UF_TRUSTED_FOR_DELEGATION)

    @property
    def protocol_transition(self) -> bool:
        return bool(self.uac is not None and self.uac & UF_TRUSTED_TO_AUTH_FOR_DELEGATION)

    @property
    def has_laps(self) -> bool:
        return self.laps_legacy or self.laps_windows

    @property
    def os_text(self) -> str:
        parts = [p for p in (self.operating_system, self.operating_system_version) if p]
        return " ".join(parts)

    @property
    def role(self) -> Literal["domain_controller", "server", "workstation", "unknown"]:
        """DC by account type; else ``server`` when the OS text says so (any language), else workstation."""
        if self.is_domain_controller:
            return "domain_controller"
        text = (self.operating_system or "").lower()
        if not text:
            return "unknown"
        if any(marker in text for marker in _SERVER_OS_MARKERS):
            return "server"
        return "workstation"

    def is_stale(self, now: dt.datetime, days: int = 90, lag_days: int = 14, grace_days: int = 30) -> bool:
        """Enabled but not seen for ``days`` (+ the lastLogonTimestamp lag), or never seen and not new."""
        if not self.enabled:
            return False
        if self.last_logon is None:
            return self.created is not None and (now - self.created).days > grace_days
        return (now - self.last_logon).days > days + lag_days


class AdGroup(_Model):
    """A privileged or protected group found by its well-known SID, with membership resolved.

    ``nested_members`` are the DNs of every transitive member (users, computers and groups), obtained with
    the LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) live, or by walking ``member`` in a dump.
    Membership through ``primaryGroupID`` is not in ``member``: the checks add users whose primary group
    is this group or one of ``nested_group_rids``.
    """

    key: GroupKey
    dn: Dn
    name: Text
    sid: Text
    direct_members: tuple[Dn, ...] = ()
    nested_members: tuple[Dn, ...] = ()
    nested_group_rids: tuple[int, ...] = ()

    @property
    def rid(self) -> int:
        return int(self.sid.rsplit("-", 1)[-1])


class DomainPolicy(_Model):
    """Default domain password and lockout policy.  ``None`` means the attribute could not be read.

    Durations follow the Group Policy editor's conventions: ``max_password_age_days == 0`` means
    passwords never expire; ``lockout_duration_minutes == 0`` means locked until an administrator unlocks.
    """

    min_password_length: int | None = None
    password_history: int | None = None
    max_password_age_days: float | None = None
    min_password_age_days: float | None = None
    complexity: bool | None = None
    reversible_encryption: bool | None = None
    lockout_threshold: int | None = None
    lockout_duration_minutes: float | None = None
    lockout_window_minutes: float | None = None


class PasswordSettings(_Model):
    """A fine-grained password policy (msDS-PasswordSettings object)."""

    dn: Dn
    name: Text
    precedence: int | None = None
    policy: DomainPolicy
    applies_to: tuple[Dn, ...] = ()


class DomainInfo(_Model):
    dns_name: Text
    base_dn: Dn
    sid: Text | None = None
    netbios_name: Text | None = None
    functional_level: int | None = None
    policy: DomainPolicy = Field(default_factory=DomainPolicy)


class AdEvidence(_Model):
    """Everything the account-hygiene checks evaluate, read once per audit."""

    schema_version: int = SCHEMA_VERSION
    #: When the directory was read (the reference for every age); recorded files carry their own.
    collected_at: dt.datetime | None = None
    #: The server that answered (host name), or the dump file name.
    source: Text = ""
    domain: DomainInfo
    users: tuple[AdUser, ...] = ()
    computers: tuple[AdComputer, ...] = ()
    groups: tuple[AdGroup, ...] = ()
    password_settings: tuple[PasswordSettings, ...] = ()
    #: Whether the LAPS schema extensions exist (None: unknown, e.g. a dump without the schema).
    laps_legacy_schema: bool | None = None
    laps_windows_schema: bool | None = None
    #: Attribute or area that could not be read -> why (English, technical).  Keys used by the checks:
    #: userAccountControl, pwdLastSet, lastLogonTimestamp, whenCreated, servicePrincipalName,
    #: privileged_groups, domain_policy, fine_grained_policies.
    unreadable: dict[str, Text] = Field(default_factory=dict)

    def group(self, key: str) -> AdGroup | None:
        return next((g for g in self.groups if g.key == key), None)
