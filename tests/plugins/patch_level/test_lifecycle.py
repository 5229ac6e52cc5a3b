"""The shipped lifecycle table against official published values, and OS resolution (any language)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from auditor_plugins.patch_level.lifecycle import (
    LifecycleDataError,
    OsRelease,
    Unresolved,
    assess_service,
    data_path,
    load_data,
    parse_windows_build,
    releases_behind,
    resolve_os,
    shipped_data,
    supported_successor,
)

D = dt.date

# (operatingSystem text, operatingSystemVersion, expected release key, expected last day of support, source)
OFFICIAL = [
    ("Windows 10 Pro", "10.0 (19045)", "win10-22h2", D(2025, 10, 14),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-10-home-and-pro"),
    ("Windows 10 Enterprise", "10.0 (19045)", "win10-22h2", D(2025, 10, 14),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-10-enterprise-and-education"),
    ("Windows 11 Pro", "10.0 (22631)", "win11-23h2", D(2025, 11, 11),
     "https://learn.microsoft.com/en-us/windows/release-health/windows11-release-information"),
    ("Windows 11 Enterprise", "10.0 (22631)", "win11-23h2", D(2026, 11, 10),
     "https://learn.microsoft.com/en-us/windows/release-health/windows11-release-information"),
    ("Windows 11 Professionnel", "10.0 (26100)", "win11-24h2", D(2026, 10, 13),
     "https://learn.microsoft.com/en-us/windows/release-health/windows11-release-information"),
    ("Windows 11 Entreprise", "10.0 (26100)", "win11-24h2", D(2027, 10, 12),
     "https://learn.microsoft.com/en-us/windows/release-health/windows11-release-information"),
    ("Windows 7 Professionnel", "6.1 (7601)", "win7", D(2020, 1, 14),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-7"),
    ("Windows Server 2012 R2 Standard", "6.3 (9600)", "ws2012r2", D(2023, 10, 10),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2012-r2"),
    ("Windows Server 2016 Standard", "10.0 (14393)", "ws2016", D(2027, 1, 12),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2016"),
    ("Windows Server 2019 Datacenter", "10.0 (17763)", "ws2019", D(2029, 1, 9),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2019"),
    ("Windows Server 2022 Standard", "10.0 (20348)", "ws2022", D(2031, 10, 14),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2022"),
    ("Windows Server 2025 Standard", "10.0 (26100)", "ws2025", D(2034, 11, 14),
     "https://learn.microsoft.com/en-us/lifecycle/products/windows-server-2025"),
    ("Windows 10 Entreprise LTSC", "10.0 (19044)", "win10-ltsc2021", D(2027, 1, 12),
     "https://learn.microsoft.com/en-us/windows/release-health/release-information"),
    ("Windows 10 Enterprise LTSC", "10.0 (17763)", "win10-ltsc2019", D(2029, 1, 9),
     "https://learn.microsoft.com/en-us/windows/release-health/release-information"),
    ("Debian GNU/Linux 11 (bullseye)", "", "debian-11", D(2026, 8, 31), "https://wiki.debian.org/LTS"),
    ("Debian GNU/Linux 12 (bookworm)", "", "debian-12", D(2028, 6, 30), "https://wiki.debian.org/LTS"),
]


@pytest.mark.parametrize(("os_name", "version", "key", "end", "source"), OFFICIAL)
def test_table_matches_official_values(os_name: str, version: str, key: str, end: dt.date, source: str) -> None:
    release = resolve_os(os_name, version)
    assert isinstance(release, OsRelease), (release, source)
    assert (release.key, release.end) == (key, end), source


def test_openssl_30_lts_end_matches_release_strategy() -> None:
    # https://openssl-library.org/policies/releasestrat/ : "3.0 ... supported until 2026-09-07 (LTS)"
    assessment = assess_service("openssl", "3.0.13")
    assert assessment is not None and assessment.branch is not None
    assert assessment.branch.end == D(2026, 9, 7)


def _second_tuesday(day: dt.date) -> bool:
    return day.weekday() == 1 and 8 <= day.day <= 14


def test_windows_end_dates_are_patch_tuesdays() -> None:
    """Microsoft ends servicing on a Patch Tuesday: a typo in the table shows up here."""
    data = shipped_data()
    for release in data.windows:
        for edition, end in release.end.items():
            assert _second_tuesday(end), (release.key, edition, end)
        for other in (release.mainstream_end, release.esu_end):
            assert other is None or _second_tuesday(other), (release.key, other)


def test_every_entry_names_a_known_source_and_data_is_dated() -> None:
    data = shipped_data()
    assert data.data_date == D(2026, 11, 20)
    assert "MIT" in data.sources["endoflife"].licence
    assert "endoflife.date" in data.attribution()
    raw = json.loads(data_path().read_text(encoding="utf-8"))
    for section in ("windows", "linux", "services", "known_exploited"):
        assert raw[section], section
        assert all(entry["source"] in raw["sources"] for entry in raw[section])


def test_shared_builds_are_decided_by_the_os_text() -> None:
    for text, key in [("Windows Server 2016 Standard", "ws2016"), ("Windows 10 Pro", "win10-1607"),
                      ("Windows 10 Enterprise LTSB", "win10-ltsb2016")]:
        release = resolve_os(text, "10.0 (14393)")
        assert isinstance(release, OsRelease) and release.key == key
    assert resolve_os("Windows Server 2025 Datacenter", "10.0 (26100)").key == "ws2025"  # type: ignore[union-attr]
    assert resolve_os("Windows 11 Pro", "10.0 (26100)").key == "win11-24h2"  # type: ignore[union-attr]
    assert resolve_os("Windows 11 IoT Enterprise LTSC", "10.0 (26100)").end == D(2034, 10, 10)  # type: ignore[union-attr]


def test_unknown_os_is_unresolved_with_a_reason() -> None:
    for name, version in [("Samba", "4.17.12"), ("Windows 10 Pro", ""), ("FreeBSD 14", ""), ("", ""),
                          ("Windows 11 Pro", "10.0 (99999)"), ("Ubuntu 23.10", "")]:
        outcome = resolve_os(name, version)
        assert isinstance(outcome, Unresolved), (name, outcome)
        assert outcome.reason_en and outcome.reason_fr


def test_edition_not_stated_assumes_home_pro_and_says_so() -> None:
    release = resolve_os("Windows", "10.0.22631.4460")
    assert isinstance(release, OsRelease)
    assert (release.key, release.end, release.edition_assumed) == ("win11-23h2", D(2025, 11, 11), True)


def test_build_parsing() -> None:
    assert parse_windows_build("10.0 (19045)") == (19045, None)
    assert parse_windows_build("10.0.19045.6456") == (19045, 6456)
    assert parse_windows_build("6.3.9600.21620") == (9600, 21620)
    assert parse_windows_build("26100.7171") == (26100, 7171)
    assert parse_windows_build("22H2", None) == (None, None)


def test_feature_release_successor_and_distance() -> None:
    now = D(2026, 11, 20)
    pro_24h2 = resolve_os("Windows 11 Pro", "10.0 (26100)")
    assert isinstance(pro_24h2, OsRelease)
    successor = supported_successor(pro_24h2, now)
    assert successor is not None and successor.key == "win11-26h2"  # 26H1 is for new devices only
    assert releases_behind(pro_24h2, now) == 2
    win10 = resolve_os("Windows 10 Pro", "10.0 (19045)")
    assert isinstance(win10, OsRelease) and supported_successor(win10, now) is None


def test_distribution_packages_in_banners() -> None:
    debian = assess_service("openssh", "8.4p1 Debian 5+deb11u3")
    assert debian is not None and debian.distro is not None and debian.distro.version == "11"
    assert debian.end() == D(2026, 8, 31) and debian.known_exploited == ()
    ubuntu = assess_service("openssh", "8.9p1 Ubuntu 3ubuntu0.10")
    assert ubuntu is not None and ubuntu.distro is not None and ubuntu.distro.version == "22.04"
    upstream = assess_service("openssh", "9.9p1")
    assert upstream is not None and upstream.distro is None and upstream.end() is None
    kev = assess_service("apache_httpd", "2.4.49")
    assert kev is not None and {k.cve for k in kev.known_exploited} == {"CVE-2021-41773", "CVE-2021-42013"}
    assert assess_service("nginx", "") is None


def test_malformed_data_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "lifecycle.json"
    bad.write_text("{\n  \"schema_version\": 1,\n", encoding="utf-8")
    with pytest.raises(LifecycleDataError, match=r"lifecycle.json: line 3: not valid JSON"):
        load_data(bad)
    raw = json.loads(data_path().read_text(encoding="utf-8"))
    raw["windows"][0]["build"] = "seven"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(LifecycleDataError, match=r"windows\.0\.build"):
        load_data(bad)
    raw = json.loads(data_path().read_text(encoding="utf-8"))
    raw["linux"][0]["source"] = "rumour"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(LifecycleDataError, match="unknown source 'rumour'"):
        load_data(bad)


@pytest.mark.parametrize(("key", "revision", "date", "kb", "source"), [
    ("ws2022", 5139, D(2026, 5, 12), "KB5087545",
     "https://support.microsoft.com/en-au/topic/may-12-2026-kb5087545-os-build-20348-5139-"
     "6aed2a73-37f9-468c-8bdc-4bae674797cf"),
    ("win11-24h2", 6584, D(2025, 9, 9), "KB5065426",
     "https://support.microsoft.com/help/5065426 (September 9, 2025, OS Build 26100.6584)"),
    ("win10-22h2", 6456, D(2025, 10, 14), "KB5066791",
     "https://support.microsoft.com/help/5066791 (October 14, 2025, the last Windows 10 update without ESU)"),
])
def test_confirmed_update_revisions(key: str, revision: int, date: dt.date, kb: str, source: str) -> None:
    release = next(w for w in shipped_data().windows if w.key == key)
    floor = release.revision_floor(revision + 10)
    assert floor is not None and (floor.revision, floor.date, floor.kb) == (revision, date, kb), source
    assert release.revision_floor(revision - 1) != floor
