"""Unit tests of every open-ports check, with hand-built evidence and hand-computed expectations."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.models import AffectedAsset, Exploitability, LocalizedText, Severity, Status
from auditor.plugin_api import EvaluationContext
from auditor_plugins import open_ports as plugin
from auditor_plugins.open_ports.checks import CHECKS, SPECS, evaluate
from auditor_plugins.open_ports.settings import AllowEntry, OpenPortsParameters, OpenPortsSettings
from tests.plugins.open_ports.helpers import by_id, evidence, failing, host, port, scan, svc

PARAMS = OpenPortsParameters()
FAMILIES = ("rdp", "smb", "telnet", "ftp", "snmp", "vnc", "winrm", "database", "http_admin")

# One typical service per family: (port, protocol, service) and the detail nmap's label gives.
TYPICAL = {
    "rdp": (3389, "tcp", svc("ms-wbt-server", "Microsoft Terminal Services"),
            "ms-wbt-server Microsoft Terminal Services"),
    "smb": (445, "tcp", svc("microsoft-ds", method="table"), "microsoft-ds"),
    "telnet": (23, "tcp", svc("telnet", "Linux telnetd"), "telnet Linux telnetd"),
    "ftp": (21, "tcp", svc("ftp", "vsftpd", "3.0.3"), "ftp vsftpd 3.0.3"),
    "snmp": (161, "udp", svc("snmp", "SNMPv1 server", extrainfo="public"), "snmp SNMPv1 server (public)"),
    "vnc": (5900, "tcp", svc("vnc", "VNC", extrainfo="protocol 3.8"), "vnc VNC (protocol 3.8)"),
    "winrm": (5985, "tcp", svc("http", "Microsoft HTTPAPI httpd", "2.0"), "http Microsoft HTTPAPI httpd 2.0"),
    "database": (3306, "tcp", svc("mysql", "MySQL", "5.7.42"), "mysql MySQL 5.7.42"),
    "http_admin": (80, "tcp", svc("http", "HP LaserJet printer http config", devicetype="printer"),
                   "http HP LaserJet printer http config"),
}


def run(ev, params=PARAMS, allow=()):
    return by_id(evaluate(ev, params, tuple(allow)))


def test_catalogue_is_complete_and_bilingual():
    ids = [c.id for c in CHECKS]
    assert len(ids) == 20 == len(set(ids))
    assert set(ids) == {f"open_ports.{f}_{s}" for f in (*FAMILIES, "unexpected") for s in ("internal", "external")}
    for check in CHECKS:
        assert check.plugin == "open_ports" and check.area == "open_ports"
        assert check.title.en and check.title.fr and check.title.en != check.title.fr
        assert check.remediation.fr != check.remediation.en
        assert check.references and all(r.framework == "CIS Controls v8" for r in check.references)
        if check.id.endswith("_external"):
            assert check.exploitability is Exploitability.exposed
            internal = next(c for c in CHECKS if c.id == check.id.replace("_external", "_internal"))
            assert check.severity.rank <= internal.severity.rank  # external never weighs less
            assert internal.exploitability in (Exploitability.lateral, Exploitability.hygiene)
    severities = {c.id: c.severity for c in CHECKS}
    assert severities["open_ports.rdp_external"] is Severity.critical
    assert severities["open_ports.rdp_internal"] is Severity.medium


def test_shared_remediation_groups_only_where_one_fix_closes_both():
    groups = {c.id: c.group for c in CHECKS}
    for family in ("telnet", "ftp", "snmp", "vnc", "http_admin"):
        assert groups[f"open_ports.{family}_external"] == groups[f"open_ports.{family}_internal"]
    for family in ("rdp", "smb", "winrm", "database", "unexpected"):
        assert groups[f"open_ports.{family}_external"] != groups[f"open_ports.{family}_internal"]


@pytest.mark.parametrize("scope", ["internal", "external"])
@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_fails_on_its_service_and_only_its_check(family, scope):
    number, protocol, service, label = TYPICAL[family]
    target = host("10.0.0.5", port(number, service, protocol=protocol), name="srv.example.test")
    results = run(evidence(**{scope: scan(scope, target)}))
    result = results[f"open_ports.{family}_{scope}"]
    assert result.status is Status.failed
    assert result.measured == 1 and result.threshold == 0
    assert result.unit == LocalizedText(en="services", fr="services")
    assert result.affected == (
        AffectedAsset(name=f"10.0.0.5:{number}/{protocol}", kind="service", detail=f"{label} — srv.example.test"),
    )
    assert failing(list(results.values())) == {f"open_ports.{family}_{scope}": [f"10.0.0.5:{number}/{protocol}"]}
    other = "external" if scope == "internal" else "internal"
    assert results[f"open_ports.{family}_{other}"].status is Status.not_assessed


def test_clean_scan_passes_everything_with_measured_zero():
    results = run(evidence(scan("internal", host("10.0.0.5", port(443, svc("http", tunnel="ssl")))),
                           scan("external", host("203.0.113.7"))))
    for check in CHECKS:
        result = results[check.id]
        assert result.status is Status.passed, check.id
        assert result.measured == 0 and result.threshold == 0
        assert result.unit is not None and result.unit.get("fr") == "services"


def test_missing_scope_is_not_assessed_with_reason_in_both_languages():
    results = run(evidence(internal=scan("internal", host("10.0.0.5", port(3389, TYPICAL["rdp"][2])))))
    for check in CHECKS:
        if check.id.endswith("_external"):
            result = results[check.id]
            assert result.status is Status.not_assessed
            assert "No external scan" in result.reason.en and "Aucun scan externe" in result.reason.fr
    assert results["open_ports.rdp_internal"].status is Status.failed


def test_scope_where_no_host_answered_is_not_assessed():
    results = run(evidence(external=scan("external", host("203.0.113.7", status="down"))))
    assert results["open_ports.rdp_external"].status is Status.not_assessed
    assert "No host answered" in results["open_ports.rdp_external"].reason.en


def test_family_whose_ports_were_not_scanned_is_not_assessed():
    # A TCP-only scan of a few ports: SNMP (UDP 161) was never probed, VNC ports neither.
    ev = evidence(internal=scan("internal", host("10.0.0.5"), tcp="21-23,80,445,3389", udp=None))
    results = run(ev)
    assert results["open_ports.snmp_internal"].status is Status.not_assessed
    assert "161/udp" in results["open_ports.snmp_internal"].reason.en
    assert results["open_ports.vnc_internal"].status is Status.not_assessed
    assert results["open_ports.rdp_internal"].status is Status.passed
    assert results["open_ports.telnet_internal"].status is Status.passed
    assert results["open_ports.unexpected_internal"].status is Status.passed


def test_affected_assets_sorted_numerically_and_complete():
    rdp = TYPICAL["rdp"][2]
    ev = evidence(internal=scan(
        "internal",
        host("10.0.0.10", port(3389, rdp)),
        host("10.0.0.9", port(3389, rdp), port(3390, rdp)),
        host("10.0.0.100", port(3389, svc("ms-wbt-server", method="table"))),
    ))
    result = run(ev)["open_ports.rdp_internal"]
    assert [a.name for a in result.affected] == [
        "10.0.0.9:3389/tcp", "10.0.0.9:3390/tcp", "10.0.0.10:3389/tcp", "10.0.0.100:3389/tcp",
    ]
    assert result.measured == 4
    assert result.confidence == "port number"  # one of them was only guessed from the port table


@pytest.mark.parametrize(
    ("number", "service", "expected"),
    [
        (3390, svc("ms-wbt-server", "Microsoft Terminal Services"), "rdp"),  # moved port, identified by name
        (3389, svc("http", "nginx", "1.24.0"), None),  # a web server on 3389 is not RDP
        (3389, svc("unknown", method="table"), "rdp"),  # not identified: the port decides
        (3389, None, "rdp"),
        (21, svc("ftp", "vsftpd", tunnel="ssl"), None),  # implicit FTPS is encrypted
        (990, svc("ftps", method="table"), None),
        (139, svc("netbios-ssn", "Samba smbd", "4.6.2"), "smb"),
        (5986, svc("http", "Microsoft HTTPAPI httpd", "2.0", tunnel="ssl"), "winrm"),
        (9200, svc("http", "Elasticsearch REST API", "7.17.9"), "database"),
        (6379, svc("redis", "Redis key-value store", "6.0.16"), "database"),
        (27017, svc("mongodb", "MongoDB", "4.4.6"), "database"),
        (5432, svc("postgresql", "PostgreSQL DB", "13.4"), "database"),
        (1433, svc("ms-sql-s", "Microsoft SQL Server 2016"), "database"),
        (5800, svc("vnc-http", "RealVNC http config"), "vnc"),
        (80, svc("http", "nginx", "1.18.0"), None),  # an ordinary web server is not an admin page
        (8080, svc("http", "Apache Tomcat"), None),
        (5000, svc("http", "nginx"), "http_admin"),  # Synology DSM's port (admin_http_ports)
        (10000, svc("http", "MiniServ", "2.021", extrainfo="Webmin httpd"), "http_admin"),
        (8081, svc("http", "Fortinet FortiGate http config"), "http_admin"),  # admin words in the product
        (443, svc("http", "Fortinet FortiGate http config", tunnel="ssl", devicetype="firewall"), None),
        (22, svc("ssh", "OpenSSH", "8.4p1"), None),
    ],
)
def test_classification(number, service, expected):
    from auditor_plugins.open_ports.checks import classify
    from auditor_plugins.open_ports.evidence import ServiceSeen

    target = host("10.0.0.5", port(number, service))
    seen = ServiceSeen("internal", target, target.ports[0])
    assert classify(seen, PARAMS) == expected


def test_device_type_of_another_port_marks_the_http_page_as_admin():
    # The telnet banner says "printer"; the plain web page of the same host is its configuration page.
    target = host("10.0.0.50", port(23, svc("telnet", "HP JetDirect printer telnetd", devicetype="printer")),
                  port(80, svc("http", "Virata-EmWeb", "6.2.1")))
    result = run(evidence(internal=scan("internal", target)))["open_ports.http_admin_internal"]
    assert [a.name for a in result.affected] == ["10.0.0.50:80/tcp"]


def test_admin_http_ports_parameter_is_honoured():
    target = host("10.0.0.5", port(8080, svc("http", "Jetty", "9.4")))
    ev = evidence(internal=scan("internal", target))
    assert run(ev)["open_ports.http_admin_internal"].status is Status.passed
    strict = OpenPortsParameters(admin_http_ports=(8080,), default_allowed_internal=())
    assert failing(list(run(ev, strict).values())) == {"open_ports.http_admin_internal": ["10.0.0.5:8080/tcp"]}


def test_unexpected_services_and_default_allowed_internal():
    internal = scan("internal", host("10.0.0.5", port(22, svc("ssh", "OpenSSH")), port(135, svc("msrpc")),
                                     port(7070, svc("realserver", tunnel="ssl", method="table")),
                                     port(3389, TYPICAL["rdp"][2])))
    external = scan("external", host("203.0.113.7", port(22, svc("ssh", "OpenSSH")),
                                      port(443, svc("http", "nginx", tunnel="ssl"))))
    results = run(evidence(internal, external))
    # ssh and msrpc are ordinary inside; RDP is reported by its own check, not twice.
    assert [a.name for a in results["open_ports.unexpected_internal"].affected] == ["10.0.0.5:7070/tcp"]
    assert results["open_ports.unexpected_internal"].affected[0].detail == "ssl/realserver"
    # A service banner reads the same in both languages: no French copy.
    assert results["open_ports.unexpected_internal"].affected[0].detail_fr == ""
    # The default allowances never apply to the internet side.
    assert [a.name for a in results["open_ports.unexpected_external"].affected] == [
        "203.0.113.7:22/tcp", "203.0.113.7:443/tcp",
    ]
    strict = OpenPortsParameters(default_allowed_internal=())
    assert [a.name for a in run(evidence(internal), strict)["open_ports.unexpected_internal"].affected] == [
        "10.0.0.5:22/tcp", "10.0.0.5:135/tcp", "10.0.0.5:7070/tcp",
    ]


def test_allow_list_silences_internal_risky_and_unexpected_but_not_the_internet():
    smb = svc("microsoft-ds", "Microsoft Windows Server 2008 R2 - 2012 microsoft-ds")
    internal = scan("internal", host("10.0.0.20", port(445, smb), port(8443, svc("http", tunnel="ssl")),
                                     name="srv-file01.corp.test"),
                    host("10.0.0.101", port(445, smb), name="wks-001.corp.test"))
    external = scan("external", host("203.0.113.7", port(445, smb), port(8443, svc("http", tunnel="ssl"))))
    allow = [AllowEntry(hosts=("srv-file01",), ports=(445, 8443), reason="file server"),
             AllowEntry(hosts=("203.0.113.0/24",), ports=(445, 8443))]  # scope defaults to internal
    results = run(evidence(internal, external), allow=allow)
    assert [a.name for a in results["open_ports.smb_internal"].affected] == ["10.0.0.101:445/tcp"]
    assert results["open_ports.unexpected_internal"].status is Status.passed
    assert [a.name for a in results["open_ports.smb_external"].affected] == ["203.0.113.7:445/tcp"]
    assert [a.name for a in results["open_ports.unexpected_external"].affected] == ["203.0.113.7:8443/tcp"]
    # An explicit external entry does allow an internet-facing service.
    allow.append(AllowEntry(hosts=("203.0.113.7",), ports=(8443,), protocol="tcp", scope="external"))
    results = run(evidence(internal, external), allow=allow)
    assert results["open_ports.unexpected_external"].status is Status.passed
    assert results["open_ports.smb_external"].status is Status.failed


@pytest.mark.parametrize(
    ("entry", "silenced"),
    [
        (AllowEntry(hosts=("10.0.0.0/24",)), True),
        (AllowEntry(hosts=("10.0.1.0/24",)), False),
        (AllowEntry(hosts=("nas01.corp.test",)), True),
        (AllowEntry(hosts=("NAS01",)), True),
        (AllowEntry(ports=(21,)), True),
        (AllowEntry(ports=(22,)), False),
        (AllowEntry(services=("ftp",)), True),
        (AllowEntry(services=("ssh",)), False),
        (AllowEntry(protocol="udp"), False),
        (AllowEntry(scope="external"), False),
        (AllowEntry(scope="any"), True),
    ],
)
def test_allow_entry_matching(entry, silenced):
    ev = evidence(internal=scan("internal", host("10.0.0.40", port(21, svc("ftp", "vsftpd")), name="nas01.corp.test")))
    status = run(ev, allow=[entry])["open_ports.ftp_internal"].status
    assert status is (Status.passed if silenced else Status.failed)


def test_allow_entry_accepts_single_values_as_in_toml():
    entry = AllowEntry.model_validate({"hosts": "10.0.0.5", "ports": 445, "services": "microsoft-ds"})
    assert entry.hosts == ("10.0.0.5",) and entry.ports == (445,) and entry.services == ("microsoft-ds",)


def test_open_filtered_and_closed_ports_are_not_findings():
    target = host("10.0.0.5", port(161, svc("snmp", method="table"), protocol="udp", state="open|filtered"),
                  port(3389, TYPICAL["rdp"][2], state="filtered"), port(23, TYPICAL["telnet"][2], state="closed"))
    results = run(evidence(internal=scan("internal", target)))
    assert failing(list(results.values())) == {}


def test_hook_evaluate_uses_profile_allow_list_and_baseline_parameters():
    ev = evidence(internal=scan("internal", host("10.0.0.40", port(21, svc("ftp")), port(8080, svc("http")))))
    settings = OpenPortsSettings(allow=(AllowEntry(ports=(21,)),))
    context = EvaluationContext(plugin="open_ports", now=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
                                parameters=OpenPortsParameters(admin_http_ports=(8080,)), settings=settings)
    results = plugin.auditor_evaluate(evidence=ev, context=context)
    assert len(results) == 20
    assert failing(results) == {"open_ports.http_admin_internal": ["10.0.0.40:8080/tcp"]}


def test_specs_match_catalogue():
    assert [s.check for s in SPECS] == list(CHECKS)
    for spec in SPECS:
        assert spec.check.id.endswith(f"_{spec.scope}")


def test_assets_are_internal_up_hosts_with_a_role_guess():
    internal = scan(
        "internal",
        host("10.0.0.50", port(80, svc("http", "HP printer http config", devicetype="printer")), name="prn-01.x"),
        host("10.0.0.10", port(445, svc("microsoft-ds")), name="dc01.corp.test"),
        host("10.0.0.99", status="down"),
    )
    external = scan("external", host("203.0.113.7", port(443, svc("https"))))
    observations = plugin.auditor_assets(evidence=evidence(internal, external))
    assert [(o.name, o.ips, o.role) for o in observations] == [
        ("dc01.corp.test", ("10.0.0.10",), "unknown"),
        ("prn-01.x", ("10.0.0.50",), "network"),
    ]
    assert all(o.source == "open_ports" for o in observations)


def test_unknown_service_placeholder_is_translated_for_the_french_report():
    internal = scan("internal", host("10.0.0.5", port(7071), port(7072, svc("", "Acme agent")),
                                     name="srv.example.test"))
    affected = run(evidence(internal))["open_ports.unexpected_internal"].affected
    assert [(a.name, a.detail, a.detail_fr) for a in affected] == [
        ("10.0.0.5:7071/tcp", "unknown service — srv.example.test", "service inconnu — srv.example.test"),
        ("10.0.0.5:7072/tcp", "unknown Acme agent — srv.example.test", "inconnu Acme agent — srv.example.test"),
    ]
    assert [a.detail_in("fr") for a in affected] == [
        "service inconnu — srv.example.test", "inconnu Acme agent — srv.example.test",
    ]
