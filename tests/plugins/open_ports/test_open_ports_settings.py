"""Settings validation and the nmap command line built from them (no free-form arguments)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.errors import ScopeError
from auditor.plugin_api import ScopeGuard
from auditor_plugins.open_ports.ports import RISKY_TCP_PORTS, build_command, compact, top_tcp_ports
from auditor_plugins.open_ports.settings import OpenPortsSettings
from auditor_plugins.open_ports.sources import NmapFailed, NmapLiveSource, NmapNotFound, NoTargets


def test_defaults_as_root_syn_udp_version_light():
    command = build_command(OpenPortsSettings(), "internal", ["10.0.0.0/24"], root=True)
    assert command.arguments == ("-sS", "-sU", "-sV", "--version-intensity", "2", "-T4", "--host-timeout", "900s")
    tcp, udp = command.ports.split(",U:")
    assert tcp.startswith("T:") and udp == "161"
    assert command.argv()[:4] == ["nmap", "-oX", "-", "10.0.0.0/24"]
    external = build_command(OpenPortsSettings(), "external", ["203.0.113.7"], root=True)
    assert "-Pn" in external.arguments  # internet firewalls drop pings


def test_defaults_unprivileged_connect_scan_without_udp():
    command = build_command(OpenPortsSettings(), "internal", ["10.0.0.5"], root=False)
    assert command.arguments[0] == "-sT" and "-sU" not in command.arguments
    assert "U:" not in command.ports


def test_port_list_is_top_ports_plus_risky_ports(tmp_path):
    services = tmp_path / "nmap-services"
    services.write_text("# comment\nhttp\t80/tcp\t0.48\ntelnet\t23/tcp\t0.22\nfoo\t4444/tcp\t0.3\n"
                        "snmp\t161/udp\t0.43\nbad line\n", encoding="utf-8")
    assert top_tcp_ports(2, services) == (80, 4444)
    settings = OpenPortsSettings(top_ports=2, extra_tcp_ports=(8443,))
    command = build_command(settings, "internal", ["10.0.0.5"], root=False, services_file=services)
    assert command.ports == "T:" + compact({80, 4444, 8443, *RISKY_TCP_PORTS})
    bare = OpenPortsSettings(top_ports=0, include_risky_ports=False, extra_tcp_ports=(22,), udp="off")
    assert build_command(bare, "internal", ["10.0.0.5"], root=True, services_file=services).ports == "T:22"


def test_shipped_top_100_matches_the_frequency_order():
    assert top_tcp_ports(5, None) == (21, 22, 23, 80, 443)


def test_compact_port_notation():
    assert compact([80, 21, 22, 23, 3389, 3390, 8080]) == "21-23,80,3389-3390,8080"


def test_every_option_is_typed_and_recorded():
    settings = OpenPortsSettings(scan_type="connect", udp="off", service_detection=False, timing=3,
                                 host_timeout_seconds=60, reverse_dns=False, internal_skip_discovery=True,
                                 extra_args=("--max-rate", "100", "--max-retries=1", "--defeat-rst-ratelimit"))
    command = build_command(settings, "internal", ["10.0.0.5"], root=True)
    assert command.arguments == ("-sT", "-Pn", "-n", "-T3", "--host-timeout", "60s", "--max-rate", "100",
                                 "--max-retries=1", "--defeat-rst-ratelimit")


@pytest.mark.parametrize(
    "args",
    [("--script", "vuln"), ("-sC",), ("--script=vuln",), ("-oN", "/tmp/x"), ("--max-rate", "1; rm -rf /"),
     ("--max-rate",), ("--reason=yes",), ("-iL", "/etc/passwd")],
)
def test_extra_args_outside_the_allow_list_are_refused(args):
    with pytest.raises(ValidationError):
        OpenPortsSettings(extra_args=args)


@pytest.mark.parametrize("target", ["intranet.corp.test", "10.0.0.0/33", "10.0.0.1; rm -rf /"])
def test_targets_must_be_addresses(target):
    with pytest.raises(ValidationError, match="not an IP address or CIDR range"):
        OpenPortsSettings(internal_targets=(target,))


def test_privilege_mismatches_are_clear_errors():
    with pytest.raises(ValueError, match="needs root"):
        build_command(OpenPortsSettings(scan_type="syn"), "internal", ["10.0.0.5"], root=False)
    with pytest.raises(ValueError, match="needs root"):
        build_command(OpenPortsSettings(udp="on"), "internal", ["10.0.0.5"], root=False)
    guard = ScopeGuard(["127.0.0.0/24"], "AUT-1")
    with pytest.raises(NmapFailed, match="needs root"):
        NmapLiveSource(OpenPortsSettings(internal_targets=("127.0.0.5",), udp="on"), guard, root=False)


def test_scope_guard_runs_before_anything_and_needs_an_authorisation():
    guard = ScopeGuard(["127.0.0.0/24"], "AUT-1")
    with pytest.raises(ScopeError, match="outside the authorised scope"):
        NmapLiveSource(OpenPortsSettings(internal_targets=("127.0.0.5",), external_targets=("127.0.1.5",)), guard)
    with pytest.raises(ScopeError, match="outside the authorised scope"):
        NmapLiveSource(OpenPortsSettings(internal_targets=("127.0.0.0/16",)), guard)
    unauthorised = ScopeGuard(["127.0.0.0/24"], None)
    with pytest.raises(ScopeError, match="authorisation"):
        NmapLiveSource(OpenPortsSettings(internal_targets=("127.0.0.5",)), unauthorised)
    with pytest.raises(ScopeError, match="authorisation"):
        NmapLiveSource(OpenPortsSettings(), unauthorised)  # refused even with nothing to scan
    with pytest.raises(NoTargets, match="internal_targets"):
        NmapLiveSource(OpenPortsSettings(), guard)


def test_missing_nmap_binary_is_a_clear_source_error():
    guard = ScopeGuard(["127.0.0.0/24"], "AUT-1")
    settings = OpenPortsSettings(internal_targets=("127.0.0.5",), nmap_path=str(Path("/nonexistent/nmap")))
    source = NmapLiveSource(settings, guard, cancelled=threading.Event())
    with pytest.raises(NmapNotFound, match="nmap is not installed"):
        source.scan("internal")


def test_ipv6_targets_get_dash_6_and_families_are_not_mixed():
    command = build_command(OpenPortsSettings(), "internal", ["::1"], root=False)
    assert command.arguments[:2] == ("-6", "-sT")
    with pytest.raises(ValueError, match="mix IPv4 and IPv6"):
        build_command(OpenPortsSettings(), "internal", ["127.0.0.1", "::1"], root=False)
