"""The nmap XML parser and the recorded source: real structure, all CPEs, clear errors, hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import SourceError
from auditor_plugins.open_ports.nmap_xml import NmapXmlError, merge_hosts, parse_nmap_xml
from auditor_plugins.open_ports.sources import NmapXmlFileSource, RecordedFileMissing

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "samples" / "demo-client" / "open_ports"

SMALL = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sV -oX - 10.0.0.5" start="1763631002" version="7.94" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="3" services="22,80,3389"/>
<host><status state="up" reason="syn-ack"/>
<address addr="10.0.0.5" addrtype="ipv4"/>
<address addr="52:54:00:3C:8E:30" addrtype="mac" vendor="QEMU virtual NIC"/>
<hostnames><hostname name="srv-linux01.corp.test" type="PTR"/></hostnames>
<ports><extraports state="closed" count="1"/>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/>
<service name="ssh" product="OpenSSH" version="8.4p1 Debian 5+deb11u3" extrainfo="protocol 2.0" ostype="Linux"
 method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:8.4p1</cpe><cpe>cpe:/o:linux:linux_kernel</cpe></service></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/>
<service name="http" product="nginx" version="1.18.0" tunnel="ssl" method="probed" conf="10"/></port>
</ports></host>
<runstats><finished time="1763631062" exit="success" summary="done"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
"""


def test_small_document_fields_and_all_cpes():
    run, hosts = parse_nmap_xml(SMALL, "small.xml")
    assert run.version == "7.94" and run.args == "nmap -sV -oX - 10.0.0.5" and run.exit == "success"
    assert run.start.isoformat() == "2025-11-20T09:30:02+00:00"
    assert (run.end - run.start).total_seconds() == 60
    assert run.scaninfo[0].covers(3389) and not run.scaninfo[0].covers(445)
    (host,) = hosts
    assert host.ip == "10.0.0.5" and host.mac == "52:54:00:3C:8E:30" and host.name == "srv-linux01.corp.test"
    ssh, http = host.ports
    # python-nmap would keep only the last CPE; the evidence keeps both, in nmap's order.
    assert ssh.service.cpes == ("cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel")
    assert (ssh.service.product, ssh.service.version, ssh.service.extrainfo) == (
        "OpenSSH", "8.4p1 Debian 5+deb11u3", "protocol 2.0")
    assert http.service.tunnel == "ssl" and http.service.label() == "ssl/http nginx 1.18.0"
    assert host.extraports[0].count == 1


def test_demo_files_describe_the_estate():
    run, hosts = parse_nmap_xml((DEMO / "internal.xml").read_bytes(), "internal.xml")
    assert len(hosts) == 15 and run.hosts_up == 15 and run.version.startswith("7.9")
    names = {h.name for h in hosts}
    assert {"dc01.durand.local", "srv-app01.durand.local", "nas01.durand.local", "wks-004.durand.local"} <= names
    by_ip = {h.ip: h for h in hosts}
    assert {p.key for p in by_ip["10.20.0.40"].open_ports()} == {"21/tcp", "23/tcp", "139/tcp", "445/tcp",
                                                                  "5000/tcp", "5001/tcp"}
    assert "5900/tcp" in {p.key for p in by_ip["10.20.0.104"].open_ports()}
    mysql = next(p for p in by_ip["10.20.0.30"].ports if p.port == 3306)
    assert mysql.service.product == "MySQL" and mysql.service.cpes
    assert all(h.ip.startswith("10.20.0.") for h in hosts)
    _run, external = parse_nmap_xml((DEMO / "external.xml").read_bytes(), "external.xml")
    assert [h.ip for h in external] == ["203.0.113.10"]
    assert {p.key for p in external[0].open_ports()} == {"443/tcp", "3389/tcp"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "file is empty"),
        (b"   \n", "file is empty"),
        (SMALL[: len(SMALL) // 2], "ends too early"),
        (b"<nmaprun><host></nmaprun>", "malformed XML: mismatched tag"),
        (b"<html><body>hello</body></html>", "not an nmap XML scan (root element is <html>"),
        (SMALL.replace(b'portid="22"', b'portid="twenty-two"'), "portid: 'twenty-two' is not a whole number"),
        (SMALL.replace(b'portid="22"', b'portid="70000"'), "port number 70000 is out of range"),
        (SMALL.replace(b'protocol="tcp" portid="80"', b'protocol="xyz" portid="80"'), "unknown port protocol"),
        (SMALL.replace(b'addr="10.0.0.5"', b'addr="10.0.0.500"'), "'10.0.0.500' is not an IP address"),
        (SMALL.replace(b'start="1763631002"', b'start="99999999999999999"'), "not a plausible Unix time"),
        (SMALL.replace(b'conf="10"', b'conf="ten"', 1), "service conf: 'ten' is not a whole number"),
    ],
)
def test_malformed_documents_give_one_clear_error_naming_the_file(data, fragment):
    with pytest.raises(NmapXmlError) as caught:
        parse_nmap_xml(data, "/data/client/internal.xml")
    message = str(caught.value)
    assert message.startswith("/data/client/internal.xml")
    assert fragment in message


