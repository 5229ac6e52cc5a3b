"""`auditor data update`: refresh the shipped lifecycle data from its public sources, when online.

The audit itself never needs the network: it uses the dated data file shipped with the plugin and the
report states its date.  This module is the optional refresh: it downloads endoflife.date API v1 product
documents (MIT: the attribution stays in the file) and the CISA KEV catalogue (CC0), merges them into the
existing file and writes a new dated version -- only after the result validates.

Merging is conservative and explainable: known entries get their dates updated; new Windows feature
releases are added when endoflife.date names their build (``latest.name`` "10.0.26300"); anything else
unknown (a new nginx branch, a KEV entry for a tracked product) is *reported* for a human to curate,
because the version ranges the checks need are not in those feeds.  Every change is listed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from auditor import __version__
from auditor.errors import AuditorError
from auditor_plugins.patch_level.lifecycle import LifecycleDataError, data_path, load_data

ENDOFLIFE_URL = "https://endoflife.date/api/v1/products/"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

#: endoflife.date product slug -> how its releases map onto our file.
ENDOFLIFE_PRODUCTS = ("windows", "windows-server", "debian", "ubuntu", "rhel", "rocky-linux", "almalinux",
                      "nginx", "apache-http-server", "openssl", "mssqlserver")
_LINUX_SLUGS = {"debian": "debian", "ubuntu": "ubuntu", "rhel": "rhel", "rocky-linux": "rocky", "almalinux": "alma"}
_SERVICE_SLUGS = {"nginx": "nginx", "apache-http-server": "apache_httpd", "openssl": "openssl",
                  "mssqlserver": "mssql"}
#: KEV vendor/product pairs (lower case, substring) for the products the checks track.
_KEV_TRACKED: tuple[tuple[str, str, str], ...] = (
    ("apache", "http server", "apache_httpd"),
    ("openssl", "openssl", "openssl"),
    ("openbsd", "openssh", "openssh"),
    ("nginx", "nginx", "nginx"),
    ("f5", "nginx", "nginx"),
    ("microsoft", "internet information services", "iis"),
    ("microsoft", "exchange server", "exchange"),
    ("microsoft", "sql server", "mssql"),
)
_WINDOWS_NAME = re.compile(r"^(10|11)-([0-9]{2}h[12]|[0-9]{4})-(e|w|iot)(-lts)?$")


class DataUpdateError(AuditorError):
    """The refresh could not complete; the shipped data stays as it was."""


@dataclass
class UpdateReport:
    changes: list[str] = field(default_factory=list)
    to_curate: list[str] = field(default_factory=list)
    data_version: str = ""
    data_date: dt.date | None = None
    written: Path | None = None


Fetch = Callable[[str], Any]


def http_fetcher(timeout: float = 30.0, session: requests.Session | None = None) -> Fetch:
    """GET a JSON document with `requests`; network problems become one clear `DataUpdateError`."""
    http = session or requests.Session()
    http.headers.update({"User-Agent": f"msp-posture-auditor/{__version__} (lifecycle data update)",
                         "Accept": "application/json"})

    def fetch(url: str) -> Any:
        try:
            response = http.get(url, timeout=timeout)
        except requests.RequestException as exc:
            raise DataUpdateError(
                f"cannot reach {url} ({type(exc).__name__}); are you offline or behind a proxy? "
                "The audit does not need the network: the shipped lifecycle data stays in use.") from None
        if response.status_code != 200:
            raise DataUpdateError(f"{url} answered HTTP {response.status_code}; the lifecycle data was not changed")
        try:
            return response.json()
        except ValueError:
            raise DataUpdateError(f"{url} did not answer JSON; the lifecycle data was not changed") from None

    return fetch


def _date(value: Any) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    return None


def _releases(payload: Any, slug: str) -> list[dict[str, Any]]:
    """The `result.releases` list of an endoflife.date v1 product document, validated enough to merge."""
    result = payload.get("result") if isinstance(payload, dict) else None
    releases = result.get("releases") if isinstance(result, dict) else None
    if not isinstance(releases, list):
        raise DataUpdateError(f"endoflife.date product '{slug}': not an API v1 product document "
                              "(expected result.releases)")
    return [r for r in releases if isinstance(r, dict) and isinstance(r.get("name"), str)]


def merge_endoflife(data: dict[str, Any], slug: str, payload: Any, report: UpdateReport) -> None:
    """Merge one endoflife.date v1 product document into the raw data dict (in place)."""
    releases = _releases(payload, slug)
    if slug == "windows":
        _merge_windows(data, releases, report)
    elif slug == "windows-server":
        _merge_windows_server(data, releases, report)
    elif slug in _LINUX_SLUGS:
        _merge_linux(data, _LINUX_SLUGS[slug], releases, report)
    elif slug in _SERVICE_SLUGS:
        _merge_services(data, _SERVICE_SLUGS[slug], releases, report)


def _set(entry: dict[str, Any], key: str, value: str | None, label: str, report: UpdateReport) -> None:
    if value is None:
        return
    old = entry.get(key)
    if old != value:
        entry[key] = value
        report.changes.append(f"{label}: {key} {old or '-'} -> {value}")


def _merge_windows(data: dict[str, Any], releases: list[dict[str, Any]], report: UpdateReport) -> None:
    by_key = {w["key"]: w for w in data["windows"]}
    for release in releases:
        match = _WINDOWS_NAME.match(release["name"].lower())
        if not match:
            continue
        family, version, edition, lts = match.groups()
        end = _date(release.get("eolFrom"))
        if lts:
            continue  # LTSC names do not say which LTSC year; kept as curated
        group = "enterprise" if edition in ("e", "iot") else "home_pro"
        key = f"win{family}-{version}"
        entry = by_key.get(key)
        if entry is None:
            build = _build_of(release)
            released = _date(release.get("releaseDate"))
            if build is None or released is None:
                report.to_curate.append(f"windows {release['name']}: new release without a build number")
                continue
            entry = {"key": key, "product": f"Windows {family}", "kind": "client", "channel": "ga",
                     "version": version.upper(), "build": build, "released": released, "end": {},
                     "source": "endoflife"}
            data["windows"].append(entry)
            by_key[key] = entry
            report.changes.append(f"Windows {family} {version.upper()} (build {build}) added")
        if end is not None and entry["end"].get(group) != end:
            report.changes.append(f"{entry['product']} {entry['version']} {group}: end "
                                  f"{entry['end'].get(group, '-')} -> {end}")
            entry["end"][group] = end
    for entry in data["windows"]:
        if entry["channel"] == "ga" and entry["end"] and set(entry["end"]) != {"home_pro", "enterprise"}:
            only = next(iter(entry["end"].values()))
            entry["end"].setdefault("home_pro", only)
            entry["end"].setdefault("enterprise", only)


def _build_of(release: dict[str, Any]) -> int | None:
    latest = release.get("latest")
    name = latest.get("name") if isinstance(latest, dict) else None
    match = re.fullmatch(r"10\.0\.(\d{5})(?:\.\d+)?", name or "")
    return int(match.group(1)) if match else None


def _merge_windows_server(data: dict[str, Any], releases: list[dict[str, Any]], report: UpdateReport) -> None:
    by_product = {w["product"].lower(): w for w in data["windows"] if w["kind"] == "server"}
    for release in releases:
        name = release["name"].lower()
        match = re.fullmatch(r"(\d{4})(-r2)?(?:-sp\d)?", name)
        if not match:
            continue
        product = f"windows server {match.group(1)}{' r2' if match.group(2) else ''}"
        entry = by_product.get(product)
        if entry is None:
            report.to_curate.append(f"windows-server {release['name']}: not in the data (build unknown)")
            continue
        label = entry["product"]
        end = _date(release.get("eolFrom"))
        if end is not None and entry["end"].get("all") != end:
            report.changes.append(f"{label}: end {entry['end'].get('all')} -> {end}")
            entry["end"]["all"] = end
        _set(entry, "mainstream_end", _date(release.get("eoasFrom")), label, report)


def _merge_linux(data: dict[str, Any], distro: str, releases: list[dict[str, Any]], report: UpdateReport) -> None:
    existing = {(e["distro"], e["version"]): e for e in data["linux"]}
    for release in releases:
        version = release["name"]
        if distro == "ubuntu" and not release.get("isLts"):
            continue
        if distro != "ubuntu":
            version = version.split(".")[0]
        entry = existing.get((distro, version))
        eol = _date(release.get("eolFrom"))
        # Debian LTS is free community support: it counts; other vendors' extended support is paid.
        end = (_date(release.get("eoesFrom")) or eol) if distro == "debian" else eol
        if entry is None:
            released = _date(release.get("releaseDate"))
            if end is None or released is None:
                continue
            label = release.get("label") if isinstance(release.get("label"), str) else version
            entry = {"distro": distro, "version": version, "name": f"{_DISTRO_NAMES[distro]} {label}"[:80],
                     "released": released, "end": end, "source": "endoflife"}
            if distro == "debian" and eol:
                entry["security_end"] = eol
            data["linux"].append(entry)
            existing[(distro, version)] = entry
            report.changes.append(f"{entry['name']} added (end {end})")
            continue
        _set(entry, "end", end, entry["name"], report)
        if distro == "debian":
            _set(entry, "security_end", eol, entry["name"], report)


_DISTRO_NAMES = {"debian": "Debian", "ubuntu": "Ubuntu", "rhel": "Red Hat Enterprise Linux", "rocky": "Rocky Linux",
                 "alma": "AlmaLinux"}


def _merge_services(data: dict[str, Any], product: str, releases: list[dict[str, Any]], report: UpdateReport) -> (
    None
):
    branches = [b for b in data["services"] if b["product"] == product]
    for release in releases:
        name = release["name"]
        end = _date(release.get("eolFrom"))
        if product == "mssql":
            entry = next((b for b in branches if re.search(rf"\b{re.escape(name)}\b", b["name"])), None)
        else:
            entry = next((b for b in branches if b["from"] == name), None)
        if entry is None:
            if release.get("isMaintained") or (end and end > "2000"):
                report.to_curate.append(f"{product} {name}: branch not in the data (end {end or 'none'})")
            continue
        if entry.get("below") is None and end is not None:
            report.to_curate.append(f"{entry['name']}: open-ended branch now has an end ({end}); split it by hand")
            continue
        _set(entry, "end", end, entry["name"], report)


def merge_kev(data: dict[str, Any], payload: Any, report: UpdateReport) -> None:
    """Refresh the known-exploited subset from the CISA KEV catalogue (dates; new entries to curate)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("vulnerabilities"), list):
        raise DataUpdateError("CISA KEV: not the catalogue JSON (expected a 'vulnerabilities' list)")
    catalogue = {v.get("cveID"): v for v in payload["vulnerabilities"] if isinstance(v, dict)}
    ours = {k["cve"]: k for k in data["known_exploited"]}
    for cve, entry in ours.items():
        item = catalogue.get(cve)
        if item is None:
            report.to_curate.append(f"{cve}: not in the CISA KEV catalogue any more")
            continue
        _set(entry, "date_added", _date(item.get("dateAdded")), cve, report)
    for cve, item in sorted(catalogue.items(), key=lambda kv: str(kv[0])):
        if cve in ours or not isinstance(cve, str):
            continue
        vendor = str(item.get("vendorProject", "")).lower()
        name = str(item.get("product", "")).lower()
        for tracked_vendor, tracked_product, product in _KEV_TRACKED:
            if tracked_vendor in vendor and tracked_product in name:
                report.to_curate.append(f"{cve} ({product}: {item.get('vendorProject')} {item.get('product')}, "
                                        f"added {item.get('dateAdded')}): affected versions to add by hand")
                break
    version = payload.get("catalogVersion")
    if isinstance(version, str):
        data.setdefault("snapshots", {})["cisa_kev"] = version[:40]


