"""A real Samba Active Directory domain controller for the test suite, on loopback only.

This is the ONE place that provisions a Samba AD DC for the whole suite (account hygiene, patch level...).
Nothing here touches /etc/samba or any system state: the DC lives in a temporary directory with its own
smb.conf, its own private/state/lock/pid directories and its own TLS certificates (a throwaway CA and a
server certificate naming ``dc1.testlab.example`` and the loopback address it listens on).

Why it is built the way it is:

* **Loopback only.** The DC listens on two addresses of 127.0.0.0/8 chosen at run time (``interfaces`` +
  ``bind interfaces only``); the LDAP ports are fixed by Samba (389/636), so the *address* is what we pick
  free.  The second address is deliberately *not* in the certificate, so a test can connect to it and see
  certificate-name validation fail.
* **Ageing by construction.** ``pwdLastSet`` cannot be written over LDAP, so the domain is provisioned
  and seeded *while the DC is stopped*, by Samba's own Python bindings against the local ``sam.ldb``,
  under ``faketime`` (one run per creation date).  The domain itself is provisioned 1,100 days in the
  past, so krbtgt and the built-in Administrator have genuinely old passwords.  ``whenCreated`` is
  stamped from the real clock even under faketime, so it is backdated locally with the relax control.
  ``lastLogonTimestamp`` is written afterwards over LDAP by the administrator, as the design says.
* **Schema.** The legacy and Windows LAPS expiration attributes are added to the schema (as their
  installers do), so LAPS coverage is read from real attributes.
* **Once per session.** Provisioning + seeding + start takes ~10-20 s; the fixture is session-scoped.
* **Secrets.** The administrator and reader passwords are generated per run and never printed: failure
  messages are scrubbed of them.

Fixture API (session scope unless stated)
------------------------------------------
``samba_ad`` -> :class:`SambaAD`, a started, seeded DC.  Useful attributes:

* ``url`` (``ldaps://127.0.42.x``), ``starttls_url`` (``ldap://127.0.42.x``), ``host`` (the IP),
  ``mismatch_host`` (an address the DC also listens on that is NOT in its certificate)
* ``base_dn`` (``DC=testlab,DC=example``), ``realm``, ``dns_domain``, ``netbios_domain``, ``domain_sid``
* ``admin_dn`` / ``admin_upn`` / ``admin_password`` (Administrator; throwaway, per run)
* ``reader_dn`` / ``reader_upn`` / ``reader_password`` (``auditor.ro``, an ordinary user: what an MSP gets)
* ``ca_file`` (PEM of the CA that signed the DC certificate), ``cert_name`` (``dc1.testlab.example``)
* ``seeded_at`` (timezone-aware datetime all seeded ages are relative to)
* ``add_computer(name, operating_system=..., operating_system_version=..., dns_host_name=...,
  last_logon_days_ago=..., enabled=..., ou=...)`` -> DN, over LDAP as admin; ``delete(dn)``
* ``extra_computers(specs)``: context manager adding computers and deleting them on exit.

``samba_ad_computers`` (function scope): a callable ``add(name, **kwargs) -> dn``; everything it added is
deleted after the test.  Other tests assert exact sets of accounts and computers, so ALWAYS clean up.

Scripts (the benchmark) use :class:`SambaDomain` directly: ``provision()``, ``bulk_load_ldif(text)`` /
``run_ops(...)`` while stopped, ``start()``, ``stop()``.

The seeded domain (what is wrong with it is known by construction) is described by ``USERS``,
``COMPUTERS`` and the constants below; tests/plugins/account_hygiene asserts the exact findings.

Requirements: Debian packages ``samba``, ``samba-ad-dc``, ``python3-samba`` (pulled in by samba),
``faketime``, ``openssl``, ``ldap-utils`` (ldapsearch: one test and the benchmark), and root
(Samba binds the privileged LDAP ports).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REALM = "TESTLAB.EXAMPLE"
DNS_DOMAIN = "testlab.example"
NETBIOS_DOMAIN = "TESTLAB"
BASE_DN = "DC=testlab,DC=example"
DC_NAME = "DC1"
CERT_NAME = "dc1.testlab.example"
#: The domain is provisioned this many days before the run (krbtgt/Administrator password age).
DOMAIN_AGE_DAYS = 1100
SYSTEM_PYTHON = "/usr/bin/python3"  # Samba's Python bindings are built for the distribution's Python

UF_ACCOUNTDISABLE = 0x2
UF_PASSWD_NOTREQD = 0x20
UF_ENCRYPTED_TEXT_PWD_ALLOWED = 0x80
UF_NORMAL_ACCOUNT = 0x200
UF_WORKSTATION_TRUST_ACCOUNT = 0x1000
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_TRUSTED_FOR_DELEGATION = 0x80000
UF_NOT_DELEGATED = 0x100000
UF_DONT_REQ_PREAUTH = 0x400000


@dataclass(frozen=True)
class SeedUser:
    """One seeded user.  ``created_days_ago=None`` means created at run time (not under faketime)."""

    name: str
    created_days_ago: int | None = None
    last_logon_days_ago: int | None = None
    flags: int = 0
    groups: tuple[str, ...] = ()
    spns: tuple[str, ...] = ()
    primary_group: str | None = None
    admin_count: bool = False


@dataclass(frozen=True)
class SeedComputer:
    name: str
    operating_system: str | None
    operating_system_version: str | None = None
    created_days_ago: int | None = None
    last_logon_days_ago: int | None = None
    flags: int = 0
    laps: str | None = None  # "legacy" (ms-Mcs-AdmPwdExpirationTime) or "windows" (msLAPS-PasswordExpirationTime)


#: Extra groups created in the domain.  IT-Admins is nested in Domain Admins.
GROUPS: dict[str, tuple[str, ...]] = {"IT-Admins": ("Domain Admins",), "Legacy-Apps": ()}

USERS: tuple[SeedUser, ...] = (
    SeedUser("auditor.ro"),  # the read-only account the plugin binds with
    SeedUser("alice.martin", 400, 2),
    SeedUser("bob.durand", 400, 10),
    SeedUser("carla.petit", 400, 200),  # stale
    SeedUser("david.roux", 400, 100),  # 100 days: within the 90 + 14 days lastLogonTimestamp allowance
    SeedUser("stagiaire2023", 500, None),  # never logged on, 500 days old
    SeedUser("new.hire", None, None),  # never logged on, but created today
    SeedUser("emma.left", 700, 400, flags=UF_ACCOUNTDISABLE | UF_DONT_REQ_PREAUTH),  # disabled: never reported
    SeedUser("svc_sql", 800, 1, flags=UF_DONT_EXPIRE_PASSWD, spns=("MSSQLSvc/sql01.testlab.example:1433",)),
    SeedUser("svc_web", 300, 3, spns=("HTTP/intranet.testlab.example",)),
    SeedUser("svc_backup", 800, 1, flags=UF_DONT_EXPIRE_PASSWD, groups=("Backup Operators",)),
    SeedUser("adm.alice", 500, 1, groups=("Domain Admins",)),
    SeedUser("adm.bob", None, 1, flags=UF_NOT_DELEGATED, groups=("IT-Admins",),
             spns=("HTTP/admin-tools.testlab.example",)),
    SeedUser("adm.carol", None, 5, groups=("Domain Admins", "Protected Users"), primary_group="Domain Admins"),
    SeedUser("old.admin", 600, 30, admin_count=True),  # orphaned adminCount=1
    SeedUser("scanner", 600, 2, flags=UF_PASSWD_NOTREQD),
    SeedUser("legacy.app", 600, 20, flags=UF_ENCRYPTED_TEXT_PWD_ALLOWED, groups=("Legacy-Apps",)),
    SeedUser("asrep.user", 200, 4, flags=UF_DONT_REQ_PREAUTH),
)

COMPUTERS: tuple[SeedComputer, ...] = (
    SeedComputer("SRV-FILE01", "Windows Server 2019 Standard", "10.0 (17763)", 700, 1, laps="legacy"),
    SeedComputer("SRV-APP01", "Windows Server 2016 Standard", "10.0 (14393)", 700, 2,
                 flags=UF_TRUSTED_FOR_DELEGATION),
    SeedComputer("WKS-001", "Windows 11 Professionnel", "10.0 (26100)", 300, 1, laps="windows"),
    SeedComputer("WKS-002", "Windows 10 Pro", "10.0 (19045)", 300, 3),
    SeedComputer("WKS-OLD-03", "Windows 7 Professionnel", "6.1 (7601)", 1000, 400),  # stale
    SeedComputer("LAP-OLD-01", "Windows 10 Pro", "10.0 (19045)", 300, None),  # never logged on, 300 days
    SeedComputer("WKS-NEW-09", "Windows 11 Pro", "10.0 (26100)", None, None),  # brand new
    SeedComputer("WKS-DIS-05", "Windows 8.1 Pro", "6.3 (9600)", 800, 500, flags=UF_ACCOUNTDISABLE),
)

#: Domain policy as seeded: Samba's defaults except these (weak on purpose).
DOMAIN_POLICY = {"minPwdLength": 7, "lockoutThreshold": 0, "pwdHistoryLength": 24}
#: One weak fine-grained password policy applied to Legacy-Apps.
PSO = {"name": "PSO-Legacy", "precedence": 10, "min_length": 4, "lockout_threshold": 0, "applies_to": "Legacy-Apps"}


# --------------------------------------------------------------------------------------------------
# The seeding script, run with Samba's own Python against the local sam.ldb (DC stopped), optionally
# under faketime.  It reads a JSON list of operations on stdin.
# --------------------------------------------------------------------------------------------------
_SEED_SCRIPT = r'''
import base64, json, sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

spec = json.load(sys.stdin)
lp = LoadParm()
lp.load(spec["smbconf"])
lp.set("dsdb:schema update allowed", "true")
db = SamDB(url=spec["samldb"], session_info=system_session(), lp=lp)
base = str(db.domain_dn())
schema = str(db.get_schema_basedn())
# One transaction per batch: ldb's in-transaction index cost grows with the transaction's size, so bulk
# loads are cut into batches of ~1,000 entries (ops flagged "commit").
db.transaction_start()
try:
    for op in spec["ops"]:
        text = op["ldif"].replace("${BASE}", base).replace("${SCHEMA}", schema)
        if op["kind"] == "add":
            db.add_ldif(text, controls=op.get("controls", []))
        elif op["kind"] == "modify":
            db.modify_ldif(text, controls=op.get("controls", []))
        elif op["kind"] == "delete":
            db.delete(text)
        if op.get("commit"):
            db.transaction_commit()
            db.transaction_start()
    db.transaction_commit()
except Exception:
    db.transaction_cancel()
    raise
'''


def samba_missing_reason() -> str | None:
    """Why the Samba DC cannot run here, or None if it can."""
    for binary in ("samba", "samba-tool", "faketime", "openssl"):
        if shutil.which(binary) is None:
            return f"'{binary}' is not installed (Debian packages samba, samba-ad-dc, faketime, openssl)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} (with python3-samba) is not installed"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import samba.samdb, ldb"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "Samba's Python bindings (python3-samba) are not importable"
    if os.geteuid() != 0:
        return "the Samba DC must bind the privileged LDAP ports 389/636 (run the tests as root, as CI does)"
    return None


def filetime(moment: dt.datetime) -> int:
    """AD's 100-ns intervals since 1601-01-01 (lastLogonTimestamp, pwdLastSet...)."""
    epoch = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
    return int((moment - epoch).total_seconds() * 10_000_000)


