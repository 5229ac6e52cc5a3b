"""Reconciling machines seen by AD, nmap and consoles into one estate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.inventory import InventoryIndex, reconcile, short_name
from auditor.models import AssetObservation


def test_names_and_ips_from_different_sources_merge() -> None:
    assets = reconcile([
        AssetObservation(source="account_hygiene", name="SRV-FILE01.durand.local", role="server",
                         os="Windows Server 2012 R2 Standard"),
        AssetObservation(source="open_ports", name="srv-file01.durand.local", ips=("10.20.0.20",)),
        AssetObservation(source="edr", name="SRV-FILE01", ips=("10.20.0.20",), role="workstation"),
        AssetObservation(source="open_ports", name="", ips=("10.20.0.50",)),
        AssetObservation(source="backup", name="10.20.0.50"),
        AssetObservation(source="edr", name="DURAND\\WKS-001$"),
        AssetObservation(source="account_hygiene", name="wks-001", role="workstation"),
    ])
    assert [a.key for a in assets] == ["10.20.0.50", "srv-file01", "wks-001"]
    file_server = assets[1]
    assert file_server.sources == ("account_hygiene", "edr", "open_ports")
    assert file_server.ips == ("10.20.0.20",)
    assert file_server.role == "server" and file_server.is_server
    assert file_server.os == "Windows Server 2012 R2 Standard"
    assert assets[0].sources == ("backup", "open_ports")
    index = InventoryIndex(assets)
    assert index.find("SRV-FILE01.DURAND.LOCAL") is file_server
    assert index.find("unknown", ips=["10.20.0.20"]) is file_server
    assert index.find("nothing") is None
    assert [a.key for a in index.seen_by("account_hygiene")] == ["srv-file01", "wks-001"]


def test_different_names_sharing_an_ip_stay_two_machines() -> None:
    assets = reconcile([
        AssetObservation(source="account_hygiene", name="WKS-001", role="workstation"),
        AssetObservation(source="account_hygiene", name="WKS-002", role="workstation"),
        AssetObservation(source="edr", name="wks-001.durand.local", ips=("10.20.0.101",)),
        AssetObservation(source="open_ports", name="wks-002.durand.local", ips=("10.20.0.101",)),  # DHCP reuse
        AssetObservation(source="open_ports", name="", ips=("10.20.0.101",)),
    ])
    assert [a.key for a in assets] == ["10.20.0.101", "wks-001", "wks-002"]
    assert assets[1].sources == ("account_hygiene", "edr") and assets[2].sources == ("account_hygiene", "open_ports")


def test_stale_only_when_every_source_saw_it_stale() -> None:
    assets = reconcile([
        AssetObservation(source="account_hygiene", name="WKS-OLD-03", stale=True),
        AssetObservation(source="account_hygiene", name="WKS-005", stale=True),
        AssetObservation(source="open_ports", name="wks-005.durand.local", ips=("10.20.0.105",)),
    ])
    assert [(a.key, a.stale) for a in assets] == [("wks-005", False), ("wks-old-03", True)]


def test_short_name() -> None:
    assert short_name("DC01.durand.local.") == "dc01"
    assert short_name("DURAND\\DC01$") == "dc01"
    assert short_name("10.0.0.1") == "10.0.0.1"
    assert short_name("  ") == ""


names = st.text(alphabet="abcDEF01-.", min_size=0, max_size=12)
ips = st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", "::1"]), max_size=2)


@given(st.lists(st.builds(AssetObservation, source=st.sampled_from(["a", "b"]), name=names, ips=ips.map(tuple)),
                max_size=25))
def test_reconciliation_is_a_partition(observations) -> None:
    assets = reconcile(observations)
    # assets never share a key; every named observation lands in the asset of its short name
    assert len({a.key for a in assets}) == len(assets)
    from auditor.inventory import is_ip, short_name

    for observation in observations:
        name = short_name(observation.name)
        if name and not is_ip(name):
            assert sum(name in {short_name(n) for n in a.names} for a in assets) == 1
    # an IP is shared by two assets only when two different names claim it
    for ip in {ip for a in assets for ip in a.ips}:
        holders = [a for a in assets if ip in a.ips]
        if len(holders) > 1:
            assert all(h.names for h in holders[:2]) or len({h.key for h in holders}) == len(holders)
    assert reconcile(list(reversed(observations))) == assets