def test_syntax_errors_name_the_line():
    broken = SMALL.replace(b"<ports>", b"<ports><<", 1)
    with pytest.raises(NmapXmlError) as caught:
        parse_nmap_xml(broken, "scan.xml")
    assert caught.value.line == 9
    assert str(caught.value).startswith("scan.xml, line 9: malformed XML")


def test_entity_expansion_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<nmaprun>&b;</nmaprun>")
    with pytest.raises(NmapXmlError, match="unsafe XML refused"):
        parse_nmap_xml(bomb, "bomb.xml")
    external = (b'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b"<nmaprun>&x;</nmaprun>")
    with pytest.raises(NmapXmlError, match="unsafe XML refused"):
        parse_nmap_xml(external, "xxe.xml")


def test_hostile_strings_are_bounded():
    data = SMALL.replace(b'product="nginx"', f'product="{"A" * 5000}"'.encode()).replace(
        b'name="srv-linux01.corp.test"', f'name="{"b" * 1000}.corp.test"'.encode())
    _run, (host,) = parse_nmap_xml(data, "x.xml")
    assert len(host.ports[1].service.product) == 512 and host.ports[1].service.product.endswith("…")
    assert len(host.name) == 128


def test_merge_hosts_of_two_runs_later_wins_port_by_port():
    _run, first = parse_nmap_xml(SMALL, "a.xml")
    second_doc = SMALL.replace(b'product="nginx" version="1.18.0"', b'product="nginx" version="1.24.0"').replace(
        b'<port protocol="tcp" portid="22">', b'<port protocol="tcp" portid="2222">')
    _run, second = parse_nmap_xml(second_doc, "b.xml")
    (merged,) = merge_hosts([first, second])
    assert [p.key for p in merged.ports] == ["22/tcp", "80/tcp", "2222/tcp"]
    assert merged.ports[1].service.version == "1.24.0"


def test_recorded_source_reads_files_and_names_missing_ones(tmp_path):
    (tmp_path / "int.xml").write_bytes(SMALL)
    source = NmapXmlFileSource({"internal": [("int.xml", tmp_path / "int.xml")], "external": []})
    scan = source.scan("internal")
    assert scan is not None and scan.scope == "internal" and scan.runs[0].origin == "int.xml"
    assert source.scan("external") is None
    info = source.source_info()
    assert info.kind == "recorded" and info.files == ("int.xml",)
    assert info.options["internal.command"] == "nmap -sV -oX - 10.0.0.5"

    missing = NmapXmlFileSource({"internal": [("gone.xml", tmp_path / "gone.xml")]})
    with pytest.raises(RecordedFileMissing, match=r"not found: .*gone\.xml"):
        missing.scan("internal")
    (tmp_path / "bad.xml").write_bytes(b"<nmaprun><host>")
    bad = NmapXmlFileSource({"internal": [("bad.xml", tmp_path / "bad.xml")]})
    with pytest.raises(NmapXmlError, match=r"bad\.xml, line 1: malformed XML"):
        bad.scan("internal")


# ------------------------------------------------------------------------------------------------
# Property-based: whatever the input, the parser returns or raises NmapXmlError, nothing else.
# ------------------------------------------------------------------------------------------------

def _parse_or_domain_error(data: bytes) -> None:
    try:
        _run, hosts = parse_nmap_xml(data, "fuzz.xml")
    except NmapXmlError as exc:
        assert str(exc).startswith("fuzz.xml")
        assert isinstance(exc, SourceError)
    else:
        for host in hosts:
            assert host.ip
            for port in host.ports:
                assert 0 <= port.port <= 65535


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_escape_the_domain_error(data):
    _parse_or_domain_error(data)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(SMALL)), st.integers(0, 40), st.binary(max_size=30))
