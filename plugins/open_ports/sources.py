"""Where open-ports evidence comes from: a live nmap scan, or nmap XML files recorded earlier.

Both implement `PortScanSource` and produce the same `ScopeScan`, parsed by the same XML parser, so
recorded and live evidence are interchangeable.  Only `auditor_collect` picks the implementation.

The live source never scans anything the profile's authorisation does not cover: all targets of both
scopes go through the scope guard when the source is built, before the first packet, and without an
authorisation record nothing runs at all.
"""

from __future__ import annotations

import getpass
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.models import SourceInfo
from auditor.plugin_api import ScopeGuard
from auditor_plugins.open_ports.evidence import SCOPES, NmapRun, Scope, ScopeScan
from auditor_plugins.open_ports.nmap_xml import MAX_XML_BYTES, NmapXmlError, PortScanError, merge_hosts, parse_nmap_xml
from auditor_plugins.open_ports.ports import NmapCommand, build_command, is_root
from auditor_plugins.open_ports.settings import OpenPortsSettings

__all__ = [
    "NmapFailed",
    "NmapLiveSource",
    "NmapNotFound",
    "NmapTimeout",
    "NmapXmlError",
    "NmapXmlFileSource",
    "NoTargets",
    "PortScanError",
    "PortScanSource",
    "RecordedFileMissing",
]


class NmapNotFound(PortScanError):
    """The nmap binary is not installed (or not where `nmap_path` says)."""


class NmapFailed(PortScanError):
    """nmap ran but reported an error (bad option, no privileges for a SYN/UDP scan...)."""


class NmapTimeout(PortScanError):
    """nmap did not finish within the plugin's time budget."""


class NoTargets(PortScanError):
    """Live mode with no target in either scope: nothing to scan."""


class RecordedFileMissing(PortScanError):
    """A recorded nmap XML file named in the profile does not exist or cannot be read."""


class PortScanSource(ABC):
    """A source of scan results, one scope at a time."""

    @abstractmethod
    def scan(self, scope: Scope) -> ScopeScan | None:
        """What the source knows about one scope; None when the scope is not configured.

        :raises PortScanError: (or a subclass) when the source fails.
        """

    @abstractmethod
    def source_info(self) -> SourceInfo:
        """Provenance for the evidence (call after the scans: it includes the exact nmap arguments)."""