def update_data(
    *,
    source: Path | None = None,
    output: Path | None = None,
    fetch: Fetch | None = None,
    endoflife_url: str = ENDOFLIFE_URL,
    kev_url: str = KEV_URL,
    today: dt.date | None = None,
    products: tuple[str, ...] = ENDOFLIFE_PRODUCTS,
    dry_run: bool = False,
) -> UpdateReport:
    """Fetch, merge, validate and (unless `dry_run`) write the lifecycle data; returns what changed."""
    source = source or data_path()
    output = output or source
    fetch = fetch or http_fetcher()
    today = today or dt.date.today()
    try:
        original = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataUpdateError(f"{source}: cannot read the current lifecycle data: {exc}") from None
    data = copy.deepcopy(original)
    report = UpdateReport()
    base = endoflife_url.rstrip("/") + "/"
    for slug in products:
        merge_endoflife(data, slug, fetch(f"{base}{slug}"), report)
    merge_kev(data, fetch(kev_url), report)
    data.setdefault("snapshots", {})["endoflife"] = today.isoformat()
    data["data_date"] = today.isoformat()
    data["data_version"] = f"{today:%Y.%m.%d}-{_serial(original, today)}"
    report.data_version, report.data_date = data["data_version"], today
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "lifecycle.json"
        candidate.write_text(text, encoding="utf-8")
        try:
            load_data(candidate)
        except LifecycleDataError as exc:
            raise DataUpdateError(f"the merged data does not validate, nothing written: {exc}") from None
    if not dry_run:
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary = output.with_suffix(".json.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, output)
        report.written = output
    return report


def _serial(original: dict[str, Any], today: dt.date) -> int:
    previous = str(original.get("data_version", ""))
    if previous.startswith(f"{today:%Y.%m.%d}-"):
        try:
            return int(previous.rsplit("-", 1)[1]) + 1
        except ValueError:
            return 2
    return 1
