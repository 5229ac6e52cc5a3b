"""Live scans with the real nmap of real listeners on loopback, through the profile, runner and plugin.

Nothing here targets anything outside 127.0.0.0/8: the listeners bind 127.0.0.21-31 (or the next free
loopback addresses), the profile's authorisation scope is 127.0.0.0/24, and the scope-guard tests prove
that a target outside it is refused before a single connection is made.
"""

from __future__ import annotations

import shutil
import textwrap
import threading
from pathlib import Path

import pytest

from auditor.models import RunStatus, Severity, Status
from auditor.plugin_api import ScopeGuard
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_profile
from auditor.runner import collect, run_audit
from auditor_plugins.open_ports.evidence import OpenPortsEvidence
from auditor_plugins.open_ports.ports import is_root
from auditor_plugins.open_ports.settings import OpenPortsSettings
from auditor_plugins.open_ports.sources import NmapLiveSource, NmapTimeout
from tests.servers.listeners import FTP, HTTP_ADMIN, MYSQL, RDP, REDIS, SMB, SNMP, SSH, TELNET, VNC, ListenerPool

needs_nmap = pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed")

FAST = """\
top_ports = 0
extra_tcp_ports = [22]
timing = 5
host_timeout_seconds = 60
reverse_dns = false
internal_skip_discovery = true
timeout_seconds = 120
"""


def write_profile(directory: Path, plugin_table: str, *, authorised: bool = True) -> Path:
    authorisation = textwrap.dedent("""\
        [authorisation]
        reference = "AUT-TEST-127"
        signed_by = "Test suite"
        date = 2026-11-01
        scope = ["127.0.0.0/24"]
        """) if authorised else ""
    path = directory / "loopback.toml"
    path.write_text(textwrap.dedent("""\
        [client]
        id = "loopback-client"
        name = "Loopback Client"

        [msp]
        name = "Test MSP"

        [contract]
        hourly_rate = 90
        monthly_hours = 10
        """) + authorisation + "\n[plugins.open_ports]\n" + plugin_table, encoding="utf-8")
    return path


def ep(listener) -> str:
    return f"{listener.host}:{listener.port}/{listener.protocol}"


@pytest.fixture(scope="module")
def live_audit(listener_pool_module: ListenerPool, tmp_path_factory):
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed")
    pool = listener_pool_module
    internal = {
        "rdp": pool.start(RDP, "127.0.0.21"),
        "telnet": pool.start(TELNET, "127.0.0.22"),
        "ftp": pool.start(FTP, "127.0.0.23"),
        "mysql": pool.start(MYSQL, "127.0.0.24"),
        "webmin": pool.start(HTTP_ADMIN, "127.0.0.25"),
        "vnc": pool.start(VNC, "127.0.0.26"),
        "smb": pool.start(SMB, "127.0.0.27"),
        "ssh": pool.start(SSH, "127.0.0.28"),
        "redis": pool.start(REDIS, "127.0.0.29"),
        "snmp": pool.start(SNMP, "127.0.0.30"),
    }
    external = {"rdp": pool.start(RDP, "127.0.0.31")}
    targets = sorted({listener.host for listener in internal.values()})
    table = (f"mode = \"live\"\ninternal_targets = {targets!r}\n"
             f"external_targets = [\"{external['rdp'].host}\"]\n".replace("'", '"') + FAST)
    path = write_profile(tmp_path_factory.mktemp("live"), table)
    registry = PluginRegistry.build()
    profile = load_profile(path, registry)
    audit, bundle, _files = run_audit(profile, registry)
    return audit, bundle, registry, internal, external


@pytest.mark.nmap
def test_live_scan_findings_and_severities(live_audit):
    audit, _bundle, _registry, internal, external = live_audit
    run = next(r for r in audit.runs if r.plugin == "open_ports" and r.phase == "collect")
    assert run.status is RunStatus.ok, run.reason
    results = {r.check_id: r for r in audit.results if r.check_id.startswith("open_ports.")}
    failed = {cid: [a.name for a in r.affected] for cid, r in results.items() if r.status is Status.failed}
    expected = {
        "open_ports.rdp_external": [ep(external["rdp"])],
        "open_ports.rdp_internal": [ep(internal["rdp"])],
        "open_ports.telnet_internal": [ep(internal["telnet"])],
        "open_ports.ftp_internal": [ep(internal["ftp"])],
        "open_ports.database_internal": [ep(internal["mysql"]), ep(internal["redis"])],
        "open_ports.http_admin_internal": [ep(internal["webmin"])],
        "open_ports.vnc_internal": [ep(internal["vnc"])],
        "open_ports.smb_internal": [ep(internal["smb"])],
        "open_ports.snmp_internal": [ep(internal["snmp"])],
    }
    if not is_root():  # unprivileged: connect scan, no UDP, so SNMP is not seen (and not assessed)
        del expected["open_ports.snmp_internal"]
        assert results["open_ports.snmp_internal"].status is Status.not_assessed
        del results["open_ports.snmp_internal"]
    assert failed == expected
    # Everything else was assessed and passed (SSH is an ordinary internal service).
    assert {cid for cid, r in results.items() if r.status is Status.passed} == set(results) - set(failed)
    assert audit.check("open_ports.rdp_external").severity is Severity.critical
    assert audit.check("open_ports.rdp_internal").severity is Severity.medium
    assert audit.check("open_ports.telnet_internal").severity is Severity.high
    assert audit.scores.capped_by == ("open_ports.rdp_external",)  # RDP on the internet caps the grade
    details = {a.name: a.detail for r in results.values() for a in r.affected}
    assert details[ep(internal["ftp"])] == "ftp vsftpd 3.0.3"
    assert details[ep(internal["mysql"])] == "mysql MySQL 5.7.42-log"
    assert details[ep(external["rdp"])] == "ms-wbt-server Microsoft Terminal Services"
    assert details[ep(internal["webmin"])] == "http MiniServ 2.021 (Webmin httpd)"