def generate_password() -> str:
    """A throwaway password meeting AD complexity (upper, lower, digit, symbol)."""
    return "Tq7#" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def _address_free(address: str) -> bool:
    for port in (389, 636, 3268, 3269):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


def pick_loopback_pair() -> tuple[str, str]:
    """Two free loopback addresses (127.0.42.x and the next one) for the DC's LDAP ports."""
    for last in range(11, 250, 2):
        first, second = f"127.0.42.{last}", f"127.0.42.{last + 1}"
        if _address_free(first) and _address_free(second):
            return first, second
    raise RuntimeError("no loopback address in 127.0.42.0/24 has the LDAP ports 389/636/3268/3269 free for the "
                       "Samba DC: is a system LDAP server (slapd, samba) listening on all addresses? Stop it.")


def _write_certificates(directory: Path, dns_name: str, ip: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate naming dns_name and ip (never the DC's second address).

    Made with the ``openssl`` command (always present where Samba is), so the suite needs no extra Python
    package; keys are P-256, valid for a week.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_path = directory / "ca.key", directory / "ca.pem"
    key_path, csr_path, cert_path = directory / "key.pem", directory / "server.csr", directory / "cert.pem"
    extensions = directory / "server.ext"
    extensions.write_text(f"subjectAltName=DNS:{dns_name},IP:{ip}\nextendedKeyUsage=serverAuth\n"
                          "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    commands = [
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(ca_key), "-out", str(ca_path), "-days", "7", "-subj", "/CN=Auditor test suite CA",
         "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key_path), "-out", str(csr_path), "-subj", f"/CN={dns_name}"],
        ["openssl", "x509", "-req", "-in", str(csr_path), "-CA", str(ca_path), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(cert_path), "-days", "7", "-extfile", str(extensions)],
    ]
    for command in commands:
        result = subprocess.run(command, capture_output=True, check=False, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"openssl failed: {result.stderr.decode(errors='replace')[-500:]}")
    key_path.chmod(0o600)
    ca_key.unlink()
    return ca_path, cert_path, key_path


def _unicode_pwd(password: str) -> str:
    import base64

    return base64.b64encode(f'"{password}"'.encode("utf-16-le")).decode()


@dataclass
class SambaDomain:
    """A provisioned Samba AD domain in a directory: provision, seed (DC stopped), start, stop.

    Usable without pytest (the benchmark uses it).  Call :meth:`provision`, any number of :meth:`run_ops`
    / :meth:`bulk_load_ldif`, then :meth:`start`; :meth:`stop` at the end.
    """

    workdir: Path
    host: str = ""
    mismatch_host: str = ""
    admin_password: str = field(default_factory=generate_password, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    ca_file: Path | None = None

    @property
    def smbconf(self) -> Path:
        return self.workdir / "etc" / "smb.conf"

    @property
    def samldb(self) -> Path:
        return self.workdir / "private" / "sam.ldb"

    def _scrub(self, text: str) -> str:
        return text.replace(self.admin_password, "***") if self.admin_password else text

    def _run(self, args: Sequence[str], *, at: dt.datetime | None = None, stdin: str | None = None,
             timeout: float = 300) -> None:
        command = list(args)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if at is not None:
            command = ["faketime", at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), *command]
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            env["TZ"] = "UTC"
        result = subprocess.run(command, input=stdin.encode() if stdin is not None else None, env=env,
                                capture_output=True, timeout=timeout, check=False)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).decode(errors="replace")[-3000:]
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {self._scrub(tail)}")

    def provision(self, *, at: dt.datetime | None = None) -> None:
        """Provision the domain in ``workdir`` (optionally as of a past date) with our own smb.conf."""
        if not self.host:
            self.host, self.mismatch_host = pick_loopback_pair()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._run(["samba-tool", "domain", "provision", f"--realm={REALM}", f"--domain={NETBIOS_DOMAIN}",
                   "--server-role=dc", "--dns-backend=NONE", f"--host-name={DC_NAME.lower()}",
                   f"--host-ip={self.host}", f"--targetdir={self.workdir}",
                   f"--adminpass={self.admin_password}", "--option=interfaces=lo",
                   "--option=bind interfaces only=yes"], at=at)
        tls = self.workdir / "tls"
        self.ca_file, cert, key = _write_certificates(tls, CERT_NAME, self.host)
        run = self.workdir / "run"
        for sub in ("run", "cache", "state", "run/ncalrpc", "run/winbindd"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        run.chmod(0o755)
        w = self.workdir
        self.smbconf.write_text(
            "[global]\n"
            f"\tnetbios name = {DC_NAME}\n\trealm = {REALM}\n\tworkgroup = {NETBIOS_DOMAIN}\n"
            "\tserver role = active directory domain controller\n"
            "\tserver services = ldap\n"
            f"\tinterfaces = {self.host}/8 {self.mismatch_host}/8\n\tbind interfaces only = yes\n"
            f"\tprivate dir = {w}/private\n\tlock directory = {w}\n\tstate directory = {w}/state\n"
            f"\tcache directory = {w}/cache\n\tpid directory = {run}\n\tncalrpc dir = {run}/ncalrpc\n"
            f"\twinbindd socket directory = {run}/winbindd\n\tbinddns dir = {w}/bind-dns\n"
            f"\tlog file = {w}/samba.log\n\tlog level = 1\n\tlogging = file\n"
            "\ttls enabled = yes\n"
            f"\ttls keyfile = {key}\n\ttls certfile = {cert}\n\ttls cafile = {self.ca_file}\n"
            "\tldap server require strong auth = yes\n"
            "\tcheck password script =\n"
        )

    def run_ops(self, ops: list[dict[str, Any]], *, at: dt.datetime | None = None) -> None:
        """Apply LDIF operations to the local sam.ldb in one transaction (the DC must be stopped)."""
        if self.process is not None:
            raise RuntimeError("stop the DC before writing to its sam.ldb")
        if not ops:
            return
        spec = {"smbconf": str(self.smbconf), "samldb": str(self.samldb), "ops": ops}
        self._run([SYSTEM_PYTHON, "-c", _SEED_SCRIPT], at=at, stdin=json.dumps(spec), timeout=3600)

    def bulk_load_ldif(self, ldif: str, *, at: dt.datetime | None = None, batch: int = 1000) -> None:
        """Add many entries from one LDIF text, in one process, committing every ``batch`` entries.

        Entries are separated by blank lines.  (ldb's cost per add grows with the size of the current
        transaction, so 12,000 entries in one transaction take many minutes, in batches about one.)
        """
        entries = [entry for entry in ldif.split("\n\n") if entry.strip()]
        ops = [{"kind": "add", "ldif": "\n\n".join(entries[i:i + batch]) + "\n", "commit": True}
               for i in range(0, len(entries), batch)]
        self.run_ops(ops, at=at)

    def start(self, timeout: float = 60) -> None:
        """Start ``samba -i`` in the foreground (single process) and wait until LDAPS answers."""
        log = (self.workdir / "samba.stdout").open("ab")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            ["samba", "-i", "-M", "single", "-s", str(self.smbconf)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env,
        )
        log.close()
        atexit.register(self.stop)  # even if the session is interrupted, never leave a DC behind
        deadline = time.monotonic() + timeout
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.check_hostname = False
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (self.workdir / "samba.stdout").read_text(errors="replace")[-3000:]
                self.process = None
                raise RuntimeError(f"samba exited during start-up: {self._scrub(output)}")
            try:
                with socket.create_connection((self.host, 636), timeout=1) as raw, \
                        context.wrap_socket(raw, server_hostname=CERT_NAME):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Samba DC did not answer on ldaps://{self.host} within {timeout:g} s")

    def stop(self) -> None:
        """Stop the DC we started (by its process handle only)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _when_created_op(dn: str, created: dt.datetime | None) -> list[dict[str, Any]]:
    """Samba stamps whenCreated with the real clock even under faketime: backdate it (relax control)."""
    if created is None:
        return []
    stamp = created.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S.0Z")
    return [{"kind": "modify", "controls": ["relax:0"],
             "ldif": f"dn: {dn}\nchangetype: modify\nreplace: whenCreated\nwhenCreated: {stamp}\n"}]


def _user_ops(user: SeedUser, password: str, created: dt.datetime | None = None) -> list[dict[str, Any]]:
    dn = f"CN={user.name},CN=Users,${{BASE}}"
    uac = UF_NORMAL_ACCOUNT | user.flags
    lines = [f"dn: {dn}", "objectClass: user", f"sAMAccountName: {user.name}",
             f"userPrincipalName: {user.name}@{DNS_DOMAIN}", f"displayName: {user.name}",
             f"unicodePwd:: {_unicode_pwd(password)}", f"userAccountControl: {uac}"]
    lines += [f"servicePrincipalName: {spn}" for spn in user.spns]
    ops: list[dict[str, Any]] = [{"kind": "add", "ldif": "\n".join(lines) + "\n"}, *_when_created_op(dn, created)]
    if user.admin_count:
        ops.append({"kind": "modify", "ldif": f"dn: {dn}\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n"})
    return ops


def _group_dn(name: str) -> str:
    builtin = {"Backup Operators", "Administrators", "Account Operators", "Server Operators", "Print Operators"}
    return f"CN={name},CN={'Builtin' if name in builtin else 'Users'},${{BASE}}"


def _computer_ops(computer: SeedComputer, created: dt.datetime | None = None) -> list[dict[str, Any]]:
    dn = f"CN={computer.name},CN=Computers,${{BASE}}"
    lines = [f"dn: {dn}", "objectClass: computer", f"sAMAccountName: {computer.name}$",
             f"dNSHostName: {computer.name.lower()}.{DNS_DOMAIN}",
             f"userAccountControl: {UF_WORKSTATION_TRUST_ACCOUNT | computer.flags}"]
    if computer.operating_system:
        lines.append(f"operatingSystem: {computer.operating_system}")
    if computer.operating_system_version:
        lines.append(f"operatingSystemVersion: {computer.operating_system_version}")
    return [{"kind": "add", "ldif": "\n".join(lines) + "\n"}, *_when_created_op(dn, created)]


def _laps_schema_ops() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Extend the schema with the legacy and Windows LAPS expiration attributes (as their installers do)."""
    attributes = [
        ("ms-Mcs-AdmPwdExpirationTime", "1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2"),
        ("msLAPS-PasswordExpirationTime", "1.2.840.113556.1.6.2.1"),
    ]
    ops: list[dict[str, Any]] = []
    for name, oid in attributes:
        ops.append({"kind": "add", "ldif": (
            f"dn: CN={name},${{SCHEMA}}\nobjectClass: attributeSchema\ncn: {name}\nlDAPDisplayName: {name}\n"
            f"attributeID: {oid}\nattributeSyntax: 2.5.5.16\noMSyntax: 65\nisSingleValued: TRUE\n"
            "searchFlags: 0\n"
        )})
    class_ops: list[dict[str, Any]] = [{"kind": "modify", "ldif": (
        "dn: CN=Computer,${SCHEMA}\nchangetype: modify\nadd: mayContain\n"
        + "".join(f"mayContain: {name}\n" for name, _ in attributes)
    )}]
    return ops, class_ops


@dataclass
class SambaAD:
    """A running, seeded Samba AD DC, as handed to tests (see the module docstring)."""

    domain: SambaDomain
    reader_password: str = field(repr=False)
    seeded_at: dt.datetime
    domain_sid: str = ""
    realm: str = REALM
    dns_domain: str = DNS_DOMAIN
    netbios_domain: str = NETBIOS_DOMAIN
    base_dn: str = BASE_DN
    cert_name: str = CERT_NAME

    @property
    def host(self) -> str:
        return self.domain.host

    @property
    def mismatch_host(self) -> str:
        return self.domain.mismatch_host

    @property
    def url(self) -> str:
        return f"ldaps://{self.host}"

    @property
    def starttls_url(self) -> str:
        return f"ldap://{self.host}"

    @property
    def ca_file(self) -> Path:
        assert self.domain.ca_file is not None
        return self.domain.ca_file

    @property
    def admin_password(self) -> str:
        return self.domain.admin_password

    admin_dn: str = f"CN=Administrator,CN=Users,{BASE_DN}"
    admin_upn: str = f"Administrator@{DNS_DOMAIN}"
    reader_dn: str = f"CN=auditor.ro,CN=Users,{BASE_DN}"
    reader_upn: str = f"auditor.ro@{DNS_DOMAIN}"

    def admin_connection(self) -> Any:
        """An ldap3 connection bound as Administrator over LDAPS (for fixtures that write, never the plugin)."""
        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file))
        server = ldap3.Server(self.host, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE, connect_timeout=10)
        return ldap3.Connection(server, user=self.admin_upn, password=self.admin_password, auto_bind=True,
                                raise_exceptions=True, receive_timeout=30)

    def add_computer(self, name: str, *, operating_system: str | None = None,
                     operating_system_version: str | None = None, dns_host_name: str | None = None,
                     last_logon_days_ago: float | None = None, enabled: bool = True,
                     ou: str = "CN=Computers") -> str:
        """Create a computer object over LDAP (as admin); returns its DN.  Remember to :meth:`delete` it."""
        dn = f"CN={name},{ou},{self.base_dn}"
        attributes: dict[str, Any] = {
            "objectClass": ["computer"], "sAMAccountName": f"{name}$",
            "userAccountControl": str(UF_WORKSTATION_TRUST_ACCOUNT | (0 if enabled else UF_ACCOUNTDISABLE)),
            "dNSHostName": dns_host_name or f"{name.lower()}.{self.dns_domain}",
        }
        if operating_system:
            attributes["operatingSystem"] = operating_system
        if operating_system_version:
            attributes["operatingSystemVersion"] = operating_system_version
        connection = self.admin_connection()
        try:
            connection.add(dn, attributes=attributes)
            if last_logon_days_ago is not None:
                moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=last_logon_days_ago)
                connection.modify(dn, {"lastLogonTimestamp": [("MODIFY_REPLACE", [str(filetime(moment))])]})
        finally:
            connection.unbind()
        return dn

    def delete(self, dn: str) -> None:
        connection = self.admin_connection()
        try:
            connection.delete(dn)
        finally:
            connection.unbind()

    @contextlib.contextmanager
    def extra_computers(self, specs: Sequence[dict[str, Any]]) -> Iterator[list[str]]:
        """Add computers (each a dict of :meth:`add_computer` arguments) for the duration of a block."""
        added: list[str] = []
        try:
            for spec in specs:
                added.append(self.add_computer(**spec))
            yield added
        finally:
            for dn in reversed(added):
                with contextlib.suppress(Exception):
                    self.delete(dn)


