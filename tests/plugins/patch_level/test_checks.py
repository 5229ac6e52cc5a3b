"""Check evaluation on hand-built observations, with hand-computed expectations."""

from __future__ import annotations

import datetime as dt

from auditor.models import Asset, CheckResult, Status
from auditor_plugins.patch_level import checks
from auditor_plugins.patch_level.config import PatchLevelParameters
from auditor_plugins.patch_level.inputs import OsObservation, ServiceObservation
from auditor_plugins.patch_level.lifecycle import shipped_data

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
DATA = shipped_data()


def ad(host: str, os_name: str, version: str, *, days_ago: int = 3, role: str = "unknown") -> OsObservation:
    from auditor_plugins.patch_level.lifecycle import parse_windows_build

    return OsObservation(host=host, os_name=os_name, os_version=version, build=parse_windows_build(version)[0],
                         source="ad", last_seen=NOW - dt.timedelta(days=days_ago), role=role,  # type: ignore[arg-type]
                         lag_days=14)


def rmm(host: str, os_name: str, version: str, *, patched_days_ago: int | None, seen_days_ago: int = 1,
        pending: int | None = None) -> OsObservation:
    from auditor_plugins.patch_level.lifecycle import parse_windows_build

    build, revision = parse_windows_build(version)
    return OsObservation(host=host, os_name=os_name, os_version=version, build=build, revision=revision,
                         source="csv", confidence="patch-level", last_seen=NOW - dt.timedelta(days=seen_days_ago),
                         last_patch=None if patched_days_ago is None else NOW - dt.timedelta(days=patched_days_ago),
                         pending_updates=pending)


def run(observations: list[OsObservation], services: list[ServiceObservation] | None = None, *,
        parameters: PatchLevelParameters | None = None, inventory: tuple[Asset, ...] = (), have_export: bool = True,
        **kwargs: object) -> dict[str, CheckResult]:
    results = checks.evaluate(os_observations=observations, services=services or [], now=NOW,
                              parameters=parameters or PatchLevelParameters(), data=DATA, inventory=inventory,
                              have_export=have_export, have_ports=services is not None, **kwargs)  # type: ignore[arg-type]
    assert len({r.check_id for r in results}) == len(results) == len(checks.CHECKS)
    return {r.check_id: r for r in results}


def names(result: CheckResult) -> list[str]:
    return [a.name for a in result.affected]


ESTATE = [
    ad("DC01", "Windows Server 2019 Standard", "10.0 (17763)", role="domain_controller"),
    ad("SRV-FILE01", "Windows Server 2012 R2 Standard", "6.3 (9600)", role="server"),
    ad("SRV-APP01", "Windows Server 2016 Standard", "10.0 (14393)", role="server"),
    ad("WKS-001", "Windows 11 Professionnel", "10.0 (26100)", role="workstation"),
    ad("WKS-002", "Windows 11 Entreprise", "10.0 (26100)", role="workstation"),
    ad("WKS-003", "Windows 10 Professionnel", "10.0 (19045)", role="workstation"),
    ad("WKS-OLD-03", "Windows 7 Professionnel", "6.1 (7601)", days_ago=1000, role="workstation"),
    ad("NAS-SMB", "Samba", "4.17.12", role="server"),
]


