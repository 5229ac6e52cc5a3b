"""The documented CSV export: delimiters, BOM, encodings, aliases, and errors naming file/line/column.
Property-based tests: any well-formed file round-trips, and any byte string either parses or raises
`EdrCsvError` (never another exception)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor_plugins.edr.csvexport import CsvExportSource, EdrCsvError, parse_csv
from auditor_plugins.edr.sources import EdrFileError

SCOPE = (ipaddress.ip_network("10.20.0.0/24"),)

SAMPLE = (
    "Name;Device ID;IPs;OS;Machine type;Agent version;Agent up to date;Last seen;Status;AV mode;"
    "Signatures up to date;Protection mode;Active threats;Console group\n"
    "SRV-FILE01.durand.local;e-1;10.20.0.20;Windows Server 2012 R2;server;10.1.2;oui;19/11/2026 08:12;online;"
    "active;yes;protect;0;Serveurs\n"
    "wks-004;e-2;10.20.0.104 192.168.1.5;Windows 10 Pro;laptop;9.0.1;non;2026-10-11T07:00:00Z;offline;passive;"
    "no;detect;2;Postes\n"
)


def test_semicolon_bom_french_booleans_and_day_first_dates() -> None:
    read = parse_csv(("\ufeff" + SAMPLE).encode("utf-8"), "export.csv", product="ESET PROTECT", networks=SCOPE)
    first, second = read.devices
    assert (first.name, first.console_id, first.role, first.agent_up_to_date, first.active) == (
        "SRV-FILE01.durand.local", "e-1", "server", True, True)
    assert first.last_seen == dt.datetime(2026, 11, 19, 8, 12, tzinfo=dt.UTC)
    assert (first.av_mode, first.protection_mode, first.active_threats, first.infected) == ("active", "protect", 0,
                                                                                            False)
    assert first.product == "ESET PROTECT" and first.provider == "csv"
    assert second.ips == ("10.20.0.104", "192.168.1.5") and second.inventory_ips == ("10.20.0.104",)
    assert (second.role, second.av_mode, second.protection_mode, second.infected) == ("workstation", "passive",
                                                                                      "detect", True)
    assert read.consoles[0].notes == ("ignored columns: Console group",)


def test_comma_delimiter_cp1252_and_minimal_columns(tmp_path) -> None:
    path = tmp_path / "sophos.csv"
    path.write_bytes("hostname,os\nPOSTE-COMPTA,Windows 11 Professionnel é\n".encode("cp1252"))
    read = CsvExportSource(path, product="Sophos Central").read()
    (device,) = read.devices
    assert device.name == "POSTE-COMPTA" and device.os.endswith("é") and device.role == "workstation"
    assert device.onboarded is True and device.agent_up_to_date is None and device.av_mode == "unknown"


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("name;last seen\nWKS-1;yesterday\n", 2, "last_seen", "expected a date"),
        ("name,agent_up_to_date\nWKS-1,maybe\n", 2, "agent_up_to_date", "expected yes/no"),
        ("name,ips\nWKS-1,10.0.0.1\nWKS-2,10.0.0.300\n", 3, "ips", "'10.0.0.300' is not an IP address"),
        ("name,av_mode\nWKS-1,sleepy\n", 2, "av_mode", "expected active, passive or disabled"),
        ("name,active_threats\nWKS-1,-1\n", 2, "active_threats", "whole number"),
        ("name,os\n,Windows\n", 2, "name", "the device name is empty"),
        ("hostname,name\nA,B\n", 1, "name", "appears twice"),
    ],
)
def test_errors_name_file_line_and_column(text: str, line: int, column: str, fragment: str) -> None:
    with pytest.raises(EdrCsvError) as caught:
        parse_csv(text.encode(), "edr/export.csv")
    error = caught.value
    assert (error.path, error.line, error.column) == ("edr/export.csv", line, column)
    assert fragment in str(error)
    assert str(error).startswith(f"edr/export.csv: line {line}, column '{column}': ")


def test_missing_name_column_and_too_many_fields() -> None:
    with pytest.raises(EdrCsvError, match=r"line 1: the header has no 'name' column"):
        parse_csv(b"id;os\n1;Windows\n", "x.csv")
    with pytest.raises(EdrCsvError, match=r"line 2: 3 fields but the header has 2"):
        parse_csv(b"name,os\nA,B,C\n", "x.csv")


def test_missing_file_is_a_file_error(tmp_path) -> None:
    with pytest.raises(EdrFileError, match="CSV export not found"):
        CsvExportSource(tmp_path / "absent.csv").read()


_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,14}(\.[a-z]{2,8}){0,2}", fullmatch=True)
_bool_cells = st.sampled_from(["yes", "no", "true", "false", "1", "0", "oui", "non", "", "unknown"])
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "oui": True,
          "non": False, "": None, "unknown": None}
_rows = st.lists(
    st.tuples(
        _names,
        st.lists(st.ip_addresses(v=4).filter(lambda a: not (a.is_loopback or a.is_link_local or a.is_unspecified
                                                            or a.is_multicast)), max_size=3),
        _bool_cells,
        st.one_of(st.none(), st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))),
        st.sampled_from(["active", "passive", "disabled", ""]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    ),
    max_size=15,
)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_well_formed_files_round_trip(rows, delimiter: str, bom: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["name", "ips", "agent_up_to_date", "last_seen", "av_mode", "active_threats", "os"])
    for name, ips, up, seen, mode, threats, os_name in rows:
        writer.writerow([name, " ".join(str(i) for i in ips), up, seen.isoformat() if seen else "", mode,
                         "" if threats is None else threats, os_name])
    data = (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
    read = parse_csv(data, "prop.csv")
    assert len(read.devices) == len(rows)
    for device, (name, ips, up, seen, mode, threats, os_name) in zip(read.devices, rows, strict=True):
        assert device.name == name
        assert device.ips == tuple(dict.fromkeys(str(i) for i in ips))
        assert device.agent_up_to_date is _BOOLS[up]
        assert device.last_seen == (seen.replace(tzinfo=dt.UTC) if seen else None)
        assert device.av_mode == (mode or "unknown")
        assert device.active_threats == threats
        assert device.os == os_name.strip()[:512]


@settings(max_examples=300)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_raise_a_domain_error(data: bytes) -> None:
    try:
        read = parse_csv(b"name,ips,last_seen,active_threats\n" + data, "fuzz.csv")
    except EdrCsvError as exc:
        assert str(exc).startswith("fuzz.csv")
    else:
        assert all(d.name for d in read.devices)


@settings(max_examples=200)
@given(text=st.text(max_size=300))
def test_arbitrary_text_parse_or_raise_a_domain_error(text: str) -> None:
    try:
        parse_csv(text, "fuzz.csv")
    except EdrCsvError as exc:
        assert str(exc).startswith("fuzz.csv")
