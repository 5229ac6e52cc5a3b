"""What a plugin receives from the core and what it describes itself with.

Plugin authors import from here (and `hookimpl` from `auditor`): the description of a plugin
(`PluginInfo`), the base of its profile settings (`PluginSettings`), and the two contexts the runner hands
to its hooks.  The contexts carry everything a plugin may use (validated settings, secret resolution, the
scope guard, other plugins' evidence, the reconciled inventory) so that plugins never reach into globals.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from auditor.errors import CredentialsMissing, ScopeError
from auditor.models import Asset, LocalizedText, SourceInfo
from auditor.secrets import resolve_secret


class PluginSettings(BaseModel):
    """Settings every plugin accepts in its `[plugins.NAME]` profile table; plugins subclass it.

    `mode = "recorded"` reads evidence files instead of live systems, which is how the demo runs with no
    network and how an office re-runs a collection made on site.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    timeout_seconds: float = Field(default=600.0, gt=0, le=86400)
    mode: Literal["live", "recorded"] = "live"


class PluginParameters(BaseModel):
    """Base of a plugin's baseline parameters (thresholds); every field needs a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class PluginInfo:
    """How a plugin describes itself (returned by its `auditor_plugin_info` hook)."""

    name: str
    version: str
    area: str
    title: LocalizedText
    #: Pydantic model of the evidence payload the plugin collects and evaluates.
    evidence_model: type[BaseModel]
    settings_model: type[PluginSettings] = PluginSettings
    parameters_model: type[PluginParameters] = PluginParameters
    #: Plugins whose evidence this one reads during evaluation (e.g. patch level reads the AD computers).
    reads_evidence_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collected:
    """What `auditor_collect` returns: the evidence payload and where it came from."""

    evidence: BaseModel
    source: SourceInfo
    #: When the evidence describes the estate: now for a live read, the export's own time for a recorded
    #: file.  Evaluation measures ages (stale accounts, backup age) from it, so replaying a recorded sample
    #: next year gives the same result.  None means "now".
    collected_at: dt.datetime | None = None


class ScopeGuard:
    """The only way a plugin may learn what it is allowed to scan.

    Live scanning needs an authorisation record and targets inside its scope; anything else raises
    `ScopeError` before a single packet is sent.
    """

    def __init__(self, authorised: Iterable[str], authorisation_reference: str | None, *,
                 refusal: str | None = None) -> None:
        self._networks = tuple(ipaddress.ip_network(item, strict=False) for item in authorised)
        self.authorisation_reference = authorisation_reference
        self._refusal = refusal

    @property
    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return self._networks

    def require(self, targets: Iterable[str]) -> list[str]:
        """Return the targets if every one lies inside the authorised scope, else raise ScopeError."""
        if self._refusal:
            raise ScopeError(self._refusal)
        if not self.authorisation_reference:
            raise ScopeError(
                "active scanning needs an [authorisation] record in the profile (reference, signer, date, scope)"
            )
        accepted: list[str] = []
        for target in targets:
            try:
                network = ipaddress.ip_network(target, strict=False)
            except ValueError:
                raise ScopeError(
                    f"scan target '{target}' is not an IP address or CIDR range; host names are not accepted "
                    "because they could resolve outside the authorised scope"
                ) from None
            if not any(
                network.version == allowed.version and network.subnet_of(allowed)  # type: ignore[arg-type]
                for allowed in self._networks
            ):
                raise ScopeError(
                    f"scan target {target} is outside the authorised scope "
                    f"({', '.join(str(n) for n in self._networks) or 'empty'})"
                )
            accepted.append(str(network) if network.num_addresses > 1 else str(network.network_address))
        return accepted


@dataclass
class CollectContext:
    """Handed to `auditor_collect`: the plugin's settings and the means to use them safely."""

    plugin: str
    settings: PluginSettings
    profile_dir: Path
    scope: ScopeGuard
    client_id: str
    #: Set by the runner when the plugin's timeout expires; long collections should check it.
    cancelled: threading.Event = field(default_factory=threading.Event)
    #: Lets a plugin report progress ("page 3 of users") to the terminal display.
    progress: Callable[[str], None] = lambda _message: None

    def secret(self, reference: str | None, *, setting: str) -> str:
        """Resolve a secret reference, or raise CredentialsMissing naming the setting."""
        if not reference:
            raise CredentialsMissing(f"no credentials: plugins.{self.plugin}.{setting} is not set in the profile")
        return resolve_secret(reference, base_dir=self.profile_dir)

    def path(self, value: str | Path) -> Path:
        """Resolve a file setting relative to the profile's folder, as a user would expect."""
        path = Path(value).expanduser()
        return (path if path.is_absolute() else self.profile_dir / path).resolve()


@dataclass(frozen=True)
class EvaluationContext:
    """Handed to `auditor_evaluate` and `auditor_assets`: everything needed besides the plugin's evidence.

    `now` is the moment the evidence was collected, not the wall clock: ages (stale accounts, backup age)
    computed against it make re-evaluating the same bundle give the same result.
    """

    plugin: str
    now: dt.datetime
    parameters: PluginParameters
    inventory: tuple[Asset, ...] = ()
    other_evidence: Mapping[str, BaseModel] = field(default_factory=dict)
    #: The plugin's validated profile settings (allow-lists, break-glass accounts...), if enabled.
    settings: PluginSettings | None = None

    def evidence_of(self, plugin: str) -> BaseModel | None:
        """Another plugin's evidence (declared in `reads_evidence_of`), or None if it was not collected."""
        return self.other_evidence.get(plugin)