def test_end_of_support_servers_and_workstations() -> None:
    results = run(ESTATE, have_export=False)
    server = results[checks.SERVER_EOL]
    assert server.status is Status.failed and names(server) == ["SRV-FILE01"]
    assert server.measured == "1/3" and server.confidence == "release-level"
    assert "2023-10-10" in server.affected[0].detail and "release-level, ad" in server.affected[0].detail
    assert server.threshold == 0 and server.reason is not None
    assert server.unit is not None and (server.unit.en, server.unit.fr) == ("servers", "serveurs")
    assert server.affected[0].detail == "Windows Server 2012 R2: end of support 2023-10-10 [release-level, ad]"
    assert server.affected[0].detail_in("fr") == ("Windows Server 2012 R2 : fin de support le 10 octobre 2023 "
                                                  "[niveau de version, ad]")
    assert "2026.11.20-1 dated 2026-11-20" in server.reason.en and "du 2026-11-20" in server.reason.fr
    workstation = results[checks.WORKSTATION_EOL]
    # WKS-001 (24H2 Pro, ended 2026-10-13) has a free feature update: reported by the feature check instead;
    # WKS-OLD-03 is stale: data stale, not unsupported.
    assert names(workstation) == ["WKS-003"] and workstation.measured == "1/3"
    assert workstation.unit is not None and workstation.unit.fr == "postes de travail"
    feature = results[checks.FEATURE_BEHIND]
    assert names(feature) == ["WKS-001"]
    assert "update to Windows 11 26H2" in feature.affected[0].detail
    assert feature.affected[0].detail_fr == ("Windows 11 24H2 (Home/Pro) : plus de correctifs depuis le 13 octobre "
                                             "2026 ; mettre à jour vers Windows 11 26H2 [niveau de version, ad]")
    assert (feature.measured, feature.threshold) == ("1/3", 0)
    assert feature.unit is not None and feature.unit.fr == "ordinateurs"
    soon = results[checks.EOL_SOON]
    assert names(soon) == ["SRV-APP01"]  # 2027-01-12 is within six months
    assert (soon.measured, soon.threshold) == ("1/6", 0) and soon.unit is not None and soon.unit.fr == "machines"
    assert soon.reason is not None and soon.reason.fr.startswith(
        "Les machines dont le support se termine au plus tard le 20 mai 2027 (6 mois) sont listées.")
    assert soon.affected[0].detail_fr == ("Windows Server 2016 : fin de support le 12 janvier 2027 "
                                          "[niveau de version, ad]")
    stale = results[checks.STALE]
    assert names(stale) == ["WKS-OLD-03"] and (stale.measured, stale.threshold) == ("1/8", 0)
    assert stale.affected[0].detail_fr == ("Windows 7 : vue pour la dernière fois le 24 février 2024 (il y a 1000 "
                                           "jours ; ad) - données trop anciennes, machine non jugée")
    coverage = results[checks.COVERAGE]
    assert coverage.status is Status.partial and names(coverage) == ["NAS-SMB"]
    assert coverage.score_share == round(6 / 7, 4) and (coverage.measured, coverage.threshold) == (85.7, 100)
    assert coverage.unit is not None and (coverage.unit.en, coverage.unit.fr) == ("%", "%")
    assert coverage.affected[0].detail_fr == ("serveur Samba : sa version n'est pas suivie par les données de "
                                              "cycle de vie")
    # No export at all: patch level cannot be judged from AD.
    assert results[checks.UPDATES_OLD].status is Status.not_assessed
    assert results[checks.SERVICES_EOL].status is Status.not_assessed


def test_strict_parameters_tighten_behind_and_warning_window() -> None:
    strict = PatchLevelParameters(eol_warning_months=12, max_feature_releases_behind=1)
    results = run(ESTATE, parameters=strict, have_export=False)
    # WKS-002: 24H2 Enterprise is serviced until 2027-10-12 but two releases behind 26H2.
    assert names(results[checks.FEATURE_BEHIND]) == ["WKS-001", "WKS-002"]
    assert names(results[checks.EOL_SOON]) == ["SRV-APP01", "WKS-002"]


