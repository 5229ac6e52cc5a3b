"""The command line end to end on the demo client: collect on site, evaluate at the office, list, report."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from auditor.cli import main

PROFILE = str(Path(__file__).resolve().parents[2] / "profiles" / "demo-client.toml")


def test_collect_then_evaluate_offline_with_another_baseline(tmp_path, capsys) -> None:
    bundle = tmp_path / "durand.zip"
    assert main(["collect", PROFILE, "--out", str(bundle), "--quiet"]) == 0
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert {"manifest.json", "profile.json", "evidence/open_ports.json", "evidence/account_hygiene.json",
            "evidence/mfa.json", "evidence/edr.json", "evidence/backup.json", "evidence/patch_level.json"} <= names

    db = str(tmp_path / "store.sqlite")
    assert main(["evaluate", str(bundle), "--out", str(tmp_path / "essential"), "--db", db]) == 0
    assert main(["evaluate", str(bundle), "--out", str(tmp_path / "strict"), "--baseline", "smb-strict",
                 "--no-store"]) == 0
    essential = json.loads((tmp_path / "essential" / "audit.json").read_text())
    strict = json.loads((tmp_path / "strict" / "audit.json").read_text())
    assert essential["provenance"]["baseline"] == "smb-essential"
    assert strict["provenance"]["baseline"] == "smb-strict"
    assert essential["provenance"]["bundle_digest"] == strict["provenance"]["bundle_digest"]
    # Same evidence, same checks assessed; the stricter baseline can only score lower.
    assert essential["scores"]["coverage"] == strict["scores"]["coverage"]
    assert strict["scores"]["overall"] < essential["scores"]["overall"]
    for name in ("roadmap.json", "roadmap.csv", "report-fr.pdf"):
        assert (tmp_path / "essential" / name).stat().st_size > 0
    out = capsys.readouterr().out
    assert "saved in store sqlite" in out and "Score " in out


def test_evaluating_the_same_bundle_twice_gives_identical_audits(tmp_path) -> None:
    bundle = tmp_path / "b"
    assert main(["collect", PROFILE, "--out", str(bundle), "--quiet"]) == 0
    outputs = []
    for run in ("one", "two"):
        assert main(["evaluate", str(bundle), "--out", str(tmp_path / run), "--no-store"]) == 0
        data = json.loads((tmp_path / run / "audit.json").read_text())
        data.pop("evaluated_at")
        for record in data["runs"]:
            if record["phase"] == "evaluate":
                record.pop("started_at"), record.pop("finished_at")
        outputs.append(data)
    assert outputs[0] == outputs[1]
    assert (tmp_path / "one" / "roadmap.csv").read_bytes() == (tmp_path / "two" / "roadmap.csv").read_bytes()


def test_plugins_and_checks_listings(capsys) -> None:
    assert main(["plugins"]) == 0
    listing = capsys.readouterr().out
    for name in ("open_ports", "account_hygiene", "patch_level", "mfa", "edr", "backup"):
        assert name in listing
    assert main(["checks", "--lang", "fr", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in catalogue}
    assert {"open_ports.rdp_external", "mfa.admin_registration", "backup.dc_without_backup"} <= ids
    assert len({c["area"] for c in catalogue}) == 6
    assert all(c["title"]["fr"] and c["title"]["en"] and c["remediation"]["fr"] for c in catalogue)
    assert main(["checks", "--lang", "de"]) == 2


def test_tampered_bundle_is_one_clear_line(tmp_path, capsys) -> None:
    bundle = tmp_path / "b"
    assert main(["collect", PROFILE, "--out", str(bundle), "--quiet"]) == 0
    capsys.readouterr()
    evidence = bundle / "evidence" / "mfa.json"
    evidence.write_text(evidence.read_text().replace("adm.it", "adm.xx"))
    assert main(["evaluate", str(bundle), "--no-store"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {bundle}/evidence/mfa.json: content does not match its hash in the manifest (edited?)"]