def test_garbled_nmap_documents_never_escape_the_domain_error(position, cut, insert):
    _parse_or_domain_error(SMALL[:position] + insert + SMALL[position + cut:])


_ATTR = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(portid=_ATTR, protocol=_ATTR, addr=_ATTR, conf=_ATTR, product=_ATTR, start=_ATTR, count=_ATTR)
def test_arbitrary_attribute_values_never_escape_the_domain_error(portid, protocol, addr, conf, product, start,
                                                                  count):
    from xml.sax.saxutils import quoteattr

    doc = (
        f'<nmaprun start={quoteattr(start)}><scaninfo type="syn" protocol="tcp" numservices={quoteattr(count)}/>'
        f"<host><status state=\"up\"/><address addr={quoteattr(addr)} addrtype=\"ipv4\"/><ports>"
        f"<extraports state=\"closed\" count={quoteattr(count)}/>"
        f"<port protocol={quoteattr(protocol)} portid={quoteattr(portid)}><state state=\"open\"/>"
        f"<service name=\"x\" product={quoteattr(product)} conf={quoteattr(conf)}><cpe>{product and 'cpe:/a:x'}</cpe>"
        f"</service></port></ports></host></nmaprun>"
    )
    _parse_or_domain_error(doc.encode("utf-8", "surrogatepass"))


def test_stdlib_fallback_parser_behaves_the_same(monkeypatch):
    """Where defusedxml is not installed, the guarded expat parser gives the same results and errors."""
    from auditor_plugins.open_ports import nmap_xml

    with_defusedxml = parse_nmap_xml(SMALL, "small.xml")
    monkeypatch.setattr(nmap_xml, "_defused_fromstring", None)
    assert parse_nmap_xml(SMALL, "small.xml") == with_defusedxml
    with pytest.raises(NmapXmlError, match="unsafe XML refused"):
        parse_nmap_xml(b'<!DOCTYPE nmaprun [<!ENTITY a "x">]><nmaprun>&a;</nmaprun>', "bomb.xml")
    with pytest.raises(NmapXmlError, match="unsafe XML refused"):
        parse_nmap_xml(b'<!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]><nmaprun>&x;</nmaprun>', "x.xml")
    with pytest.raises(NmapXmlError, match=r"^t\.xml, line \d+: malformed XML: .*ends too early"):
        parse_nmap_xml(SMALL[:300], "t.xml")
    _parse_or_domain_error(b"\xff\xfe<\x00n\x00")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(SMALL)), st.integers(0, 40), st.binary(max_size=30))
def test_garbled_documents_with_the_fallback_parser(position, cut, insert):
    from auditor_plugins.open_ports import nmap_xml

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nmap_xml, "_defused_fromstring", None)
        _parse_or_domain_error(SMALL[:position] + insert + SMALL[position + cut:])