class NmapLiveSource(PortScanSource):
    """Scans live with nmap through python-nmap's `PortScanner`, then parses the XML nmap produced."""

    def __init__(
        self,
        settings: OpenPortsSettings,
        scope_guard: ScopeGuard,
        *,
        cancelled: threading.Event | None = None,
        progress: Callable[[str], None] = lambda _message: None,
        root: bool | None = None,
    ) -> None:
        self.settings = settings
        self.root = is_root() if root is None else root
        self.cancelled = cancelled or threading.Event()
        self.progress = progress
        # The guard sees every target of both scopes before anything runs; it also refuses to run at all
        # without an authorisation record, even with an empty target list.
        scope_guard.require([*settings.internal_targets, *settings.external_targets])
        self.targets: dict[Scope, list[str]] = {
            "internal": scope_guard.require(settings.internal_targets),
            "external": scope_guard.require(settings.external_targets),
        }
        if not any(self.targets.values()):
            raise NoTargets(
                "live mode needs targets: set plugins.open_ports.internal_targets and/or external_targets "
                "(IP addresses or CIDR ranges inside the authorisation's scope)"
            )
        self.commands: dict[Scope, NmapCommand] = {}
        try:
            for scope in SCOPES:
                if self.targets[scope]:
                    self.commands[scope] = build_command(settings, scope, self.targets[scope], root=self.root)
        except ValueError as exc:
            raise NmapFailed(f"plugins.open_ports: {exc}") from None
        self.deadline = time.monotonic() + settings.timeout_seconds
        self.runs: dict[Scope, NmapRun] = {}
        self.stderr: dict[Scope, str] = {}

    def _scanner(self) -> Any:
        import nmap  # python-nmap

        search = (self.settings.nmap_path,) if self.settings.nmap_path else ("nmap", "/usr/bin/nmap",
                                                                                "/usr/local/bin/nmap")
        try:
            return nmap.PortScanner(nmap_search_path=search)
        except nmap.PortScannerError as exc:
            raise NmapNotFound(
                f"nmap is not installed or not found ({', '.join(search)}): install the nmap package, or use "
                "mode = \"recorded\" with nmap XML files"
            ) from exc

    def scan(self, scope: Scope) -> ScopeScan | None:
        import nmap  # python-nmap

        command = self.commands.get(scope)
        if command is None:
            return None
        if self.cancelled.is_set():
            raise NmapTimeout(f"{scope} scan not started: the plugin's time budget is exhausted")
        remaining = self.deadline - time.monotonic()
        if remaining < 1:
            raise NmapTimeout(f"{scope} scan not started: the plugin's time budget is exhausted")
        scanner = self._scanner()
        self.progress(f"nmap {scope} scan of {len(command.targets)} target(s)")
        try:
            result = scanner.scan(
                hosts=" ".join(command.targets),
                ports=command.ports,
                arguments=" ".join(command.arguments),
                timeout=max(1, int(remaining)),
            )
        except nmap.PortScannerTimeout as exc:
            raise NmapTimeout(
                f"nmap {scope} scan did not finish within {self.settings.timeout_seconds:g} s; raise "
                "plugins.open_ports.timeout_seconds or scan fewer targets/ports"
            ) from exc
        except nmap.PortScannerError as exc:
            raise NmapFailed(f"nmap {scope} scan failed: {str(exc).strip()[:500]}") from exc
        output = scanner.get_nmap_last_output()
        run, hosts = parse_nmap_xml(output, origin=f"live {scope} scan")
        if run.exit == "error":
            raise NmapFailed(f"nmap {scope} scan failed: {run.errormsg or 'nmap reported an error'}")
        error = (result or {}).get("nmap", {}).get("scaninfo", {}).get("error") if isinstance(result, dict) else None
        if error:
            self.stderr[scope] = " ".join(str(e).strip() for e in error)[:500] if isinstance(error, list) \
                else str(error).strip()[:500]
        run = run.model_copy(update={"origin": "live"})
        self.runs[scope] = run
        return ScopeScan(scope=scope, targets=tuple(command.targets), runs=(run,), hosts=hosts)

    def source_info(self) -> SourceInfo:
        options: dict[str, str] = {
            "scan_type": self.settings.scan_type,
            "privileged": "yes" if self.root else "no",
        }
        for scope, command in self.commands.items():
            options[f"{scope}.targets"] = " ".join(command.targets)
            options[f"{scope}.ports"] = command.ports
            options[f"{scope}.arguments"] = " ".join(command.arguments)
            run = self.runs.get(scope)
            if run is not None:
                options[f"{scope}.command"] = run.args
                options[f"{scope}.nmap_version"] = run.version
            if scope in self.stderr:
                options[f"{scope}.nmap_messages"] = self.stderr[scope]
        servers = tuple(target for scope in SCOPES for target in self.targets[scope])
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # pragma: no cover - no passwd entry (containers)
            user = "unknown user"
        identity = f"{user} ({'privileged: SYN/UDP scans' if self.root else 'unprivileged: connect scan'})"
        return SourceInfo(kind="live", description="nmap (python-nmap) live scan", servers=servers,
                          identity=identity, options=options)


class NmapXmlFileSource(PortScanSource):
    """Reads nmap XML files (nmap -oX), one or more per scope; works where nmap is not installed."""

    def __init__(self, files: dict[Scope, list[tuple[str, Path]]]) -> None:
        """:param files: per scope, (name as written in the profile, resolved path) pairs."""
        self.files = files
        self.runs: dict[Scope, tuple[NmapRun, ...]] = {}

    def _read(self, shown: str, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > MAX_XML_BYTES:
                raise NmapXmlError(str(path), f"file is {size // (1024 * 1024)} MB; not an nmap XML scan")
            return path.read_bytes()
        except FileNotFoundError:
            raise RecordedFileMissing(f"recorded nmap XML file not found: {path} (plugins.open_ports: {shown})") \
                from None
        except IsADirectoryError:
            raise RecordedFileMissing(f"{path} is a directory, not an nmap XML file") from None
        except OSError as exc:
            raise RecordedFileMissing(f"cannot read recorded nmap XML file {path}: {exc.strerror or exc}") \
                from None

    def scan(self, scope: Scope) -> ScopeScan | None:
        entries = self.files.get(scope) or []
        if not entries:
            return None
        runs: list[NmapRun] = []
        groups = []
        for shown, path in entries:
            run, hosts = parse_nmap_xml(self._read(shown, path), origin=str(path))
            runs.append(run.model_copy(update={"origin": shown}))
            groups.append(hosts)
        self.runs[scope] = tuple(runs)
        return ScopeScan(scope=scope, targets=(), runs=tuple(runs), hosts=merge_hosts(groups))

    def source_info(self) -> SourceInfo:
        options: dict[str, str] = {}
        for scope, runs in self.runs.items():
            for index, run in enumerate(runs):
                suffix = f".{index + 1}" if len(runs) > 1 else ""
                options[f"{scope}.command{suffix}"] = run.args
                options[f"{scope}.nmap_version{suffix}"] = run.version
        files = tuple(shown for scope in SCOPES for shown, _ in self.files.get(scope) or [])
        return SourceInfo(kind="recorded", description="nmap XML files (nmap -oX)", files=files, options=options)

