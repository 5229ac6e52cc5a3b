"""`auditor data update`: parsing and merging recorded endoflife.date v1 / CISA KEV snapshots served on loopback.

The snapshots in snapshots/ are trimmed copies in the documented shapes (endoflife.date API v1 product
documents, the CISA KEV catalogue JSON).  Nothing here reaches the internet.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import auditor.cli.data_commands  # noqa: F401 - registers `auditor data` until auditor/cli/__init__.py imports it
from auditor.cli import main
from auditor_plugins.patch_level.lifecycle import data_path, load_data
from auditor_plugins.patch_level.update import DataUpdateError, http_fetcher, update_data

SNAPSHOTS = Path(__file__).parent / "snapshots"
PRODUCTS = ("windows", "windows-server", "debian", "nginx")


class SnapshotServer:
    """Serves snapshots/ on 127.0.0.1; `overrides` maps a path to (status, body) for fault tests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.overrides: dict[str, tuple[int, bytes]] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                status, body = owner.overrides.get(self.path, (0, b""))
                if not status:
                    if self.path.startswith("/api/v1/products/"):
                        file = SNAPSHOTS / "endoflife" / f"{self.path.rsplit('/', 1)[1]}.json"
                    elif self.path == "/kev.json":
                        file = SNAPSHOTS / "kev.json"
                    else:
                        file = SNAPSHOTS / "missing"
                    status, body = (200, file.read_bytes()) if file.is_file() else (404, b'{"error": "nope"}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def snapshot_server() -> Iterator[SnapshotServer]:
    server = SnapshotServer()
    yield server
    server.close()


@pytest.fixture
def stale_copy(tmp_path: Path) -> Path:
    """The shipped data with known differences: 26H2 missing, Server 2016's date wrong, Debian 11 LTS unknown."""
    raw = json.loads(data_path().read_text(encoding="utf-8"))
    raw["windows"] = [w for w in raw["windows"] if w["key"] != "win11-26h2"]
    for entry in raw["windows"]:
        if entry["key"] == "ws2016":
            entry["end"]["all"] = "2027-01-13"
    for entry in raw["linux"]:
        if (entry["distro"], entry["version"]) == ("debian", "11"):
            entry["end"] = "2024-08-14"
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def run_update(server: SnapshotServer, source: Path, output: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return update_data(source=source, output=output, fetch=http_fetcher(timeout=5),
                       endoflife_url=f"{server.base}/api/v1/products/", kev_url=f"{server.base}/kev.json",
                       today=dt.date(2026, 11, 25), products=PRODUCTS, **kwargs)  # type: ignore[arg-type]


def test_merge_from_recorded_snapshots(snapshot_server: SnapshotServer, stale_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "lifecycle.json"
    report = run_update(snapshot_server, stale_copy, output)
    assert snapshot_server.requests == [f"/api/v1/products/{p}" for p in PRODUCTS] + ["/kev.json"]
    assert report.written == output and report.data_version == "2026.11.25-1"
    assert "Windows 11 26H2 (build 26300) added" in report.changes
    assert "Windows Server 2016: end 2027-01-13 -> 2027-01-12" in report.changes
    assert "Debian 11 (Bullseye): end 2024-08-14 -> 2026-08-31" in report.changes
    assert "nginx 1.29: branch not in the data (end none)" in report.to_curate
    assert any(item.startswith("CVE-2021-26855 (exchange:") for item in report.to_curate)
    assert "CVE-2017-7269: not in the CISA KEV catalogue any more" in report.to_curate  # trimmed snapshot
    assert not any("CVE-2021-44228" in item for item in report.to_curate)  # Log4j2 is not a tracked product
    data = load_data(output)
    added = next(w for w in data.windows if w.key == "win11-26h2")
    assert (added.build, added.end["home_pro"], added.end["enterprise"]) == (26300, dt.date(2028, 10, 10),
                                                                            dt.date(2029, 10, 9))
    assert data.data_date == dt.date(2026, 11, 25)
    assert data.snapshots == {"cisa_kev": "2026.11.19", "endoflife": "2026-11-25"}
    # The shipped values agree with the snapshots: refreshing the shipped file changes nothing but the date.
    again = run_update(snapshot_server, data_path(), tmp_path / "same.json")
    assert again.changes == []


def test_dry_run_writes_nothing(snapshot_server: SnapshotServer, stale_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "never.json"
    report = run_update(snapshot_server, stale_copy, output, dry_run=True)
    assert report.changes and report.written is None and not output.exists()


@pytest.mark.parametrize(("path", "status", "body", "message"), [
    ("/api/v1/products/debian", 503, b"busy", r"/api/v1/products/debian answered HTTP 503; the lifecycle data "
                                               r"was not changed"),
    ("/api/v1/products/nginx", 200, b"<html>", r"/api/v1/products/nginx did not answer JSON"),
    ("/api/v1/products/windows", 200, b'{"result": []}', r"endoflife.date product 'windows': not an API v1 product"),
    ("/kev.json", 200, b'{"count": 0}', r"CISA KEV: not the catalogue JSON"),
])
def test_bad_answers_are_clear_errors_and_nothing_is_written(snapshot_server: SnapshotServer, stale_copy: Path,
                                                             tmp_path: Path, path: str, status: int, body: bytes,
                                                             message: str) -> None:
    snapshot_server.overrides[path] = (status, body)
    output = tmp_path / "out.json"
    with pytest.raises(DataUpdateError, match=message):
        run_update(snapshot_server, stale_copy, output)
    assert not output.exists()


def test_merge_that_does_not_validate_is_refused(snapshot_server: SnapshotServer, stale_copy: Path,
                                                 tmp_path: Path) -> None:
    broken = json.loads((SNAPSHOTS / "endoflife" / "debian.json").read_text())
    broken["result"]["releases"].append({"name": "14", "label": "14 (Forky)", "releaseDate": "2027-13-45",
                                         "eolFrom": "2030-01-01"})
    snapshot_server.overrides["/api/v1/products/debian"] = (200, json.dumps(broken).encode())
    output = tmp_path / "out.json"
    with pytest.raises(DataUpdateError, match="does not validate, nothing written"):
        run_update(snapshot_server, stale_copy, output)
    assert not output.exists()


def test_offline_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = SnapshotServer()
    base = server.base
    server.close()  # nothing listens there any more: like being offline
    code = main(["data", "update", "--endoflife-url", f"{base}/api/v1/products/", "--kev-url", f"{base}/kev.json",
                 "--output", str(tmp_path / "x.json"), "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot reach http://127.0.0.1:") and "are you offline" in err
    assert "Traceback" not in err and not (tmp_path / "x.json").exists()


def test_cli_update_and_show(snapshot_server: SnapshotServer, stale_copy: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "cli.json"
    code = main(["data", "update", "--file", str(stale_copy), "--output", str(output),
                 "--endoflife-url", f"{snapshot_server.base}/api/v1/products/",
                 "--kev-url", f"{snapshot_server.base}/kev.json", *(f"--product={p}" for p in PRODUCTS)])
    out = capsys.readouterr().out
    assert code == 0 and output.exists()
    assert "changed: Windows 11 26H2 (build 26300) added" in out and f"written to {output}" in out
    assert main(["data", "show", "--file", str(output)]) == 0
    shown = capsys.readouterr().out
    assert "endoflife.date" in shown and "MIT" in shown and "CC0" in shown and "snapshot 2026.11.19" in shown