def test_patch_level_from_the_export_beats_ad_and_drives_update_age() -> None:
    observations = [
        ad("SRV-A", "Windows Server 2022 Standard", "10.0 (20348)"),
        rmm("SRV-A", "Windows Server 2022 Standard", "10.0.20348.4652", patched_days_ago=9),
        rmm("SRV-B", "Windows Server 2019 Standard", "10.0.17763.8000", patched_days_ago=160, pending=5),
        # Revision only, newer than any confirmed one, no date: cannot be judged -> not counted.
        rmm("PC-NEW", "Windows 11 Enterprise", "10.0.26200.9999", patched_days_ago=None),
        # Revision only, an old confirmed revision (2025-01-14): definitely old.
        rmm("PC-OLD", "Windows 11 Enterprise", "10.0.26100.2894", patched_days_ago=None),
        # Out of support: reported by the end-of-support check, not here.
        rmm("PC-W10", "Windows 10 Pro", "10.0.19045.6456", patched_days_ago=400),
    ]
    results = run(observations)
    updates = results[checks.UPDATES_OLD]
    assert updates.status is Status.failed and names(updates) == ["PC-OLD", "SRV-B"]
    assert updates.measured == "2/3" and updates.confidence == "patch-level"
    by_name = {a.name: a.detail for a in updates.affected}
    assert "2025-01-14" in by_name["PC-OLD"] and "26100.2894 KB5050009" in by_name["PC-OLD"]
    assert "5 updates pending" in by_name["SRV-B"]
    assert updates.threshold == 0 and updates.unit is not None and updates.unit.fr == "machines"
    assert updates.reason is not None and "antérieure au 20 septembre 2026 (2 mois)" in updates.reason.fr
    by_name_fr = {a.name: a.detail_in("fr") for a in updates.affected}
    assert by_name_fr["SRV-B"] == ("Windows Server 2019 : dernière mise à jour le 13 juin 2026 (dernier correctif "
                                   "installé) ; 5 mises à jour en attente [niveau de correctif, csv]")
    assert by_name_fr["PC-OLD"] == ("Windows 11 24H2 (Enterprise/Education) : dernière mise à jour le 14 janvier 2025 "
                                    "(révision 26100.2894 KB5050009 ou ultérieure) [niveau de correctif, csv]")
    assert names(results[checks.WORKSTATION_EOL]) == ["PC-W10"]
    assert results[checks.SERVER_EOL].confidence == "patch-level"


def test_stale_record_is_data_stale_not_unpatched() -> None:
    observations = [rmm("OLD-PC", "Windows 10 Pro", "10.0.19045.5371", patched_days_ago=600, seen_days_ago=200)]
    results = run(observations)
    assert names(results[checks.STALE]) == ["OLD-PC"]
    assert "data stale" in results[checks.STALE].affected[0].detail
    assert results[checks.WORKSTATION_EOL].status is Status.not_assessed
    assert results[checks.UPDATES_OLD].status is Status.not_assessed


def test_esu_hosts_use_the_extended_security_updates_end() -> None:
    observations = [ad("PC1", "Windows 10 Pro", "10.0 (19045)"), ad("PC2", "Windows 10 Pro", "10.0 (19045)")]
    results = run(observations, esu_hosts=["pc1.corp.example"], have_export=False)
    assert names(results[checks.WORKSTATION_EOL]) == ["PC2"]


def test_enterprise_assumption_for_intune_style_records() -> None:
    observation = OsObservation(host="PC", os_name="Windows", os_version="10.0.26100.9602", build=26100,
                                revision=9602, source="intune", confidence="patch-level",
                                last_seen=NOW - dt.timedelta(days=1))
    home = run([observation])
    assert names(home[checks.FEATURE_BEHIND]) == ["PC"]  # 24H2 Home/Pro servicing ended 2026-10-13
    enterprise = run([observation], assume_edition="enterprise")
    assert enterprise[checks.FEATURE_BEHIND].status is Status.passed  # Enterprise: until 2027-10-12
    assert enterprise[checks.WORKSTATION_EOL].status is Status.passed


def svc(host: str, port: int, product: str, version: str, *, extrainfo: str = "", cpes: tuple[str, ...] = (),
        scope: str = "internal") -> ServiceObservation:
    return ServiceObservation(host=host, ip="10.0.0.1", port=port, product=product, version=version,
                              extrainfo=extrainfo, cpes=cpes, scope=scope)


