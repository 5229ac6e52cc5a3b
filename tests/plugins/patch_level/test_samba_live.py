"""AD computers with varied OS attributes on a real Samba AD DC, read by the account-hygiene plugin's live
LDAP source, converted by our adapter, judged by our checks (tests/servers/samba_ad.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins import account_hygiene
from auditor_plugins.patch_level import checks
from auditor_plugins.patch_level.config import PatchLevelParameters
from auditor_plugins.patch_level.inputs import from_account_hygiene
from auditor_plugins.patch_level.lifecycle import shipped_data

pytestmark = pytest.mark.samba
PASSWORD_VARIABLE = "AUDITOR_TEST_PATCH_AD_PASSWORD"

ADDED = {
    "PL-SRV12R2": dict(operating_system="Windows Server 2012 R2 Datacenter", operating_system_version="6.3 (9600)",
                       last_logon_days_ago=2),
    "PL-SRV2025": dict(operating_system="Windows Server 2025 Standard", operating_system_version="10.0 (26100)",
                       last_logon_days_ago=1),
    "PL-WKS-ENT": dict(operating_system="Windows 11 Entreprise", operating_system_version="10.0 (26100)",
                       last_logon_days_ago=1),
    "PL-LTSC": dict(operating_system="Windows 10 Entreprise LTSC", operating_system_version="10.0 (17763)",
                    last_logon_days_ago=5),
    "PL-W10-1809": dict(operating_system="Windows 10 Pro", operating_system_version="10.0 (17763)",
                        last_logon_days_ago=5),
    "PL-NOVER": dict(operating_system="Windows 11 Pro", last_logon_days_ago=3),
    "PL-DEB12": dict(operating_system="Debian GNU/Linux 12 (bookworm)", last_logon_days_ago=3),
    "PL-OLD2008": dict(operating_system="Windows Server 2008 R2 Standard", operating_system_version="6.1 (7601)",
                       last_logon_days_ago=500),
    "PL-DISABLED": dict(operating_system="Windows XP Professional", operating_system_version="5.1 (2600)",
                        enabled=False),
}


def _mine(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.name for a in result.affected if a.name.startswith("PL-")]


def test_ad_computers_with_varied_os(samba_ad, samba_ad_computers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, attributes in ADDED.items():
        samba_ad_computers(name, **attributes)
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    settings = account_hygiene.AccountHygieneSettings(
        server=samba_ad.host, ca_file=str(samba_ad.ca_file), bind_user=samba_ad.reader_upn,
        bind_password=f"env:{PASSWORD_VARIABLE}")
    collected = account_hygiene.auditor_collect(context=CollectContext(
        plugin="account_hygiene", settings=settings, profile_dir=tmp_path, scope=ScopeGuard((), None),
        client_id="testlab"))
    observations = {o.host: o for o in from_account_hygiene(collected.evidence)}
    assert "PL-DISABLED" not in observations  # disabled objects are not machines in use
    assert (observations["PL-SRV12R2"].build, observations["PL-LTSC"].os_name) == (9600, "Windows 10 Entreprise LTSC")
    now = collected.evidence.collected_at
    results = {r.check_id: r for r in checks.evaluate(
        os_observations=list(observations.values()), services=[], now=now, parameters=PatchLevelParameters(),
        data=shipped_data())}
    assert _mine(results[checks.SERVER_EOL]) == ["PL-SRV12R2"]
    assert _mine(results[checks.WORKSTATION_EOL]) == ["PL-W10-1809"]
    # 26100 is Windows Server 2025 or Windows 11 24H2 by the text; Enterprise 24H2 is serviced until 2027-10-12
    assert _mine(results[checks.FEATURE_BEHIND]) == []
    assert _mine(results[checks.STALE]) == ["PL-OLD2008"]
    assert _mine(results[checks.COVERAGE]) == ["PL-NOVER"]
    # The seeded domain (tests/servers/samba_ad.py COMPUTERS) as the other plugin's tests describe it:
    assert [a.name for a in results[checks.WORKSTATION_EOL].affected] == ["PL-W10-1809", "WKS-002"]
    assert "SRV-APP01" in [a.name for a in results[checks.EOL_SOON].affected]  # Server 2016: 2027-01-12
    assert {"WKS-OLD-03", "LAP-OLD-01"} <= {a.name for a in results[checks.STALE].affected}
    assert results[checks.SERVER_EOL].confidence == "release-level"
