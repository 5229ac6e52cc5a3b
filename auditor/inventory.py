"""One asset list for the whole estate, reconciled from every source that saw a machine.

AD lists computers by name, nmap finds hosts by IP (and sometimes a reverse-DNS name), EDR and backup
consoles list devices by their own idea of the name (FQDN or short, any case).  Coverage questions
("which servers have no backup?") must be answered against the union of all of them, so observations are
merged when they share a short host name or an IP address.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from auditor.models import Asset, AssetObservation

_ROLE_ORDER = ("domain_controller", "server", "workstation", "network", "unknown")

#: Whose name an asset takes when sources disagree: the directory's name first, then what the network
#: scan resolved, then consoles (whose aliases, such as a VM name, must not rename a server).
NAME_PRIORITY = ("account_hygiene", "patch_level", "open_ports")


def _name_rank(source: str) -> int:
    return NAME_PRIORITY.index(source) if source in NAME_PRIORITY else len(NAME_PRIORITY)


def short_name(name: str) -> str:
    """`SRV-FILE01.corp.example.` -> `srv-file01`; an IP address stays as it is."""
    cleaned = name.strip().rstrip(".").lower()
    if not cleaned:
        return ""
    if is_ip(cleaned):
        return cleaned
    if "\\" in cleaned:  # DOMAIN\HOST$ as some consoles show it
        cleaned = cleaned.rsplit("\\", 1)[-1]
    return cleaned.split(".", 1)[0].rstrip("$")


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def reconcile(observations: Iterable[AssetObservation]) -> tuple[Asset, ...]:
    """Merge observations into assets, sorted by key.

    Observations with the same short name are one machine.  A shared IP joins observations only when that
    cannot confuse two named machines (DHCP reuse, a console's stale address): an IP claimed by two
    different names joins neither, so a machine without an agent is never hidden behind another's address.
    """
    items = [o for o in observations if short_name(o.name) or o.ips]
    finder = _UnionFind(len(items))
    by_name: dict[str, int] = {}
    by_ip: dict[str, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for index, observation in enumerate(items):
        name = short_name(observation.name)
        addresses = list(observation.ips)
        if name and is_ip(name):
            addresses.append(name)
        elif name:
            if observation.name_kind == "hostname":
                names[index] = name
            if name in by_name:
                finder.union(by_name[name], index)
            else:
                by_name[name] = index
        for ip in addresses:
            by_ip[ip].append(index)
    group_name = {finder.find(i): n for i, n in names.items()}  # each group claims at most one hostname
    for ip in sorted(by_ip):
        roots = {finder.find(i) for i in by_ip[ip]}
        claimed = {group_name[r] for r in roots if r in group_name}
        if len(claimed) > 1:
            nameless = sorted(r for r in roots if r not in group_name)
            for root in nameless[1:]:
                finder.union(nameless[0], root)
            continue
        merged = min(roots)
        for root in roots:
            finder.union(merged, root)
        new_root = finder.find(merged)
        if claimed:
            group_name[new_root] = next(iter(claimed))
    groups: dict[int, list[AssetObservation]] = defaultdict(list)
    for index, observation in enumerate(items):
        groups[finder.find(index)].append(observation)
    assets = [_merge(group) for group in groups.values()]
    return tuple(sorted(assets, key=lambda a: a.key))


def _merge(group: list[AssetObservation]) -> Asset:
    named = [o for o in group if short_name(o.name) and not is_ip(o.name.strip())]
    names = sorted({o.name.strip() for o in named})
    preferred = sorted(named, key=lambda o: (_name_rank(o.source), short_name(o.name)))
    shorts = [short_name(preferred[0].name)] if preferred else []
    ips = sorted({ip for o in group for ip in o.ips} | {o.name for o in group if is_ip(o.name.strip())},
                 key=_ip_sort_key)
    role = min((o.role for o in group), key=_ROLE_ORDER.index)
    os_name = next((o.os for o in sorted(group, key=lambda o: o.source) if o.os), "")
    key = shorts[0] if shorts else (ips[0] if ips else "unknown")
    display = shorts[0].upper() if shorts else key
    return Asset(
        key=key,
        name=display,
        names=tuple(names),
        ips=tuple(ips),
        role=role,
        os=os_name,
        sources=tuple(sorted({o.source for o in group})),
        stale=all(o.stale for o in group),
    )


def _ip_sort_key(value: str) -> tuple[int, int]:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return (9, 0)
    return (address.version, int(address))


class InventoryIndex:
    """Look up the reconciled asset for a name or IP as a console reports it."""

    def __init__(self, assets: Iterable[Asset]) -> None:
        self.assets = tuple(assets)
        self._by_key: dict[str, Asset] = {}
        for asset in self.assets:
            for name in asset.names:
                self._by_key.setdefault(f"name:{short_name(name)}", asset)
            self._by_key.setdefault(f"name:{asset.key}", asset)
            for ip in asset.ips:
                self._by_key.setdefault(f"ip:{ip}", asset)

    def find(self, name: str = "", ips: Iterable[str] = ()) -> Asset | None:
        short = short_name(name) if name else ""
        if short and not is_ip(short) and f"name:{short}" in self._by_key:
            return self._by_key[f"name:{short}"]
        for ip in [*ips, *([short] if short and is_ip(short) else [])]:
            if f"ip:{ip}" in self._by_key:
                return self._by_key[f"ip:{ip}"]
        return None

    def seen_by(self, source: str) -> list[Asset]:
        return [a for a in self.assets if source in a.sources]
