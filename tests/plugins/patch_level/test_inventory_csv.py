"""Inventory exports: accepted variants (French Excel, UTF-16, column maps) and malformed ones."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor_plugins.patch_level.errors import InventoryCsvError
from auditor_plugins.patch_level.inventory_csv import parse_inventory_csv
from auditor_plugins.patch_level.sources import CsvInventorySource

UTC = dt.UTC
FRENCH = ("Nom de l'appareil;Système d'exploitation;Version du système;Dernière mise à jour;"
          "Mises à jour en attente;Dernier contact;Type\r\n"
          "WKS-003;Windows 10 Professionnel;10.0.19045.6456;15/10/2025 09:41;0;20/11/2026 08:55;Poste de travail\r\n"
          "SRV-APP01;Windows Server 2016 Standard;10.0.14393.8148;10/06/2026;5;;Serveur\r\n")


def test_french_excel_export_cp1252_semicolon_day_first() -> None:
    read = parse_inventory_csv(FRENCH.encode("cp1252"), "rmm.csv")
    assert read.export.encoding == "cp1252" and read.export.delimiter == ";"
    assert read.export.columns["os_name"] == "Système d'exploitation"
    first, second = read.devices
    assert (first.name, first.build, first.revision, first.pending_updates) == ("WKS-003", 19045, 6456, 0)
    assert first.last_patch == dt.datetime(2025, 10, 15, 9, 41, tzinfo=UTC)
    assert first.last_seen == dt.datetime(2026, 11, 20, 8, 55, tzinfo=UTC)
    assert (first.role, second.role, second.last_seen, second.line) == ("workstation", "server", None, 3)


def test_utf16_with_bom_and_tabs() -> None:
    text = "Computer Name\tOS\tOS Build\tUBR\tLast Seen\r\nPC1\tWindows 11 Pro\t26100\t7171\t2026-11-19T08:00:00Z\r\n"
    read = parse_inventory_csv(text.encode("utf-16"), "export.txt")
    (device,) = read.devices
    assert (device.build, device.revision, read.export.encoding, read.export.delimiter) == (26100, 7171, "utf-16",
                                                                                            "\t")


def test_column_map_overrides_aliases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ninja.csv"
    path.write_text("Device,Name,Platform,Patched On\nPC-9,ignored,Windows 10 Pro,11/19/2026\n", encoding="utf-8")
    source = CsvInventorySource(path, column_map={"name": "Device", "os_name": "Platform",
                                                  "last_patch": "Patched On"}, date_format="mdy")
    read = source.read()
    (device,) = read.devices
    assert (device.name, device.os_name, device.last_patch) == ("PC-9", "Windows 10 Pro",
                                                                dt.datetime(2026, 11, 19, tzinfo=UTC))
    assert "Name" in read.export.ignored_columns


@pytest.mark.parametrize(("content", "pattern"), [
    ("Name;Version\nA;10.0.19045\n", r"bad\.csv: line 1, column 'os_name': required column missing"),
    ("Name;OS;Last patch\nA;Windows 10 Pro;32/13/2026\n",
     r"bad\.csv: line 2, column 'Last patch': expected a date .* got '32/13/2026'"),
    ("Name;OS;Pending updates\nA;Windows;x\nB;Windows;2\n",
     r"bad\.csv: line 2, column 'Pending updates': expected a whole number"),
    ("Name;OS;Version;Revision\nA;Windows 11 Pro;26100;June\n",
     r"bad\.csv: line 2, column 'Revision': expected the update revision as a number"),
    ("Name;OS\n;Windows 11 Pro\n", r"bad\.csv: line 2, column 'Name': the device name is empty"),
    ("Name;OS\nA;Windows;extra;cells\n", r"bad\.csv: line 2: 4 cells but the header has 2 columns"),
    ("Name;OS;IP\nA;Windows;10.0.0.300\n", r"bad\.csv: line 2, column 'IP': '10\.0\.0\.300' is not an IP"),
    ("\nName;OS\n", r"bad\.csv: line 1: the first line must be the header"),
    ('Name;OS\n"A;Windows\n', r"bad\.csv: line \d+: malformed CSV"),
])
def test_malformed_exports_name_file_line_and_column(content: str, pattern: str) -> None:
    with pytest.raises(InventoryCsvError, match=pattern):
        parse_inventory_csv(content.encode("utf-8"), "bad.csv")


def test_bad_encoding_and_binary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InventoryCsvError, match="NUL bytes"):
        parse_inventory_csv(b"Name,OS\x00\n", "bin.csv")
    with pytest.raises(InventoryCsvError, match=r"cannot decode as ascii"):
        parse_inventory_csv("Nom;Système\n".encode("cp1252"), "x.csv", encoding="ascii")
    with pytest.raises(InventoryCsvError, match=r"missing\.csv: file not found"):
        CsvInventorySource(tmp_path / "missing.csv").read()
    with pytest.raises(InventoryCsvError, match="column_map names unknown column"):
        parse_inventory_csv("a,b\n", "x.csv", column_map={"hostname": "a"})


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@given(st.lists(st.lists(cell, min_size=1, max_size=6), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_arbitrary_rows_parse_or_fail_cleanly(rows: list[list[str]], sep: str) -> None:
    body = "\n".join(sep.join(r) for r in rows)
    text = f"name{sep}os{sep}last_patch{sep}pending_updates\n{body}\n"
    try:
        read = parse_inventory_csv(text.encode("utf-8"), "fuzz.csv")
    except InventoryCsvError as exc:
        assert str(exc).startswith("fuzz.csv")
    else:
        assert all(d.name for d in read.devices)
        assert all(len(d.name) <= 512 for d in read.devices)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    try:
        parse_inventory_csv(b"name;os\n" + raw, "raw.csv")
    except InventoryCsvError as exc:
        assert "raw.csv" in str(exc)


def test_error_in_a_french_excel_export_names_the_accented_column() -> None:
    content = ("Nom;Système;Dernière mise à jour\r\nPC-1;Windows 11 Pro;19/11/2026\r\n"
               "PC-2;Windows 11 Pro;le 3 novembre\r\n").encode("cp1252")
    with pytest.raises(InventoryCsvError) as caught:
        parse_inventory_csv(content, "export-rmm.csv")
    assert str(caught.value) == ("export-rmm.csv: line 3, column 'Dernière mise à jour': expected a date such as "
                                 "2026-11-19T08:12:00Z or 19/11/2026 08:12, got 'le 3 novembre'")
    assert (caught.value.line, caught.value.column) == (3, "Dernière mise à jour")