def test_services_unsupported_and_known_exploited() -> None:
    services = [
        svc("WEB1", 80, "Apache httpd", "2.4.49", extrainfo="(Unix)", scope="external"),
        svc("WEB2", 443, "Apache httpd", "2.2.34", extrainfo="(Unix) OpenSSL/1.0.1e"),
        # a distribution build: fixes are backported, the banner version proves nothing about Heartbleed
        svc("WEB3", 443, "Apache httpd", "2.4.6", extrainfo="(CentOS) OpenSSL/1.0.1e-fips"),
        svc("LNX", 22, "OpenSSH", "8.4p1 Debian 5+deb11u3", extrainfo="protocol 2.0",
            cpes=("cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel")),
        svc("LNX", 80, "nginx", "1.18.0", cpes=("cpe:/a:igor_sysoev:nginx:1.18.0",)),
        svc("NEW", 22, "OpenSSH", "9.9p1", extrainfo="protocol 2.0"),
        svc("SQL", 1433, "Microsoft SQL Server 2019", "15.00.2000.00; RTM"),
        svc("PRN", 80, "HP LaserJet http config", ""),
    ]
    results = run([], services)
    unsupported = results[checks.SERVICES_EOL]
    assert names(unsupported) == ["LNX 10.0.0.1:22/tcp internal", "LNX 10.0.0.1:80/tcp internal",
                                  "WEB2 10.0.0.1:443/tcp internal", "WEB2 10.0.0.1:443/tcp internal",
                                  "WEB3 10.0.0.1:443/tcp internal"]
    details = sorted(a.detail for a in unsupported.affected)
    assert any(d.startswith("apache_httpd 2.2.34: Apache httpd 2.2 unsupported since 2017-07-11") for d in details)
    assert any(d.startswith("openssl 1.0.1e: OpenSSL 1.0.2 and older") for d in details)
    # nginx 1.18.0 on a host whose SSH banner says Debian 11: judged by Debian 11's end (2026-08-31)
    assert any(d.startswith("nginx 1.18.0: packaged by Debian 11") for d in details)
    assert unsupported.measured == "5/9" and unsupported.threshold == 0
    assert unsupported.unit is not None and unsupported.unit.fr == "services"
    details_fr = sorted(a.detail_fr for a in unsupported.affected)
    assert "apache_httpd 2.2.34 : Apache httpd 2.2, support terminé le 11 juillet 2017 [bannière]" in details_fr
    assert ("openssl 1.0.1e : OpenSSL 1.0.2 et versions antérieures, support terminé le 31 décembre 2019 "
            "[bannière]") in details_fr
    assert any(d.startswith("nginx 1.18.0 : paquet Debian 11 (Bullseye), supporté jusqu'au 31 août 2026")
               for d in details_fr)
    kev = results[checks.SERVICES_KEV]
    assert kev.status is Status.failed
    assert sorted(a.detail.split(" ")[2] for a in kev.affected) == ["CVE-2014-0160", "CVE-2021-41773",
                                                                     "CVE-2021-42013"]
    assert {a.name for a in kev.affected} == {"WEB1 10.0.0.1:80/tcp external", "WEB2 10.0.0.1:443/tcp internal"}
    assert ("openssl 1.0.1e : CVE-2014-0160 OpenSSL information disclosure (Heartbleed) (ajoutée au catalogue "
            "CISA KEV le 4 mai 2022) [bannière]") in {a.detail_fr for a in kev.affected}
    assert results[checks.SERVER_EOL].affected[0].detail_fr == ("Debian 11 (Bullseye) : fin de support le 31 août "
                                                                "2026 [bannière]")
    # the Debian banner also tells the OS of a machine nothing else describes
    assert names(results[checks.SERVER_EOL]) == ["LNX"]
    assert results[checks.SERVER_EOL].confidence == "banner"


def test_nothing_known_is_not_assessed_never_fail() -> None:
    results = run([], None, have_export=False)
    assert all(r.status is Status.not_assessed and r.reason is not None for r in results.values())


def test_inventory_machines_without_os_lower_coverage() -> None:
    inventory = (Asset(key="wks-001", name="WKS-001", names=("WKS-001",), role="workstation", sources=("edr",)),
                 Asset(key="10.0.0.9", name="10.0.0.9", ips=("10.0.0.9",), role="unknown", sources=("open_ports",)),
                 Asset(key="fw01", name="FW01", role="network", sources=("open_ports",)))
    results = run([ad("WKS-001", "Windows 11 Pro", "10.0 (26200)")], inventory=inventory, have_export=False)
    coverage = results[checks.COVERAGE]
    assert coverage.status is Status.partial and names(coverage) == ["10.0.0.9"] and coverage.score_share == 0.5
    assert (coverage.measured, coverage.threshold) == (50, 100)
    assert coverage.affected[0].detail_fr == ("aucune information de système dans l'AD, l'export d'inventaire ou une "
                                              "bannière")
