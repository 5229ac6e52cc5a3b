"""Every class of profile mistake gives one clear line naming the file and the field, and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main

VALID = """
[client]
id = "acme"
name = "Acme SARL"
language = "fr"

[msp]
name = "Alpes Infogérance"

[contract]
hourly_rate = 95.0
monthly_hours = 16

[baseline]
name = "smb-essential"
"""


def run_cli(tmp_path: Path, capsys, content: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "client.toml"
    path.write_text(content, encoding="utf-8")
    code = main(["audit", str(path), "--out", str(tmp_path / "out"), "--no-store", "--quiet", *args])
    captured = capsys.readouterr()
    return code, captured.err


CASES = [
    ("missing field", VALID.replace("hourly_rate = 95.0\n", ""), "contract.hourly_rate: required field is missing"),
    ("wrong type", VALID.replace("monthly_hours = 16", 'monthly_hours = "lots"'), "contract.monthly_hours: "),
    ("bad enum", VALID.replace('language = "fr"', 'language = "de"'), "client.language: "),
    ("unknown field", VALID + "\n[msp.extra]\nx = 1\n", "msp.extra: unknown field"),
    ("unknown plugin", VALID + "\n[plugins.nosuch]\nenabled = true\n", "plugins.nosuch: unknown plugin 'nosuch'"),
    ("unknown baseline", VALID.replace('name = "smb-essential"', 'name = "nope"'),
     "baseline.name: unknown baseline 'nope' (available: "),
    ("inline secret", VALID + '\n[plugins.mfa]\nclient_secret = "Hunter2-pa55"\n',
     "plugins.mfa.client_secret: inline secret refused"),
    ("malformed TOML", VALID + "\n[contract\n", "malformed TOML"),
    ("not UTF-8", None, "not valid UTF-8"),
]


@pytest.mark.parametrize(("label", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_profile_mistakes_give_one_clear_line(tmp_path, capsys, label, content, expected) -> None:
    if content is None:
        path = tmp_path / "client.toml"
        path.write_bytes(VALID.encode("latin-1", "replace").replace(b"Alpes Infog?rance", b"Alpes Infog\xe9rance"))
        code = main(["audit", str(path), "--no-store", "--quiet"])
        err = capsys.readouterr().err
    else:
        code, err = run_cli(tmp_path, capsys, content)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {tmp_path / 'client.toml'}")
    assert expected in lines[0]
    assert "Traceback" not in err
    assert "Hunter2-pa55" not in err


def test_missing_profile_file(tmp_path, capsys) -> None:
    code = main(["audit", str(tmp_path / "nope.toml"), "--no-store", "--quiet"])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.toml'}: file not found"


def test_shipped_profiles_are_valid() -> None:
    from auditor.pluginmanager import PluginRegistry
    from auditor.profile import load_profile

    registry = PluginRegistry.build()
    root = Path(__file__).resolve().parents[2] / "profiles"
    for name in ("demo-client.toml", "example-client.toml"):
        profile = load_profile(root / name, registry)
        assert profile.client.id


@pytest.mark.parametrize("url", ["https://admin:Hunter2-pa55@veeam.example:9419", "https://s1.example/api?token=Hunter2-pa55"])
def test_credentials_inside_urls_are_refused(tmp_path, capsys, url) -> None:
    content = VALID + f'\n[plugins.backup]\nbase_url = "{url}"\n'
    code, err = run_cli(tmp_path, capsys, content)
    assert code == 2
    assert "plugins.backup.base_url: inline secret refused" in err
    assert "Hunter2-pa55" not in err


def test_log_tracebacks_are_redacted(capsys) -> None:
    import logging

    from auditor.secrets import REDACTOR, RedactingFormatter

    REDACTOR.add("tr4ceback-s3cret")
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("bad value tr4ceback-s3cret")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = formatter.format(record)
    assert "ValueError: bad value ***" in text and "tr4ceback-s3cret" not in text
    REDACTOR.add('q"uo\\te-secret')
    assert REDACTOR.redact('{"v": "q\\"uo\\\\te-secret"}') == '{"v": "***"}'
