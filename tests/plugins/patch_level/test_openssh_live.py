"""A real sshd's real banner, through the open-ports plugin's live nmap scan, into the patch-level checks.

Only 127.0.0.1 is scanned (the profile's authorisation scope is 127.0.0.1/32), on the one port sshd uses.
"""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

from auditor.models import Status
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_profile
from auditor.runner import load_evidence, run_audit
from auditor_plugins.patch_level import checks
from auditor_plugins.patch_level.config import PatchLevelParameters
from auditor_plugins.patch_level.inputs import from_open_ports
from auditor_plugins.patch_level.lifecycle import shipped_data
from tests.servers.openssh import OpenSshServer

pytestmark = [pytest.mark.nmap, pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed")]


@pytest.fixture(scope="module")
def live(openssh_server: OpenSshServer, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("sshd-profile")
    profile_path = directory / "loopback.toml"
    profile_path.write_text(textwrap.dedent(f"""\
        [client]
        id = "loopback-ssh"
        name = "Loopback SSH"

        [msp]
        name = "Test MSP"

        [contract]
        hourly_rate = 90
        monthly_hours = 10

        [authorisation]
        reference = "AUT-TEST-SSH"
        signed_by = "Test suite"
        date = 2026-11-01
        scope = ["127.0.0.1/32"]

        [plugins.open_ports]
        mode = "live"
        internal_targets = ["{openssh_server.host}"]
        top_ports = 0
        include_risky_ports = false
        extra_tcp_ports = [{openssh_server.port}]
        udp = "off"
        timing = 4
        host_timeout_seconds = 60
        reverse_dns = false
        internal_skip_discovery = true
        timeout_seconds = 120

        [plugins.patch_level]
        mode = "live"
        """), encoding="utf-8")
    registry = PluginRegistry.build()
    profile = load_profile(profile_path, registry)
    audit, bundle, _files = run_audit(profile, registry)
    models, problems = load_evidence(bundle, registry)
    assert not problems, problems
    return audit, models


def test_real_banner_reaches_the_check(openssh_server: OpenSshServer, live) -> None:  # type: ignore[no-untyped-def]
    audit, models = live
    assert openssh_server.banner.startswith("SSH-2.0-OpenSSH_") and "Debian-" in openssh_server.banner
    services = from_open_ports(models["open_ports"])
    (ssh,) = [s for s in services if s.port == openssh_server.port]
    package = openssh_server.banner.split("OpenSSH_", 1)[1]  # "9.2p1 Debian-2+deb12u10"
    assert ssh.product == "OpenSSH" and ssh.version == package.replace("Debian-", "Debian ")
    assert ssh.cpes[0].startswith("cpe:/a:openbsd:openssh:") and "cpe:/o:linux:linux_kernel" in ssh.cpes
    by_id = {r.check_id: r for r in audit.results}
    # Debian 12's OpenSSH is supported (LTS until 2028-06-30) on the day the suite runs.
    assert by_id[checks.SERVICES_EOL].status is Status.passed and by_id[checks.SERVICES_EOL].measured == "0/1"
    assert by_id[checks.SERVICES_EOL].confidence == "banner"
    assert by_id[checks.SERVICES_KEV].status is Status.passed
    # No AD, no export: the patch level itself is not assessed, never failed.
    assert by_id[checks.UPDATES_OLD].status is Status.not_assessed


def test_same_banner_after_debian_12_support_ends(openssh_server: OpenSshServer, live) -> None:  # type: ignore[no-untyped-def]
    _audit, models = live
    services = [s for s in from_open_ports(models["open_ports"]) if s.port == openssh_server.port]
    later = dt.datetime(2028, 7, 15, tzinfo=dt.UTC)
    results = {r.check_id: r for r in checks.evaluate(
        os_observations=[], services=services, now=later, parameters=PatchLevelParameters(), data=shipped_data(),
        have_ports=True)}
    unsupported = results[checks.SERVICES_EOL]
    assert unsupported.status is Status.failed
    assert [a.name for a in unsupported.affected] == [f"127.0.0.1 127.0.0.1:{openssh_server.port}/tcp internal"]
    assert "packaged by Debian 12 (Bookworm), supported until 2028-06-30" in unsupported.affected[0].detail
    # ...and the banner alone tells the machine's OS, with "banner" confidence.
    server = results[checks.SERVER_EOL]
    assert [a.name for a in server.affected] == ["127.0.0.1"] and server.confidence == "banner"


def test_fixture_listens_on_loopback_only(openssh_server: OpenSshServer) -> None:
    assert openssh_server.host == "127.0.0.1"
    config = (Path(openssh_server.workdir) / "sshd_config").read_text()
    assert "ListenAddress 127.0.0.1" in config and "PasswordAuthentication no" in config
