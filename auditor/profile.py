"""Client profiles and baselines: loading TOML into validated models, with errors a technician can act on.

A profile says who the client is, which baseline defines "good", which plugins run with which settings,
what the contract provides (hourly rate, monthly hours), which risks the client accepted and the
authorisation that permits active scanning.  A baseline holds scoring weights and check thresholds, so
the office can re-score an old bundle with a newer baseline.

Every problem becomes one `ProfileError` naming the file and the dotted field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from auditor.errors import ProfileError
from auditor.models import AcceptedRisk, Exploitability, Language, Severity
from auditor.secrets import SECRET_FIELD_PATTERN, is_reference

if TYPE_CHECKING:
    from auditor.plugin_api import PluginParameters, PluginSettings
    from auditor.pluginmanager import PluginRegistry

GRADES = ("A", "B", "C", "D", "E", "F")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientInfo(_Strict):
    #: Stable identifier used by the store to group a client's audits (letters, digits, dashes).
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    language: Language = "en"


class MspInfo(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    logo: str | None = None
    contact: str | None = None


class Contract(_Strict):
    """What the maintenance contract provides: the roadmap is priced and planned within it."""

    hourly_rate: float = Field(gt=0, le=10000)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    monthly_hours: float = Field(gt=0, le=2000)
    start_date: dt.date | None = None
    #: Remediation groups (or check ids) the contract does not cover: shown, priced, but not planned.
    not_covered: tuple[str, ...] = ()
    #: Remediation groups (or check ids) the client declined.
    declined: tuple[str, ...] = ()


class Authorisation(_Strict):
    """The signed permission to scan: no record, no active scan."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    signed_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    date: dt.date
    scope: tuple[str, ...] = Field(min_length=1)
    expires: dt.date | None = None

    @field_validator("scope")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"'{item}' is not an IP address or CIDR range") from None
        return value


