"""The generic CSV/JSON backup format: tolerant of BOM and `;`, precise errors, property-based tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import Status
from auditor_plugins.backup.checks import evaluate
from auditor_plugins.backup.generic import load_generic, parse_csv, parse_file, parse_json
from auditor_plugins.backup.sources import GenericFormatError
from tests.plugins.backup.helpers import ad, by_id, context, names, scanned

UTC = dt.UTC
HEADER = "asset,ips,last_successful_backup,copies,offsite,immutable,last_restore_test,product\n"
EXAMPLE = Path(__file__).resolve().parents[3] / "samples" / "demo-client" / "backup" / "generic-example.csv"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_bom_crlf_and_header_case(tmp_path: Path) -> None:
    text = ("\ufeffAsset;IPs;Last Successful Backup;Copies;Offsite;Immutable;Last Restore Test;Product\r\n"
            "NAS-BACKUP;10.0.0.5;2026-11-19T22:00:00Z;2;oui;non;2026-10-01;Synology Active Backup\r\n"
            "srv-db.corp.local;;2026-11-19;;;;;Datto\r\n\r\n")
    objects = parse_csv(write(tmp_path, "x.csv", text), text.lstrip("\ufeff"))
    first, second = objects
    assert (first.name, first.ips, first.copies, first.offsite, first.immutable) == ("NAS-BACKUP", ("10.0.0.5",), 2,
                                                                                     True, False)
    assert first.last_success == dt.datetime(2026, 11, 19, 22, tzinfo=UTC)
    assert first.last_restore_test == dt.datetime(2026, 10, 1, tzinfo=UTC)
    assert first.offsite_basis == "declared in x.csv, line 2: offsite = oui"
    assert (second.copies, second.offsite, second.immutable, second.last_restore_test) == (1, None, None, None)
    # The same file read from disk (BOM handled by the reader).
    assert parse_file(write(tmp_path, "y.csv", text))[0][0].name == "NAS-BACKUP"


def test_windows_1252_export_is_read(tmp_path: Path) -> None:
    text = HEADER + "SRV-COMPTA,,2026-11-19,1,non,non,,Acronis Cyber Protect – édition\n"
    objects, _ = parse_file(write(tmp_path, "ansi.csv", text, "cp1252"))
    assert objects[0].type == "Acronis Cyber Protect – édition"


@pytest.mark.parametrize(("text", "line", "column", "problem"), [
    (HEADER + "A,,19/11/2026,1,,,,\n", 2, "last_successful_backup", "is not an ISO 8601 date"),
    (HEADER + "A,,2026-11-19,1,,,,\nB,,2026-11-19,one,,,,\n", 3, "copies", "is not a whole number"),
    (HEADER + "A,,2026-11-19,1,maybe,,,\n", 2, "offsite", "is not yes/no"),
    (HEADER + "A,10.0.0.300,2026-11-19,1,,,,\n", 2, "ips", "is not an IP address"),
    (HEADER + ",,2026-11-19,1,,,,\n", 2, "asset", "is empty"),
    (HEADER + "A,,2026-11-19,1,,,,,extra,values\n", 2, None, "10 values for 8 columns"),
    ("name,when\nA,2026-11-19\n", 1, None, "missing column(s) asset, last_successful_backup"),
    ("", 1, None, "empty file"),
])
def test_csv_errors_name_file_line_and_column(tmp_path: Path, text: str, line: int, column: str | None,
                                              problem: str) -> None:
    path = write(tmp_path, "export.csv", text)
    with pytest.raises(GenericFormatError) as caught:
        parse_file(path)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert problem in error.problem
    assert str(error).startswith(f"{path}, line {line}")


def test_json_format_errors_and_exported_at(tmp_path: Path) -> None:
    good = {"format": "backup-generic/1", "exported_at": "2026-11-20T08:00:00Z",
            "assets": [{"asset": "SRV-A", "last_successful_backup": "2026-11-19T21:00:00Z", "copies": 3,
                        "offsite": True, "immutable": False, "ips": ["10.0.0.7"]}]}
    objects, exported = parse_json(Path("g.json"), json.dumps(good))
    assert exported == dt.datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert (objects[0].copies, objects[0].offsite, objects[0].immutable, objects[0].ips) == (3, True, False,
                                                                                             ("10.0.0.7",))
    bad = {"assets": [good["assets"][0], {"asset": "SRV-B", "last_successful_backup": "2026-11-19", "copies": "x"}]}
    with pytest.raises(GenericFormatError, match=r"g\.json, column 'assets\[1\]\.copies': 'x' is not a whole"):
        parse_json(Path("g.json"), json.dumps(bad))
    with pytest.raises(GenericFormatError, match=r"g\.json, line 2, column 'character 7': not valid JSON"):
        parse_json(Path("g.json"), '{\n  "a" 1}')
    with pytest.raises(GenericFormatError, match="unknown format 'veeam'"):
        parse_json(Path("g.json"), '{"format": "veeam", "assets": []}')
    with pytest.raises(GenericFormatError, match=r"column 'assets\[0\].asset': expected text, got dict"):
        parse_json(Path("g.json"), '[{"asset": {"x": 1}, "last_successful_backup": ""}]')


def test_files_merge_and_duplicates(tmp_path: Path) -> None:
    datto = write(tmp_path, "datto.csv", HEADER + "SRV-A,,2026-11-18,1,no,no,,Datto\n")
    cloud = write(tmp_path, "cloud.json", json.dumps([{"asset": "srv-a.corp.local", "last_successful_backup":
                                                       "2026-11-19", "copies": 1, "offsite": "yes",
                                                       "immutable": "yes"}]))
    evidence = load_generic([datto, cloud], clock=lambda: dt.datetime(2026, 11, 20, tzinfo=UTC))
    (obj,) = evidence.objects
    assert (obj.copies, obj.offsite, obj.immutable) == (2, True, True)
    assert obj.last_success == dt.datetime(2026, 11, 19, tzinfo=UTC)
    assert evidence.protection[0].worst_case_data_loss_hours == 24.0
    twice = write(tmp_path, "twice.csv", HEADER + "SRV-A,,2026-11-18,1,,,,\nsrv-a,,2026-11-18,1,,,,\n")
    with pytest.raises(GenericFormatError, match="'srv-a' is listed twice in the same file"):
        load_generic([twice])


def test_generic_example_evaluates_against_the_inventory() -> None:
    evidence = load_generic([EXAMPLE], clock=lambda: dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    observations = [ad("SRV-COMPTA.pme.local"), ad("DC1.pme.local", "domain_controller"),
                    scanned("192.168.1.20", "nas01", "server"), ad("SRV-RDS.pme.local")]
    results = by_id(evaluate(evidence, context(evidence, observations)))
    assert names(results["backup.server_without_backup"]) == ["SRV-RDS"]
    assert results["backup.dc_without_backup"].status is Status.passed
    assert names(results["backup.rpo_exceeded"]) == ["NAS01"]
    assert names(results["backup.no_immutable_copy"]) == ["NAS01", "SRV-COMPTA"]
    assert names(results["backup.restore_test_overdue"]) == ["DC1", "NAS01"]
    assert results["backup.failing_jobs"].status is Status.not_assessed


# -- property-based ----------------------------------------------------------------------------------------
names_st = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,14}(\.[a-z]{2,8}){0,2}", fullmatch=True)
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                       timezones=st.just(UTC)).map(lambda m: m.replace(microsecond=0))
rows = st.lists(st.tuples(names_st, st.none() | moments, st.none() | st.integers(0, 1000), st.none() | st.booleans(),
                          st.none() | st.booleans(), st.none() | moments), min_size=1, max_size=20)


def _bool(value: bool | None, french: bool) -> str:
    if value is None:
        return ""
    return ("oui" if value else "non") if french else ("yes" if value else "no")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans(), crlf=st.booleans(),
       zulu=st.booleans())
def test_csv_round_trip(rows: list, delimiter: str, bom: bool, crlf: bool, zulu: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["Asset", "Last_Successful_Backup", "copies", "OFFSITE", "immutable", "last_restore_test"])

    def iso(m: dt.datetime | None) -> str:
        return "" if m is None else (m.isoformat().replace("+00:00", "Z") if zulu else m.isoformat())

    for name, last, copies, offsite, immutable, tested in rows:
        writer.writerow([name, iso(last), "" if copies is None else copies, _bool(offsite, delimiter == ";"),
                         _bool(immutable, False), iso(tested)])
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    parsed = parse_csv(Path("p.csv"), text.lstrip("\ufeff"))
    assert [(o.name, o.last_success, o.copies, o.offsite, o.immutable, o.last_restore_test) for o in parsed] == [
        (name, last, copies if copies is not None else (1 if last else 0), offsite, immutable, tested)
        for name, last, copies, offsite, immutable, tested in rows]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_csv_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        parse_csv(Path("fuzz.csv"), text)
    except GenericFormatError as exc:
        assert str(exc).startswith("fuzz.csv")


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=25), inner, max_size=6), max_leaves=10)
asset_dicts = st.fixed_dictionaries({"asset": st.text(max_size=20) | st.integers()},
                                    optional={"last_successful_backup": json_values, "copies": json_values,
                                              "offsite": json_values, "immutable": json_values,
                                              "last_restore_test": json_values, "ips": json_values})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, st.lists(asset_dicts, max_size=5),
                 st.fixed_dictionaries({"assets": st.lists(asset_dicts, max_size=5)})))
def test_arbitrary_json_is_parsed_or_refused_cleanly(data: object) -> None:
    try:
        parse_json(Path("fuzz.json"), json.dumps(data))
    except GenericFormatError as exc:
        assert str(exc).startswith("fuzz.json")