@pytest.mark.nmap
def test_live_evidence_keeps_versions_all_cpes_and_exact_arguments(live_audit):
    audit, bundle, _registry, internal, _external = live_audit
    document = bundle.documents["open_ports"]
    evidence = OpenPortsEvidence.model_validate(document.payload)
    services = {s.endpoint: s.service for s in evidence.services()}
    ssh = services[ep(internal["ssh"])]
    assert (ssh.product, ssh.version) == ("OpenSSH", "8.4p1 Debian 5+deb11u1")
    assert ssh.cpes == ("cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel")
    assert services[ep(internal["ftp"])].cpes == ("cpe:/a:vsftpd:vsftpd:3.0.3",)
    assert services[ep(internal["redis"])].version == "6.0.16"
    assert evidence.internal.covers("udp", 161) is is_root() and evidence.external.covers("tcp", 3389)
    run = evidence.internal.runs[0]
    assert run.version and run.start is not None and run.end is not None and run.exit == "success"
    assert document.collected_at == max(run.end, evidence.external.runs[0].end)  # dated by nmap itself
    options = document.source.options
    scan_types = "-sS -sU" if is_root() else "-sT"
    expected_args = f"{scan_types} -sV --version-intensity 2 -Pn -n -T5 --host-timeout 60s"
    assert options["internal.arguments"] == expected_args
    assert options["external.arguments"] == expected_args
    assert options["internal.command"] == run.args and "-sV" in run.args
    assert document.source.kind == "live"
    assert document.source.identity.endswith(
        "(privileged: SYN/UDP scans)" if is_root() else "(unprivileged: connect scan)")
    assert set(document.source.servers) == {*evidence.internal.targets, *evidence.external.targets}
    # The audit records the authorisation and the scope it relied on.
    assert audit.provenance.authorisation["reference"] == "AUT-TEST-127"
    assert audit.provenance.scope == ("127.0.0.0/24",)
    # Every scanned host becomes an inventory observation (external ones do not).
    inventory_ips = {ip for asset in audit.inventory for ip in asset.ips}
    assert inventory_ips == {listener.host for listener in internal.values()}


def test_target_outside_scope_is_refused_before_any_packet(listener_pool: ListenerPool, tmp_path):
    inside = listener_pool.start(TELNET, "127.0.0.41")
    table = f'mode = "live"\ninternal_targets = ["{inside.host}"]\nexternal_targets = ["127.0.1.41"]\n' + FAST
    registry = PluginRegistry.build()
    bundle, _files = collect(load_profile(write_profile(tmp_path, table), registry), registry)
    (run,) = bundle.manifest.runs
    assert run.status is RunStatus.error
    assert "127.0.1.41 is outside the authorised scope" in (run.reason or "")
    assert "open_ports" not in bundle.documents
    assert inside.contacts == 0  # the in-scope target was not scanned either


def test_live_scan_without_authorisation_is_refused(listener_pool: ListenerPool, tmp_path):
    inside = listener_pool.start(TELNET, "127.0.0.42")
    table = f'mode = "live"\ninternal_targets = ["{inside.host}"]\n' + FAST
    registry = PluginRegistry.build()
    profile = load_profile(write_profile(tmp_path, table, authorised=False), registry)
    audit, _bundle, _files = run_audit(profile, registry)
    run = next(r for r in audit.runs if r.plugin == "open_ports" and r.phase == "collect")
    assert run.status is RunStatus.error and "authorisation" in (run.reason or "")
    results = [r for r in audit.results if r.check_id.startswith("open_ports.")]
    assert len(results) == 20 and all(r.status is Status.not_assessed for r in results)
    assert inside.contacts == 0


@pytest.mark.nmap
@needs_nmap
def test_scan_exceeding_its_budget_is_a_timeout_error(listener_pool: ListenerPool):
    rdp = listener_pool.start(RDP, "127.0.0.43")  # RDP waits for nmap's probe: -sV needs > 5 s
    settings = OpenPortsSettings(mode="live", internal_targets=(rdp.host,), top_ports=0, include_risky_ports=False,
                                 extra_tcp_ports=(3389,), udp="off", internal_skip_discovery=True,
                                 reverse_dns=False, timeout_seconds=2)
    source = NmapLiveSource(settings, ScopeGuard(["127.0.0.0/24"], "AUT-TEST"), cancelled=threading.Event())
    with pytest.raises(NmapTimeout, match="did not finish within 2 s"):
        source.scan("internal")
