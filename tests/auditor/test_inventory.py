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
    # every observation with a name or an IP lands in exactly one asset, and assets never share a key or an IP
    assert len({a.key for a in assets}) == len(assets)
    all_ips = [ip for a in assets for ip in a.ips]
    assert len(all_ips) == len(set(all_ips))
    assert reconcile(list(reversed(observations))) == assets