def build_seeded_domain(workdir: Path) -> SambaAD:
    """Provision, seed and start the test domain described by USERS/COMPUTERS (about 10-20 s)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    domain = SambaDomain(workdir)
    domain.provision(at=now - dt.timedelta(days=DOMAIN_AGE_DAYS))
    reader_password = generate_password()
    passwords = {user.name: (reader_password if user.name == "auditor.ro" else generate_password())
                 for user in USERS}
    scrub = [reader_password, *passwords.values()]

    try:
        # Schema extension, groups, policy: as of domain creation.
        # Schema extension (new attributes are only usable by the next process, hence two runs).
        attribute_ops, class_ops = _laps_schema_ops()
        created = now - dt.timedelta(days=DOMAIN_AGE_DAYS - 1)
        domain.run_ops(attribute_ops, at=created)
        ops = class_ops
        ops.append({"kind": "delete", "ldif": f"CN=dns-{DC_NAME.lower()},CN=Users,${{BASE}}"})
        for group in GROUPS:
            ops.append({"kind": "add", "ldif": (
                f"dn: CN={group},CN=Users,${{BASE}}\nobjectClass: group\nsAMAccountName: {group}\n")})
        ops.append({"kind": "modify", "ldif": "dn: ${BASE}\nchangetype: modify\n" + "-\n".join(
            f"replace: {key}\n{key}: {value}\n" for key, value in DOMAIN_POLICY.items())})
        ops.append({"kind": "modify", "ldif": (
            f"dn: CN=Guest,CN=Users,${{BASE}}\nchangetype: modify\nreplace: userAccountControl\n"
            f"userAccountControl: {UF_NORMAL_ACCOUNT | UF_PASSWD_NOTREQD | UF_DONT_EXPIRE_PASSWD}\n")})
        # Like most SMB domains, the built-in Administrator's password never expires (it is 1,100 days old).
        ops.append({"kind": "modify", "ldif": (
            f"dn: CN=Administrator,CN=Users,${{BASE}}\nchangetype: modify\nreplace: userAccountControl\n"
            f"userAccountControl: {UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD}\n")})
        for builtin in ("CN=Administrator,CN=Users,${BASE}", "CN=Guest,CN=Users,${BASE}",
                        "CN=krbtgt,CN=Users,${BASE}", f"CN={DC_NAME},OU=Domain Controllers,${{BASE}}"):
            ops.extend(_when_created_op(builtin, now - dt.timedelta(days=DOMAIN_AGE_DAYS)))
        ops.append({"kind": "add", "ldif": (
            f"dn: CN={PSO['name']},CN=Password Settings Container,CN=System,${{BASE}}\n"
            "objectClass: msDS-PasswordSettings\n"
            f"msDS-PasswordSettingsPrecedence: {PSO['precedence']}\n"
            "msDS-PasswordReversibleEncryptionEnabled: FALSE\nmsDS-PasswordHistoryLength: 0\n"
            "msDS-PasswordComplexityEnabled: FALSE\n"
            f"msDS-MinimumPasswordLength: {PSO['min_length']}\n"
            "msDS-MinimumPasswordAge: 0\nmsDS-MaximumPasswordAge: -9223372036854775808\n"
            f"msDS-LockoutThreshold: {PSO['lockout_threshold']}\n"
            "msDS-LockoutObservationWindow: -18000000000\nmsDS-LockoutDuration: -18000000000\n"
            f"msDS-PSOAppliesTo: CN={PSO['applies_to']},CN=Users,${{BASE}}\n")})
        domain.run_ops(ops, at=created)

        # Users and computers, one faketime run per creation age.
        ages = sorted({u.created_days_ago for u in USERS if u.created_days_ago is not None}
                      | {c.created_days_ago for c in COMPUTERS if c.created_days_ago is not None}, reverse=True)
        for age in [*ages, None]:
            batch: list[dict[str, Any]] = []
            at = None if age is None else now - dt.timedelta(days=age)
            for user in USERS:
                if user.created_days_ago == age:
                    batch.extend(_user_ops(user, passwords[user.name], at))
            for computer in COMPUTERS:
                if computer.created_days_ago == age:
                    batch.extend(_computer_ops(computer, at))
            domain.run_ops(batch, at=at)

        # Memberships, primary groups, LAPS attributes: now.
        ops = []
        for group, parents in GROUPS.items():
            ops.extend({"kind": "modify", "ldif": (
                f"dn: {_group_dn(parent)}\nchangetype: modify\nadd: member\nmember: CN={group},CN=Users,${{BASE}}\n"
            )} for parent in parents)
        for user in USERS:
            ops.extend({"kind": "modify", "ldif": (
                f"dn: {_group_dn(group)}\nchangetype: modify\nadd: member\nmember: CN={user.name},CN=Users,${{BASE}}\n"
            )} for group in user.groups)
        for user in USERS:
            if user.primary_group:
                rid = {"Domain Admins": 512}[user.primary_group]
                ops.append({"kind": "modify", "ldif": (
                    f"dn: CN={user.name},CN=Users,${{BASE}}\nchangetype: modify\nreplace: primaryGroupID\n"
                    f"primaryGroupID: {rid}\n")})
        expiry = filetime(now + dt.timedelta(days=20))
        for computer in COMPUTERS:
            if computer.laps:
                attribute = "ms-Mcs-AdmPwdExpirationTime" if computer.laps == "legacy" \
                    else "msLAPS-PasswordExpirationTime"
                ops.append({"kind": "modify", "ldif": (
                    f"dn: CN={computer.name},CN=Computers,${{BASE}}\nchangetype: modify\nreplace: {attribute}\n"
                    f"{attribute}: {expiry}\n")})
        domain.run_ops(ops)
        domain.start()
    except Exception as exc:
        domain.stop()
        message = str(exc)
        for value in scrub:
            message = message.replace(value, "***")
        raise RuntimeError(message) from None

    ad = SambaAD(domain=domain, reader_password=reader_password, seeded_at=now)
    try:
        connection = ad.admin_connection()
    except Exception as exc:
        domain.stop()
        raise RuntimeError(f"cannot bind to the new DC as Administrator: {type(exc).__name__}") from None
    try:
        connection.search(BASE_DN, "(objectClass=domainDNS)", search_scope="BASE", attributes=["objectSid"])
        raw = connection.response[0]["raw_attributes"]["objectSid"][0]
        subs = [int.from_bytes(raw[8 + 4 * i:12 + 4 * i], "little") for i in range(raw[1])]
        ad.domain_sid = "-".join(["S", str(raw[0]), str(int.from_bytes(raw[2:8], "big")), *map(str, subs)])
        stamps = {f"CN={u.name},CN=Users,{BASE_DN}": u.last_logon_days_ago for u in USERS}
        stamps.update({f"CN={c.name},CN=Computers,{BASE_DN}": c.last_logon_days_ago for c in COMPUTERS})
        stamps[f"CN={DC_NAME},OU=Domain Controllers,{BASE_DN}"] = 1
        for dn, days in stamps.items():
            if days is None:
                continue
            value = str(filetime(now - dt.timedelta(days=days)))
            connection.modify(dn, {"lastLogonTimestamp": [("MODIFY_REPLACE", [value])]})
    except Exception as exc:
        domain.stop()
        raise RuntimeError(f"seeding lastLogonTimestamp over LDAP failed: {type(exc).__name__}") from None
    finally:
        connection.unbind()
    return ad


@pytest.fixture(scope="session")
def samba_ad() -> Iterator[SambaAD]:
    """A started Samba AD DC seeded with the known test domain; stopped at the end of the session."""
    reason = samba_missing_reason()
    if reason:
        pytest.skip(f"Samba AD DC unavailable: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="auditor-samba-"))
    try:
        ad = build_seeded_domain(workdir / "dc")
        try:
            yield ad
        finally:
            ad.domain.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def samba_ad_computers(samba_ad: SambaAD) -> Iterator[Any]:
    """``add(name, **kwargs) -> dn`` for extra computer objects, all deleted after the test."""
    added: list[str] = []

    def add(name: str, **kwargs: Any) -> str:
        dn = samba_ad.add_computer(name, **kwargs)
        added.append(dn)
        return dn

    yield add
    for dn in reversed(added):
        with contextlib.suppress(Exception):
            samba_ad.delete(dn)
