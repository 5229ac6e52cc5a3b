"""Benchmark: account-hygiene collection from a real Samba AD DC with 10,000 users and 2,000 computers.

What it does (needs root, samba, samba-ad-dc, faketime, ldap-utils; a few minutes):

1. provisions a throwaway Samba AD domain on a loopback address (tests/servers/samba_ad.py);
2. bulk-loads one generated LDIF (users with SPNs/flags/lastLogonTimestamp, computers with
   operatingSystem, a nested admin group) into the stopped DC's sam.ldb in ONE transaction;
3. starts the DC and measures, several times each:
   * the plugin's live collection (``LiveLdapSource.read()``) in a fresh subprocess: wall time and peak
     memory (``ru_maxrss`` of that process); the one-off import of ldap3 is timed and printed apart;
   * ``ldapsearch`` paging (1,000 per page) the same searches with the same attributes, output discarded;
4. prints the figures and the targets: plugin / ldapsearch <= 1.5, peak memory <= 300 MB.

Usage: ``python3 bench/bench_account_hygiene.py [--users 10000] [--computers 2000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor_plugins.account_hygiene.convert import (  # noqa: E402
    COMPUTER_ATTRIBUTES,
    DOMAIN_ATTRIBUTES,
    GROUP_ATTRIBUTES,
    PSO_ATTRIBUTES,
    USER_ATTRIBUTES,
)
from auditor_plugins.account_hygiene.sources import COMPUTER_FILTER  # noqa: E402
from tests.servers.samba_ad import (  # noqa: E402
    BASE_DN,
    DNS_DOMAIN,
    SambaDomain,
    filetime,
    samba_missing_reason,
)

OSES = [("Windows 11 Professionnel", "10.0 (26100)"), ("Windows 10 Pro", "10.0 (19045)"),
        ("Windows Server 2022 Standard", "10.0 (20348)"), ("Windows Server 2016 Standard", "10.0 (14393)"),
        ("Windows 7 Professional", "6.1 (7601)")]


def generate_ldif(users: int, computers: int, now: dt.datetime) -> str:
    """One LDIF text: an OU, users, computers and a group nested in Domain Admins."""
    out = [f"dn: OU=Bench,{BASE_DN}\nobjectClass: organizationalUnit\n"]
    for index in range(users):
        name = f"user{index:06d}"
        uac = 0x200 | 0x20 | (0x10000 if index % 10 == 0 else 0) | (0x400000 if index % 500 == 0 else 0) \
            | (0x2 if index % 50 == 0 else 0)
        lines = [f"dn: CN={name},OU=Bench,{BASE_DN}", "objectClass: user", f"sAMAccountName: {name}",
                 f"userPrincipalName: {name}@{DNS_DOMAIN}", f"displayName: Bench User {index}",
                 f"userAccountControl: {uac}",
                 f"lastLogonTimestamp: {filetime(now - dt.timedelta(days=index % 400))}"]
        if index % 200 == 0:
            lines.append(f"servicePrincipalName: HTTP/app{index}.{DNS_DOMAIN}")
        out.append("\n".join(lines) + "\n")
    for index in range(computers):
        name = f"PC{index:05d}"
        os_name, version = OSES[index % len(OSES)]
        lines = [f"dn: CN={name},OU=Bench,{BASE_DN}", "objectClass: computer", f"sAMAccountName: {name}$",
                 f"dNSHostName: {name.lower()}.{DNS_DOMAIN}", f"userAccountControl: {0x1000}",
                 f"operatingSystem: {os_name}", f"operatingSystemVersion: {version}",
                 f"lastLogonTimestamp: {filetime(now - dt.timedelta(days=index % 200))}"]
        out.append("\n".join(lines) + "\n")
    members = "".join(f"member: CN=user{i:06d},OU=Bench,{BASE_DN}\n" for i in range(1, 40))
    out.append(f"dn: CN=Bench-Admins,OU=Bench,{BASE_DN}\nobjectClass: group\nsAMAccountName: Bench-Admins\n{members}")
    return "\n".join(out)


PLUGIN_SNIPPET = r"""
import json, resource, sys, time
from auditor_plugins.account_hygiene.sources import LdapOptions, LiveLdapSource
spec = json.loads(sys.stdin.read())
started = time.perf_counter()
import ldap3  # the plugin imports it lazily; a one-off cost per process, reported separately
import_seconds = time.perf_counter() - started
start = time.perf_counter()
evidence = LiveLdapSource(LdapOptions(server=spec["host"], bind_user=spec["user"], password=spec["password"],
                                      ca_file=spec["ca"])).read()
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "import_seconds": import_seconds, "users": len(evidence.users),
                  "computers": len(evidence.computers),
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_plugin(domain: SambaDomain) -> dict[str, float]:
    spec = {"host": domain.host, "user": f"Administrator@{DNS_DOMAIN}", "password": domain.admin_password,
            "ca": str(domain.ca_file)}
    result = subprocess.run([sys.executable, "-c", PLUGIN_SNIPPET], input=json.dumps(spec), capture_output=True,
                            text=True, check=True, cwd=ROOT, timeout=900)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_ldapsearch(domain: SambaDomain, password_file: Path) -> float:
    """The same searches the plugin makes, paged by 1,000, output discarded."""
    env = {**os.environ, "LDAPTLS_CACERT": str(domain.ca_file)}
    base = ["ldapsearch", "-x", "-LLL", "-H", f"ldaps://{domain.host}", "-D", f"Administrator@{DNS_DOMAIN}",
            "-y", str(password_file), "-E", "pr=1000/noprompt"]
    searches = [
        ["-s", "base", "-b", "", "(objectClass=*)", "defaultNamingContext", "schemaNamingContext",
         "supportedCapabilities", "supportedControl"],
        ["-s", "base", "-b", BASE_DN, "(objectClass=domainDNS)", *DOMAIN_ATTRIBUTES],
        ["-b", BASE_DN, "(&(objectClass=user)(!(objectClass=computer)))", *USER_ATTRIBUTES],
        ["-b", BASE_DN, COMPUTER_FILTER, *COMPUTER_ATTRIBUTES],
        ["-b", BASE_DN, "(objectClass=group)", *GROUP_ATTRIBUTES],
        ["-s", "one", "-b", f"CN=Password Settings Container,CN=System,{BASE_DN}",
         "(objectClass=msDS-PasswordSettings)", *PSO_ATTRIBUTES],
    ]
    start = time.perf_counter()
    for search in searches:
        subprocess.run(base + search, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False,
                       timeout=900)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--computers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary domain directory")
    args = parser.parse_args()
    reason = samba_missing_reason() or (None if shutil.which("ldapsearch") else "ldapsearch is not installed")
    if reason:
        print(f"cannot run: {reason}")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-samba-"))
    domain = SambaDomain(workdir / "dc")
    try:
        started = time.perf_counter()
        domain.provision()
        print(f"provisioned in {time.perf_counter() - started:.1f} s ({domain.host})")
        now = dt.datetime.now(dt.UTC)
        ldif = generate_ldif(args.users, args.computers, now)
        started = time.perf_counter()
        domain.bulk_load_ldif(ldif)
        print(f"bulk-loaded {args.users} users + {args.computers} computers ({len(ldif) / 1e6:.1f} MB LDIF) "
              f"in {time.perf_counter() - started:.1f} s")
        domain.start(timeout=120)
        password_file = workdir / "pw"
        password_file.write_text(domain.admin_password)
        password_file.chmod(0o600)
        run_plugin(domain)  # warm the DC's caches once, for both contenders
        plugin_runs = [run_plugin(domain) for _ in range(args.runs)]
        ldap_runs = [run_ldapsearch(domain, password_file) for _ in range(args.runs)]
        plugin_seconds = statistics.median(r["seconds"] for r in plugin_runs)
        ldap_seconds = statistics.median(ldap_runs)
        peak_mb = max(r["max_rss_kb"] for r in plugin_runs) / 1024
        ratio = plugin_seconds / ldap_seconds
        print(f"objects read by the plugin: {plugin_runs[0]['users']} users, {plugin_runs[0]['computers']} computers")
        print(f"plugin collection  : median {plugin_seconds:.2f} s over {args.runs} runs "
              "(" + ", ".join(f"{r['seconds']:.2f}" for r in plugin_runs) + ")")
        print(f"  (plus a one-off import of ldap3 per process: {plugin_runs[0]['import_seconds']:.2f} s)")
        print(f"ldapsearch (paged) : median {ldap_seconds:.2f} s over {args.runs} runs "
              "(" + ", ".join(f"{s:.2f}" for s in ldap_runs) + ")")
        print(f"ratio plugin/ldapsearch: {ratio:.2f} (target <= 1.5) {'OK' if ratio <= 1.5 else 'MISSED'}")
        print(f"plugin peak memory (ru_maxrss): {peak_mb:.0f} MB (target <= 300 MB) "
              f"{'OK' if peak_mb <= 300 else 'MISSED'}")
        return 0
    finally:
        domain.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
