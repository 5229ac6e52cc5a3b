"""A real LDAP directory that is not Active Directory (OpenLDAP slapd on loopback): the plugin must say so.

slapd runs from a temporary directory with its own slapd.conf, an mdb database and a throwaway CA, on a
free port of a loopback address; it is stopped after the module.  (If this grows other users it belongs
in tests/servers/; it lives here because only the account-hygiene fault tests need it.)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins import account_hygiene as plugin
from auditor_plugins.account_hygiene.sources import NotActiveDirectoryError
from tests.servers.samba_ad import _write_certificates, generate_password

HOST = "127.0.43.1"
SUFFIX = "dc=example,dc=org"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def slapd(tmp_path_factory) -> Iterator[dict[str, object]]:  # type: ignore[no-untyped-def]
    if shutil.which("slapd") is None or shutil.which("slapadd") is None:
        pytest.skip("OpenLDAP slapd is not installed (Debian package slapd)")
    work = tmp_path_factory.mktemp("slapd")
    (work / "db").mkdir()
    ca, cert, key = _write_certificates(work / "tls", "ldap.example.org", HOST)
    password = generate_password()
    conf = work / "slapd.conf"
    conf.write_text(
        "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
        "include /etc/ldap/schema/inetorgperson.schema\n"
        f"pidfile {work}/slapd.pid\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        f"TLSCACertificateFile {ca}\nTLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n"
        f"database mdb\nsuffix \"{SUFFIX}\"\nrootdn \"cn=admin,{SUFFIX}\"\nrootpw {password}\n"
        f"directory {work}/db\n"
    )
    ldif = (f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n"
            f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: uid=jdoe,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: jdoe\ncn: John Doe\nsn: Doe\n")
    subprocess.run(["slapadd", "-f", str(conf)], input=ldif.encode(), check=True, capture_output=True, timeout=60)
    port = _free_port()
    process = subprocess.Popen(["slapd", "-d", "0", "-f", str(conf), "-h", f"ldaps://{HOST}:{port}/"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("slapd exited during start-up")
                time.sleep(0.1)
        yield {"port": port, "ca": str(ca), "password": password}
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_openldap_is_reported_as_not_active_directory(slapd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    os.environ["AUDITOR_TEST_SLAPD_PASSWORD"] = str(slapd["password"])
    settings = plugin.AccountHygieneSettings(
        server=HOST, port=slapd["port"], ca_file=slapd["ca"], bind_user=f"cn=admin,{SUFFIX}",
        bind_password="env:AUDITOR_TEST_SLAPD_PASSWORD")
    context = CollectContext(plugin="account_hygiene", settings=settings, profile_dir=tmp_path,
                             scope=ScopeGuard((), None), client_id="c")
    with pytest.raises(NotActiveDirectoryError) as caught:
        plugin.auditor_collect(context=context)
    message = str(caught.value)
    assert message == (f"ldaps://{HOST}:{slapd['port']}: the server is not Active Directory (its RootDSE does not "
                       "announce the AD capability 1.2.840.113556.1.4.800); account hygiene checks need an AD domain "
                       "controller")
    assert str(slapd["password"]) not in message