class ScoringModel(_Strict):
    points: dict[Severity, float] = Field(
        default_factory=lambda: {Severity.critical: 10, Severity.high: 6, Severity.medium: 3, Severity.low: 1}
    )
    exploitability: dict[Exploitability, float] = Field(
        default_factory=lambda: {Exploitability.exposed: 2.0, Exploitability.lateral: 1.5,
                                 Exploitability.hygiene: 1.0}
    )
    #: Lowest score for each grade, best first.
    grade_bands: dict[str, float] = Field(
        default_factory=lambda: {"A": 90, "B": 75, "C": 60, "D": 45, "E": 30, "F": 0}
    )
    #: The best grade an audit can get while a critical check fails.
    critical_grade_cap: str = "D"

    @field_validator("grade_bands")
    @classmethod
    def _bands(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(GRADES):
            raise ValueError(f"grade_bands must define exactly the grades {', '.join(GRADES)}")
        return value


class CheckOverride(_Strict):
    weight: float = Field(default=1.0, ge=0, le=10)
    enabled: bool = True


class Baseline(_Strict):
    """What "good" means for a kind of client: scoring model, weights and plugin thresholds."""

    name: str
    version: str
    description: str = ""
    scoring: ScoringModel = Field(default_factory=ScoringModel)
    area_weights: dict[str, float] = Field(default_factory=dict)
    checks: dict[str, CheckOverride] = Field(default_factory=dict)
    #: Raw parameter tables per plugin; validated against each plugin's parameters model.
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def weight(self, check_id: str) -> float:
        override = self.checks.get(check_id)
        return override.weight if override else 1.0

    def enabled(self, check_id: str) -> bool:
        override = self.checks.get(check_id)
        return override.enabled if override else True

    def area_weight(self, area: str) -> float:
        return self.area_weights.get(area, 1.0)


class BaselineSelection(_Strict):
    name: str = "smb-essential"
    area_weights: dict[str, float] = Field(default_factory=dict)
    checks: dict[str, CheckOverride] = Field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Profile(_Strict):
    """A client profile as validated; `plugins` holds each enabled plugin's typed settings."""

    client: ClientInfo
    msp: MspInfo
    contract: Contract
    baseline: BaselineSelection = Field(default_factory=BaselineSelection)
    authorisation: Authorisation | None = None
    plugins: dict[str, Any] = Field(default_factory=dict)
    accepted_risks: tuple[AcceptedRisk, ...] = ()
    #: Where the profile was read from; relative paths in settings are resolved against its folder.
    source_path: str | None = None

    @property
    def directory(self) -> Path:
        return Path(self.source_path).parent if self.source_path else Path.cwd()

    def enabled_plugins(self) -> list[str]:
        return sorted(name for name, settings in self.plugins.items() if settings.enabled)

    def plugin_settings(self, name: str) -> PluginSettings | None:
        return self.plugins.get(name)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json", exclude={"source_path"})
        data["plugins"] = {n: s.model_dump(mode="json") for n, s in sorted(self.plugins.items())}
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(path, None, "file not found") from None
    except OSError as exc:
        raise ProfileError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProfileError(path, None, "not valid UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(path, None, f"malformed TOML: {exc}") from None


def _first_error(path: Path, exc: ValidationError, prefix: str = "") -> ProfileError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"])
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    message = first["msg"]
    if first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif "input" in first and first["type"] not in ("missing",) and not isinstance(first["input"], dict):
        shown = repr(first["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        if not (field and SECRET_FIELD_PATTERN.search(field.rsplit(".", 1)[-1])):
            message = f"{message} (got {shown})"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ProfileError(path, field or None, message)


_SECRET_QUERY = re.compile(r"(^|[?&;])([^=&;]*(token|key|secret|password|passwd|sig|signature|code)[^=&;]*)=",
                           re.IGNORECASE)


def _url_secret(value: str) -> str | None:
    """Why a URL-looking value carries a credential (user:password@host, ?token=...), or None."""
    if "://" not in value:
        return None
    parts = urlsplit(value.strip())
    if parts.password is not None or (parts.username and "@" in parts.netloc):
        return "a URL must not carry user:password@; use the setting's username/password reference fields"
    if parts.query and _SECRET_QUERY.search(parts.query):
        return "a URL must not carry a token or key in its query string; use the setting's secret reference field"
    return None


def _refuse_inline_secrets(path: Path, data: Any, trail: str = "") -> None:
    """Refuse a literal secret before anything else can echo it: under a secret-looking key, or in a URL."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            here = f"{trail}.{key}" if trail else str(key)
            if isinstance(value, str) and SECRET_FIELD_PATTERN.search(str(key)) and not is_reference(value):
                raise ProfileError(
                    path,
                    here,
                    "inline secret refused: store it in an environment variable or a file and write "
                    "'env:VARIABLE' or 'file:/path' here",
                )
            if isinstance(value, str) and (problem := _url_secret(value)):
                raise ProfileError(path, here, f"inline secret refused: {problem}")
            _refuse_inline_secrets(path, value, here)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_inline_secrets(path, value, f"{trail}[{index}]")


def baseline_search_path(profile_dir: Path | None = None) -> list[Path]:
    """Where baselines are looked for: next to the profile, $AUDITOR_BASELINES, then the shipped ones."""
    paths: list[Path] = []
    if profile_dir is not None:
        paths.append(profile_dir / "baselines")
    if os.environ.get("AUDITOR_BASELINES"):
        paths.append(Path(os.environ["AUDITOR_BASELINES"]))
    paths.append(Path(__file__).resolve().parent.parent / "profiles" / "baselines")
    return paths


def load_baseline(selection: BaselineSelection, *, profile_path: Path | None = None) -> Baseline:
    """Load a named baseline and apply the profile's overrides on top of it."""
    profile_dir = profile_path.parent if profile_path else None
    candidates = [directory / f"{selection.name}.toml" for directory in baseline_search_path(profile_dir)]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        available = sorted({p.stem for d in baseline_search_path(profile_dir) if d.is_dir()
                            for p in d.glob("*.toml")})
        raise ProfileError(
            profile_path or "profile",
            "baseline.name",
            f"unknown baseline '{selection.name}' (available: {', '.join(available) or 'none'})",
        )
    data = _read_toml(found)
    data.setdefault("name", selection.name)
    for key in ("area_weights", "checks", "parameters"):
        override = getattr(selection, key)
        if not override:
            continue
        merged = dict(data.get(key, {}))
        for name, value in override.items():
            if isinstance(value, BaseModel):
                value = value.model_dump()
            if isinstance(value, dict) and isinstance(merged.get(name), dict):
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
        data[key] = merged
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        raise _first_error(found, exc) from None


def baseline_parameters(baseline: Baseline, plugin: str, model: type[PluginParameters]) -> PluginParameters:
    """Validate one plugin's thresholds from the baseline against the plugin's own parameters model."""
    try:
        return model.model_validate(baseline.parameters.get(plugin, {}))
    except ValidationError as exc:
        raise _first_error(Path(f"baseline {baseline.name}"), exc, prefix=f"parameters.{plugin}") from None


def load_profile(path: str | Path, registry: PluginRegistry) -> Profile:
    """Read and validate a profile; plugin tables are validated against each plugin's settings model."""
    path = Path(path)
    data = _read_toml(path)
    _refuse_inline_secrets(path, data)
    raw_plugins = data.pop("plugins", {})
    if not isinstance(raw_plugins, dict):
        raise ProfileError(path, "plugins", "must be a table of [plugins.NAME] sections")
    try:
        profile = Profile.model_validate({**data, "source_path": str(path)})
    except ValidationError as exc:
        raise _first_error(path, exc) from None
    settings: dict[str, Any] = {}
    for name, table in raw_plugins.items():
        info = registry.infos.get(name)
        if info is None:
            raise ProfileError(
                path,
                f"plugins.{name}",
                f"unknown plugin '{name}' (installed: {', '.join(sorted(registry.infos)) or 'none'})",
            )
        if not isinstance(table, dict):
            raise ProfileError(path, f"plugins.{name}", "must be a table")
        try:
            settings[name] = info.settings_model.model_validate(table)
        except ValidationError as exc:
            raise _first_error(path, exc, prefix=f"plugins.{name}") from None
    profile = profile.model_copy(update={"plugins": settings})
    for index, risk in enumerate(profile.accepted_risks):
        if registry.canonical_check_id(risk.check) not in registry.catalogue:
            raise ProfileError(path, f"accepted_risks[{index}].check",
                               f"unknown check '{risk.check}' (see `auditor checks` for the catalogue)")
    # Validate the baseline now so a typo in its name fails before any collection starts.
    baseline = load_baseline(profile.baseline, profile_path=path)
    for name in profile.enabled_plugins():
        baseline_parameters(baseline, name, registry.infos[name].parameters_model)
    return profile


def profile_from_json(text: str, registry: PluginRegistry, *, origin: str) -> Profile:
    """Rebuild a profile stored in an evidence bundle (already validated when it was collected)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(origin, None, f"stored profile is not valid JSON: {exc}") from None
    raw_plugins = data.pop("plugins", {})
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise _first_error(Path(origin), exc) from None
    settings: dict[str, Any] = {}
    for name, table in raw_plugins.items():
        info = registry.infos.get(name)
        if info is None:
            continue  # plugin no longer installed: its evidence is reported as not assessed
        try:
            settings[name] = info.settings_model.model_validate(table)
        except ValidationError as exc:
            raise _first_error(Path(origin), exc, prefix=f"plugins.{name}") from None
    return profile.model_copy(update={"plugins": settings})
