"""The lifecycle data shipped with the plugin, and the questions the checks ask it.

`data/lifecycle.json` is dated and versioned: Windows client and server builds (release name, end of
servicing per edition group, extended support, confirmed update revisions), mainstream Linux
distributions, the exposed services that matter (OpenSSH, Apache httpd, nginx, IIS, Exchange, OpenSSL)
with their supported branches, the distribution packages whose banners hide backported fixes, and a
known-exploited subset (CISA KEV entries with the affected version ranges).  Every entry names its source
in `sources` (endoflife.date is MIT-licensed: the attribution travels with the data).

Build numbers are shared by client and server releases (14393, 17763, 26100, 7601, 9200, 9600): the
`operatingSystem` text decides, in any language ("Windows Server 2016 Standard", "Windows 10
Professionnel", "Windows 10 Entreprise LTSC").  Unknown text or build means "not assessed", never a guess.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import AuditorError
from auditor_plugins.patch_level.versions import Version, in_range

EditionGroup = Literal["home_pro", "enterprise", "iot", "all"]


class LifecycleDataError(AuditorError):
    """The lifecycle data file is missing or malformed (names the file and the field)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Model):
    name: str
    url: str
    licence: str
    attribution: str


class Revision(_Model):
    """A cumulative update whose revision number and release date were confirmed."""

    revision: int = Field(ge=0)
    date: dt.date
    kb: str = ""


class WindowsRelease(_Model):
    key: str
    product: str
    kind: Literal["client", "server"]
    #: "ga": feature releases of Windows 10/11 (General Availability channel); "ltsc": long-term servicing
    #: (servers, LTSC clients); "fixed": pre-Windows 10 clients.
    channel: Literal["ga", "ltsc", "fixed"]
    version: str
    build: int = Field(gt=0)
    aliases: tuple[int, ...] = ()
    released: dt.date
    mainstream_end: dt.date | None = None
    #: End of servicing per edition group: "home_pro", "enterprise", "iot" or "all".
    end: dict[EditionGroup, dt.date]
    esu_end: dt.date | None = None
    new_devices_only: bool = False
    revisions: tuple[Revision, ...] = ()
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        if self.channel == "ga":
            return f"{self.product} {self.version}"
        return self.product

    def end_for(self, edition: EditionGroup) -> dt.date:
        if edition in self.end:
            return self.end[edition]
        if edition == "iot" and "enterprise" in self.end:
            return self.end["enterprise"]
        if "all" in self.end:
            return self.end["all"]
        return self.end.get("home_pro") or min(self.end.values())

    def revision_floor(self, revision: int) -> Revision | None:
        """The newest confirmed revision at or below `revision` (so the update is at least that recent)."""
        candidates = [r for r in self.revisions if r.revision <= revision]
        return max(candidates, key=lambda r: r.revision) if candidates else None


class LinuxRelease(_Model):
    distro: str
    version: str
    name: str
    released: dt.date
    security_end: dt.date | None = None
    #: Last day of free security support (LTS included for Debian).
    end: dt.date
    source: str


class ServiceBranch(_Model):
    product: str
    name: str
    from_: str = Field(alias="from")
    below: str | None = None
    end: dt.date | None = None
    note: str = ""
    source: str

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DistroPackage(_Model):
    product: str
    #: Lower-case text found in the banner (version/extrainfo): "deb11u" or "debian-" / "ubuntu".
    marker: str
    #: When set, the upstream version the distribution ships (needed when the marker names no release).
    upstream: str | None = None
    distro: str
    version: str


