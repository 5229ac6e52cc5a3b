"""Hand-built AD evidence for the account-hygiene unit tests (no directory needed)."""

from __future__ import annotations

import datetime as dt

from auditor_plugins.account_hygiene.evidence import (
    UF_ACCOUNTDISABLE,
    UF_NORMAL_ACCOUNT,
    UF_SERVER_TRUST_ACCOUNT,
    UF_WORKSTATION_TRUST_ACCOUNT,
    AdComputer,
    AdEvidence,
    AdGroup,
    AdUser,
    DomainInfo,
    DomainPolicy,
)

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SID = "S-1-5-21-100-200-300"
BASE = "DC=corp,DC=example"


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def user(name: str, *, rid: int | None = None, flags: int = 0, disabled: bool = False, logon: float | None = 1,
         created: float = 400, pwd: float = 30, spns: tuple[str, ...] = (), primary: int = 513,
         admin_count: bool = False) -> AdUser:
    uac = UF_NORMAL_ACCOUNT | flags | (UF_ACCOUNTDISABLE if disabled else 0)
    return AdUser(dn=f"CN={name},CN=Users,{BASE}", sam_account_name=name, rid=rid, uac=uac, uac_computed=0,
                  pwd_last_set=ago(pwd), last_logon=None if logon is None else ago(logon), created=ago(created),
                  admin_count=admin_count, primary_group_rid=primary, service_principal_names=spns)


def computer(name: str, os: str | None = "Windows 11 Pro", *, dc: bool = False, flags: int = 0, disabled: bool = False,
             logon: float | None = 1, created: float = 300, laps: str | None = None) -> AdComputer:
    base_flag = UF_SERVER_TRUST_ACCOUNT if dc else UF_WORKSTATION_TRUST_ACCOUNT
    return AdComputer(dn=f"CN={name},CN=Computers,{BASE}", name=name, dns_host_name=f"{name.lower()}.corp.example",
                      operating_system=os, uac=base_flag | flags | (UF_ACCOUNTDISABLE if disabled else 0),
                      is_domain_controller=dc, last_logon=None if logon is None else ago(logon), created=ago(created),
                      laps_legacy=laps == "legacy", laps_windows=laps == "windows")


def group(key: str, rid_or_sid: int | str, members: list[str], *, nested_rids: tuple[int, ...] = (),
          name: str | None = None) -> AdGroup:
    group_sid = rid_or_sid if isinstance(rid_or_sid, str) else f"{SID}-{rid_or_sid}"
    dns = tuple(m if "=" in m else f"CN={m},CN=Users,{BASE}" for m in members)
    return AdGroup(key=key, dn=f"CN={name or key},CN=Users,{BASE}", name=name or key, sid=group_sid,  # type: ignore[arg-type]
                   direct_members=dns, nested_members=dns, nested_group_rids=nested_rids)


GOOD_POLICY = DomainPolicy(min_password_length=14, password_history=24, max_password_age_days=365,
                           min_password_age_days=1, complexity=True, reversible_encryption=False, lockout_threshold=5,
                           lockout_duration_minutes=30, lockout_window_minutes=30)


def evidence(users: list[AdUser] = (), computers: list[AdComputer] = (), groups: list[AdGroup] = (),  # type: ignore[assignment]
             policy: DomainPolicy = GOOD_POLICY, **extra: object) -> AdEvidence:
    defaults = [user("Administrator", rid=500, logon=100), user("Guest", rid=501, disabled=True, logon=None),
                user("krbtgt", rid=502, disabled=True, logon=None, pwd=30)]
    names = {u.sam_account_name for u in users}
    all_users = [u for u in defaults if u.sam_account_name not in names] + list(users)
    all_groups = list(groups) or [group("domain_admins", 512, ["Administrator"])]
    values: dict[str, object] = {
        "collected_at": NOW, "source": "dc01.corp.example",
        "domain": DomainInfo(dns_name="corp.example", base_dn=BASE, sid=SID, policy=policy),
        "users": tuple(all_users), "computers": tuple(computers), "groups": tuple(all_groups),
        "laps_legacy_schema": True, "laps_windows_schema": True,
    }
    values.update(extra)
    return AdEvidence(**values)  # type: ignore[arg-type]
