"""Regenerate ad.json: the recorded AD evidence of the demo client (see ../ESTATE.md).

Run from the repository root: ``python3 samples/demo-client/account_hygiene/make_demo.py``.
The domain durand.local was created in March 2017; read on 2026-11-20T09:30:00Z with a read-only
account (so the fine-grained password policies could not be read).  Its problems, on purpose:

* stale users: stagiaire2023 (intern, last logon 2023), lucie.garnier and yann.legrand (left in 2026),
  adm.it (the previous IT provider's admin, last used in March);
* 5 Domain Admins (Administrator, adm.durand, adm.it, marie.durand's daily account, svc_backup), none
  protected, three with passwords older than a year; julien.david keeps adminCount=1 from an old project;
* svc_sql has an SPN (kerberoastable); passwords that never expire on the service and admin accounts;
  the copier account may have an empty password;
* krbtgt untouched since 2017; built-in Administrator used two days ago;
* password policy: 8 characters; lockout after 50 attempts for 5 minutes;
* LAPS (legacy on workstations, Windows LAPS on the backup server) on 6 of 11 machines;
  SRV-APP01 trusted for unconstrained delegation; WKS-OLD-03 a stale Windows 7 object.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SID = "S-1-5-21-3623811015-3361044348-30300820"
BASE = "DC=durand,DC=local"
USERS_OU = f"OU=Utilisateurs,OU=Cabinet,{BASE}"
ADMINS_OU = f"OU=Admins,OU=Cabinet,{BASE}"
SERVICES_OU = f"OU=Services,OU=Cabinet,{BASE}"

NORMAL, DISABLED, NOTREQD, DONT_EXPIRE = 0x200, 0x2, 0x20, 0x10000
WORKSTATION, SERVER_TRUST, TRUSTED_FOR_DELEGATION = 0x1000, 0x2000, 0x80000
PASSWORD_EXPIRED = 0x800000

STAFF = """marie.durand jean.martin sophie.bernard pierre.petit camille.robert luc.richard julie.moreau
nicolas.laurent claire.simon thomas.michel isabelle.lefebvre antoine.leroy nathalie.roux julien.david
celine.bertrand mathieu.morel aurelie.fournier olivier.girard sandrine.bonnet romain.dupont emilie.lambert
hugo.fontaine laura.rousseau maxime.vincent chloe.muller benoit.lefevre manon.faure sebastien.andre
elodie.mercier vincent.blanc pauline.guerin guillaume.boyer lucie.garnier francois.chevalier ines.francois
yann.legrand""".split()

#: Per-account overrides: (last logon date or None, password set date, created date).
SPECIAL = {
    "lucie.garnier": {"logon": "2026-06-30", "pwd": "2026-01-12"},
    "yann.legrand": {"logon": "2026-05-12", "pwd": "2025-12-01"},
    "julien.david": {"admin_count": True},
}


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + ("T08:15:00+00:00" if len(text) == 10 else ""))


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def user(name: str, rid: int, ou: str, *, uac: int = NORMAL, logon: str | None = "2026-11-19",
         pwd: str = "2026-09-15", created: str = "2019-09-02", spns: tuple[str, ...] = (), primary: int = 513,
         admin_count: bool = False, computed: int = 0, upn: bool = True) -> dict[str, object]:
    return {
        "dn": f"CN={name},{ou}", "sam_account_name": name,
        "user_principal_name": f"{name}@cabinet-durand.fr" if upn else None,
        "rid": rid, "uac": uac, "uac_computed": computed, "pwd_last_set": iso(when(pwd)),
        "last_logon": iso(when(logon)) if logon else None, "created": iso(when(created)),
        "admin_count": admin_count, "primary_group_rid": primary, "service_principal_names": list(spns),
    }


def computer(name: str, os: str, version: str, ou: str, *, logon: str = "2026-11-18", created: str = "2021-03-15",
             dc: bool = False, flags: int = 0, laps: str | None = None) -> dict[str, object]:
    return {
        "dn": f"CN={name},{ou}", "name": name, "dns_host_name": f"{name.lower()}.durand.local",
        "operating_system": os, "operating_system_version": version,
        "uac": (SERVER_TRUST if dc else WORKSTATION) | flags, "is_domain_controller": dc,
        "last_logon": iso(when(logon)), "pwd_last_set": iso(when(logon) - dt.timedelta(days=12)),
        "created": iso(when(created)), "laps_legacy": laps == "legacy", "laps_windows": laps == "windows",
        "constrained_delegation_targets": 0, "resource_based_delegation": False,
    }


def build() -> dict[str, object]:
    users = [
        user("Administrator", 500, f"CN=Users,{BASE}", uac=NORMAL | DONT_EXPIRE, logon="2026-11-18",
             pwd="2017-03-02", created="2017-03-02", admin_count=True, upn=False),
        user("Guest", 501, f"CN=Users,{BASE}", uac=NORMAL | DISABLED | NOTREQD | DONT_EXPIRE, logon=None,
             pwd="2017-03-02", created="2017-03-02", primary=514, upn=False),
        user("krbtgt", 502, f"CN=Users,{BASE}", uac=NORMAL | DISABLED, logon=None, pwd="2017-03-02",
             created="2017-03-02", spns=("kadmin/changepw",), admin_count=True, upn=False),
        user("adm.durand", 1103, ADMINS_OU, logon="2026-11-10", pwd="2026-02-10", created="2017-03-06",
             admin_count=True),
        user("adm.it", 1104, ADMINS_OU, uac=NORMAL | DONT_EXPIRE, logon="2026-03-10", pwd="2019-06-14",
             created="2017-03-06", admin_count=True),
        user("svc_sql", 1105, SERVICES_OU, uac=NORMAL | DONT_EXPIRE, logon="2026-11-19", pwd="2018-11-05",
             created="2018-11-05", spns=("MSSQLSvc/srv-app01.durand.local:1433", "MSSQLSvc/srv-app01.durand.local")),
        user("svc_backup", 1106, SERVICES_OU, uac=NORMAL | DONT_EXPIRE, logon="2026-11-20", pwd="2020-09-01",
             created="2020-09-01", admin_count=True),
        user("scanner", 1107, SERVICES_OU, uac=NORMAL | NOTREQD | DONT_EXPIRE, logon="2026-11-19",
             pwd="2019-01-21", created="2019-01-21"),
        user("stagiaire2023", 1108, USERS_OU, logon="2023-08-25", pwd="2023-06-26", created="2023-06-26",
             computed=PASSWORD_EXPIRED),
    ]
    for index, name in enumerate(STAFF):
        special = SPECIAL.get(name, {})
        created = "2017-03-13" if index < 20 else f"{2018 + index % 7}-0{1 + index % 9}-1{index % 10}"
        logon = special.get("logon", f"2026-11-{20 - (index % 7):02d}" if index % 7 else "2026-11-20")
        users.append(user(name, 1120 + index, USERS_OU, logon=logon, pwd=special.get("pwd", f"2026-{1 + index % 10:02d}-0{1 + index % 9}"),
                          created=created, admin_count=bool(special.get("admin_count")),
                          computed=PASSWORD_EXPIRED if name in ("lucie.garnier", "yann.legrand") else 0))
    servers = f"OU=Serveurs,OU=Cabinet,{BASE}"
    postes = f"OU=Postes,OU=Cabinet,{BASE}"
    dcs = f"OU=Domain Controllers,{BASE}"
    computers = [
        computer("DC01", "Windows Server 2019 Standard", "10.0 (17763)", dcs, logon="2026-11-15", created="2017-03-02",
                 dc=True, flags=TRUSTED_FOR_DELEGATION),
        computer("DC02", "Windows Server 2022 Standard", "10.0 (20348)", dcs, logon="2026-11-14", created="2023-02-20",
                 dc=True, flags=TRUSTED_FOR_DELEGATION),
        computer("SRV-FILE01", "Windows Server 2012 R2 Standard", "6.3 (9600)", servers, created="2017-04-03"),
        computer("SRV-APP01", "Windows Server 2016 Standard", "10.0 (14393)", servers, created="2018-11-05",
                 flags=TRUSTED_FOR_DELEGATION),
        computer("SRV-BACKUP01", "Windows Server 2022 Standard", "10.0 (20348)", servers, created="2024-05-13",
                 laps="windows"),
        computer("WKS-001", "Windows 11 Professionnel", "10.0 (26100)", postes, logon="2026-11-19", laps="legacy"),
        computer("WKS-002", "Windows 11 Professionnel", "10.0 (22631)", postes, logon="2026-11-19", laps="legacy"),
        computer("WKS-003", "Windows 10 Professionnel", "10.0 (19045)", postes, logon="2026-11-19"),
        computer("WKS-004", "Windows 10 Professionnel", "10.0 (19045)", postes, logon="2026-11-17"),
        computer("WKS-005", "Windows 11 Professionnel", "10.0 (26100)", postes, logon="2026-11-19", laps="legacy"),
        computer("WKS-006", "Windows 11 Professionnel", "10.0 (26100)", postes, logon="2026-11-20", laps="legacy"),
        computer("LAP-007", "Windows 11 Professionnel", "10.0 (26100)", postes, logon="2026-11-13", laps="legacy"),
        computer("LAP-008", "Windows 10 Professionnel", "10.0 (19045)", postes, logon="2026-10-09"),
        computer("WKS-OLD-03", "Windows 7 Professionnel", "6.1 (7601)", postes, logon="2023-06-12",
                 created="2017-05-22"),
    ]
    dn = {u["sam_account_name"]: u["dn"] for u in users}
    admins = ["Administrator", "adm.durand", "adm.it", "marie.durand", "svc_backup"]
    da_dn = f"CN=Domain Admins,CN=Users,{BASE}"
    ea_dn = f"CN=Enterprise Admins,CN=Users,{BASE}"

    def group(key: str, name: str, sid: str, direct: list[str], nested: list[str], rids: tuple[int, ...] = (),
              container: str = f"CN=Users,{BASE}") -> dict[str, object]:
        return {"key": key, "dn": f"CN={name},{container}", "name": name, "sid": sid,
                "direct_members": sorted(direct), "nested_members": sorted(nested), "nested_group_rids": list(rids)}

    builtin = f"CN=Builtin,{BASE}"
    groups = [
        group("domain_admins", "Domain Admins", f"{SID}-512", [dn[a] for a in admins], [dn[a] for a in admins]),
        group("enterprise_admins", "Enterprise Admins", f"{SID}-519", [dn["Administrator"]], [dn["Administrator"]]),
        group("schema_admins", "Schema Admins", f"{SID}-518", [dn["Administrator"]], [dn["Administrator"]]),
        group("administrators", "Administrators", "S-1-5-32-544", [da_dn, ea_dn, dn["Administrator"]],
              [da_dn, ea_dn, *[dn[a] for a in admins]], (512, 519), container=builtin),
        group("account_operators", "Account Operators", "S-1-5-32-548", [], [], container=builtin),
        group("server_operators", "Server Operators", "S-1-5-32-549", [], [], container=builtin),
        group("print_operators", "Print Operators", "S-1-5-32-550", [], [], container=builtin),
        group("backup_operators", "Backup Operators", "S-1-5-32-551", [], [], container=builtin),
        group("replicator", "Replicator", "S-1-5-32-552", [], [], container=builtin),
        group("domain_controllers", "Domain Controllers", f"{SID}-516", [], []),
        group("protected_users", "Protected Users", f"{SID}-525", [], []),
    ]
    return {
        "schema_version": 1,
        "collected_at": iso(NOW),
        "source": "dc01.durand.local",
        "domain": {
            "dns_name": "durand.local", "base_dn": BASE, "sid": SID, "netbios_name": "DURAND", "functional_level": 7,
            "policy": {"min_password_length": 8, "password_history": 24, "max_password_age_days": 90.0,
                       "min_password_age_days": 1.0, "complexity": True, "reversible_encryption": False,
                       "lockout_threshold": 50, "lockout_duration_minutes": 5.0, "lockout_window_minutes": 5.0},
        },
        "users": sorted(users, key=lambda u: str(u["sam_account_name"]).lower()),
        "computers": sorted(computers, key=lambda c: str(c["name"]).lower()),
        "groups": sorted(groups, key=lambda g: str(g["key"])),
        "password_settings": [],
        "laps_legacy_schema": True,
        "laps_windows_schema": True,
        "unreadable": {"fine_grained_policies": "the Password Settings Container is not readable by this account "
                                                "(by default only Domain Admins can read fine-grained password "
                                                "policies)"},
    }


if __name__ == "__main__":
    target = Path(__file__).with_name("ad.json")
    target.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target}")