class KnownExploited(_Model):
    cve: str = Field(pattern=r"^CVE-\d{4}-\d{4,}$")
    product: str
    name: str
    from_: str = Field(alias="from")
    below: str | None = None
    date_added: dt.date
    source: str

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class LifecycleData(_Model):
    schema_version: Literal[1] = 1
    data_version: str
    data_date: dt.date
    notes: str = ""
    sources: dict[str, SourceRef]
    windows: tuple[WindowsRelease, ...]
    linux: tuple[LinuxRelease, ...]
    services: tuple[ServiceBranch, ...]
    distro_packages: tuple[DistroPackage, ...] = ()
    known_exploited: tuple[KnownExploited, ...] = ()
    #: Source key -> snapshot taken (date, or the KEV catalogue version), written by `auditor data update`.
    snapshots: dict[str, str] = Field(default_factory=dict)

    def attribution(self) -> str:
        return "; ".join(s.attribution for s in self.sources.values())

    def source_of(self, key: str) -> SourceRef | None:
        return self.sources.get(key)


DATA_FILE = "lifecycle.json"


def data_path() -> Path:
    return Path(str(resources.files("auditor_plugins.patch_level").joinpath("data", DATA_FILE)))


def load_data(path: str | Path | None = None) -> LifecycleData:
    """Load and validate a lifecycle data file (the shipped one by default)."""
    target = Path(path) if path else data_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LifecycleDataError(f"{target}: lifecycle data file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LifecycleDataError(f"{target}: cannot read the lifecycle data: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LifecycleDataError(f"{target}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    try:
        data = LifecycleData.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LifecycleDataError(f"{target}: {where}: {first['msg']}") from None
    for entry in data.windows + data.linux + data.services + data.known_exploited:  # type: ignore[operator]
        if entry.source not in data.sources:
            raise LifecycleDataError(f"{target}: entry {entry!r:.80} names unknown source '{entry.source}'")
    return data


@cache
def shipped_data() -> LifecycleData:
    return load_data()


# ---------------------------------------------------------------------------------------------------------
# Operating systems


@dataclass(frozen=True)
class OsRelease:
    """What an OS text and version resolve to, with the dates that matter for this edition."""

    family: Literal["windows", "linux"]
    key: str
    label: str
    kind: Literal["client", "server", "unknown"]
    edition: EditionGroup
    end: dt.date
    released: dt.date
    source: str
    #: Windows feature release (GA channel) whose product has newer releases: servicing can be regained by
    #: a feature update rather than a new operating system.
    feature_release: bool = False
    windows: WindowsRelease | None = None
    #: True when the edition was not stated and the earlier (Home/Pro) date was assumed.
    edition_assumed: bool = False


@dataclass(frozen=True)
class Unresolved:
    reason_en: str
    reason_fr: str


_BUILD_IN_PARENS = re.compile(r"\((\d{4,5})\)")
_DOTTED = re.compile(r"\b(?:10|6)\.\d\.(\d{4,5})(?:\.(\d{1,6}))?\b")
_ENTERPRISE = ("enterprise", "entreprise", "education", "éducation", "educación", "unternehmen")
_HOME_PRO = ("home", "famille", "pro", "professionnel", "professional", "professionale", "domestique", "s mode")

_LINUX_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("debian", re.compile(r"debian[^0-9]{0,30}?(\d{1,2})\b")),
    ("ubuntu", re.compile(r"ubuntu[^0-9]{0,20}?(\d{2}\.\d{2})")),
    ("rhel", re.compile(r"(?:red\s*hat\s*enterprise\s*linux|\brhel)[^0-9]{0,30}?(\d{1,2})")),
    ("centos", re.compile(r"centos[^0-9]{0,30}?(\d{1,2})")),
    ("rocky", re.compile(r"rocky[^0-9]{0,30}?(\d{1,2})")),
    ("alma", re.compile(r"alma\s*linux[^0-9]{0,30}?(\d{1,2})")),
)


def parse_windows_build(*texts: str | None) -> tuple[int | None, int | None]:
    """(build, revision) from "10.0 (19045)", "10.0.19045.5011" or "19045.5011"; None when absent."""
    for text in texts:
        if not text:
            continue
        match = _DOTTED.search(text)
        if match:
            return int(match.group(1)), int(match.group(2)) if match.group(2) else None
        match = _BUILD_IN_PARENS.search(text)
        if match:
            return int(match.group(1)), None
        match = re.fullmatch(r"\s*(\d{4,5})(?:\.(\d{1,6}))?\s*", text)
        if match:
            return int(match.group(1)), int(match.group(2)) if match.group(2) else None
    return None, None


def edition_of(os_name: str) -> tuple[EditionGroup, bool]:
    """The edition group from the OS text (any language); (home_pro, assumed=True) when not stated."""
    text = os_name.lower()
    if "iot" in text:
        return "iot", False
    if any(word in text for word in _ENTERPRISE):
        return "enterprise", False
    if any(re.search(rf"\b{re.escape(word)}\b", text) for word in _HOME_PRO):
        return "home_pro", False
    return "home_pro", True


def resolve_os(os_name: str | None, os_version: str | None = None, build: int | None = None,
               data: LifecycleData | None = None) -> OsRelease | Unresolved:
    """Resolve an OS text (+ version/build) to a release with its end of support, or say why not."""
    data = data or shipped_data()
    name = (os_name or "").strip()
    lowered = name.lower()
    if not name and not os_version:
        return Unresolved("no operating system recorded", "aucun système d'exploitation renseigné")
    if "samba" in lowered:
        return Unresolved("Samba server: the Samba version is not tracked by the lifecycle data",
                          "serveur Samba : sa version n'est pas suivie par les données de cycle de vie")
    if "windows" in lowered or (not name and build):
        return _resolve_windows(name, os_version, build, data)
    text = f"{lowered} {(os_version or '').lower()}"
    for distro, pattern in _LINUX_PATTERNS:
        match = pattern.search(text)
        if match:
            return _resolve_linux(distro, match.group(1), data)
    return Unresolved(f"operating system not in the lifecycle data: {name[:80] or os_version}",
                      f"système d'exploitation absent des données de cycle de vie : {name[:80] or os_version}")


def _resolve_windows(name: str, os_version: str | None, build: int | None, data: LifecycleData) -> (
    OsRelease | Unresolved
):
    if build is None:
        build, _ = parse_windows_build(os_version, name)
    if build is None:
        return Unresolved("Windows version without a build number", "version de Windows sans numéro de build")
    if not name:
        return Unresolved(f"build {build} without the operating system name (client and server share builds)",
                          f"build {build} sans le nom du système (postes et serveurs partagent des builds)")
    lowered = name.lower()
    kind = "server" if "server" in lowered else "client"
    ltsc = any(word in lowered for word in ("ltsc", "ltsb"))
    edition, assumed = edition_of(name)
    candidates = [r for r in data.windows if build in (r.build, *r.aliases) and r.kind == kind]
    if kind == "client":
        wanted = "ltsc" if ltsc else None
        candidates = [r for r in candidates if (r.channel == "ltsc") == (wanted == "ltsc")]
    if not candidates:
        return Unresolved(f"Windows build {build} ({name[:60]}) is not in the lifecycle data",
                          f"le build Windows {build} ({name[:60]}) est absent des données de cycle de vie")
    release = candidates[0]
    if release.channel != "ga":
        edition_used: EditionGroup = "iot" if edition == "iot" and "iot" in release.end else "all"
        assumed = False
    else:
        edition_used = "enterprise" if edition in ("enterprise", "iot") else "home_pro"
    end = release.end_for(edition_used)
    return OsRelease(
        family="windows", key=release.key, label=release.label, kind=kind, edition=edition_used, end=end,
        released=release.released, source=release.source, feature_release=release.channel == "ga",
        windows=release, edition_assumed=assumed and release.channel == "ga",
    )


def _resolve_linux(distro: str, version: str, data: LifecycleData) -> OsRelease | Unresolved:
    major = version if distro == "ubuntu" else version.split(".")[0]
    for release in data.linux:
        if release.distro == distro and release.version == major:
            return OsRelease(family="linux", key=f"{distro}-{major}", label=release.name, kind="unknown",
                             edition="all", end=release.end, released=release.released, source=release.source)
    if distro == "ubuntu":
        return Unresolved(f"Ubuntu {version} is not a long-term support release in the lifecycle data",
                          f"Ubuntu {version} n'est pas une version LTS des données de cycle de vie")
    return Unresolved(f"{distro} {version} is not in the lifecycle data",
                      f"{distro} {version} est absent des données de cycle de vie")


def supported_successor(release: OsRelease, now: dt.date, data: LifecycleData | None = None) -> WindowsRelease | None:
    """For a Windows feature release: the newest release of the same product still serviced for its edition."""
    data = data or shipped_data()
    if release.windows is None or release.windows.channel != "ga":
        return None
    same = [r for r in data.windows if r.product == release.windows.product and r.channel == "ga"
            and not r.new_devices_only and r.released <= now and r.end_for(release.edition) >= now]
    return max(same, key=lambda r: r.released) if same else None


def releases_behind(release: OsRelease, now: dt.date, data: LifecycleData | None = None) -> int:
    """How many feature releases of the same product (available to existing devices) are newer."""
    data = data or shipped_data()
    if release.windows is None or release.windows.channel != "ga":
        return 0
    return sum(1 for r in data.windows if r.product == release.windows.product and r.channel == "ga"
               and not r.new_devices_only and r.released <= now and r.released > release.windows.released)


# ---------------------------------------------------------------------------------------------------------
# Exposed services


@dataclass(frozen=True)
class ServiceAssessment:
    product: str
    version: str
    #: The branch the version falls in (None: version unknown or outside every branch).
    branch: ServiceBranch | None
    #: Distribution package the banner reveals (fixes are backported: the distribution's dates apply).
    distro: LinuxRelease | None = None
    known_exploited: tuple[KnownExploited, ...] = ()

    def end(self) -> dt.date | None:
        if self.distro is not None:
            return self.distro.end
        return self.branch.end if self.branch else None


def assess_service(product: str, version: str, hints: str = "", data: LifecycleData | None = None) -> (
    ServiceAssessment | None
):
    """Support status of one product/version seen in a banner; None when the version cannot be parsed."""
    data = data or shipped_data()
    match = re.match(r"[\w.+~-]+", version.strip())
    first = match.group(0).rstrip(".-") if match else ""
    parsed = Version.parse(first)
    if parsed is None:
        return None
    distro = _distro_package(product, first, f"{version} {hints}", data)
    backported = distro is not None or bool(_DISTRO_WORDS.search(f"{version} {hints}".lower()))
    branch = next((b for b in data.services if b.product == product and in_range(parsed, b.from_, b.below)), None)
    exploited: tuple[KnownExploited, ...] = ()
    if not backported:  # distribution packages backport fixes: a banner version says nothing about them
        exploited = tuple(k for k in data.known_exploited if k.product == product and in_range(parsed, k.from_,
                                                                                                 k.below))
    return ServiceAssessment(product, first, branch, distro, exploited)


_DISTRO_WORDS = re.compile(r"\b(?:centos|red ?hat|rhel|debian|ubuntu|suse|amzn|rocky|alma(?:linux)?|"
                           r"el[5-9](?:_\d+)?|fc\d\d)\b|\+deb\d|ubuntu\d|\.el\d")


def _distro_package(product: str, version: str, hints: str, data: LifecycleData) -> LinuxRelease | None:
    text = f"{version} {hints}".lower()
    parsed = Version.parse(version)
    for package in data.distro_packages:
        if package.product != product or package.marker not in text:
            continue
        if package.upstream is not None:
            wanted = Version.parse(package.upstream)
            if parsed is None or wanted is None or parsed.numbers[:3] != wanted.numbers[:3] or (
                product == "openssh" and parsed != wanted
            ):
                continue
        for release in data.linux:
            if release.distro == package.distro and release.version == package.version:
                return release
    return None
