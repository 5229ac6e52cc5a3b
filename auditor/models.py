"""The contracts between the parts of the auditor.

Every value that crosses a module boundary is one of these pydantic models: the check catalogue, the
results plugins return, the run records the runner writes, the scores and the roadmap.  Keeping them in
one module means a plugin author reads one file to know what the core expects and what it gives back.
Value objects are frozen so that nobody downstream can quietly rewrite a finding after it was scored.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

#: Bound on any text that came from a client system (host names, descriptions, banners): long enough to be
#: useful, short enough that a hostile directory cannot blow up a report.
UNTRUSTED_TEXT_MAX = 512

CHECK_ID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$"


class Frozen(BaseModel):
    """Base for value objects: immutable, no unknown fields (a typo in a contract is an error, not a no-op)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    """How bad a failed check is; the scoring model turns it into points."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        """Smaller is worse, so sorting by rank puts critical findings first."""
        return list(Severity).index(self)


class Exploitability(StrEnum):
    """How directly an attacker can use a failed check, which multiplies its points.

    `exposed`: usable from outside right now (RDP on the internet, admins without MFA, DC without backup).
    `lateral`: usable once an attacker is inside the network.
    `hygiene`: weakens the estate but is not by itself a way in.
    """

    exposed = "exposed"
    lateral = "lateral"
    hygiene = "hygiene"


class Status(StrEnum):
    """The outcome of one check.

    `not_assessed` and `error` are never counted as pass: they leave the score's denominator and lower the
    audit's coverage figure instead.
    """

    passed = "pass"
    failed = "fail"
    partial = "partial"
    not_assessed = "not_assessed"
    error = "error"

    @property
    def assessed(self) -> bool:
        return self in (Status.passed, Status.failed, Status.partial)


class RunStatus(StrEnum):
    """How one plugin's collection or evaluation went."""

    ok = "ok"
    error = "error"
    timeout = "timeout"
    skipped = "skipped"


class LocalizedText(Frozen):
    """A text in both report languages: French and English are both first-class, neither is optional."""

    en: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    fr: Annotated[str, StringConstraints(min_length=1, max_length=2000)]

    def get(self, lang: Language) -> str:
        return self.fr if lang == "fr" else self.en


class FrameworkRef(Frozen):
    """A pointer into a control framework (CIS Controls v8, ANSSI hygiene guide, NIST CSF...)."""

    framework: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    control: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class Check(Frozen):
    """One entry of the check catalogue: declared up front, validated at load time, shown by `auditor checks`.

    A result always names a declared check; the catalogue holds everything a report needs to explain it.
    """

    id: Annotated[str, StringConstraints(pattern=CHECK_ID_PATTERN, max_length=80)]
    plugin: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    area: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    severity: Severity
    exploitability: Exploitability = Exploitability.hygiene
    title: LocalizedText
    rationale: LocalizedText
    remediation: LocalizedText
    #: Checks sharing a remediation group become one roadmap item (e.g. "close RDP" fixes internal and
    #: external RDP findings at once).  Defaults to the check id.
    remediation_group: str | None = None
    #: Fixed effort to remediate, plus effort per affected asset, in hours.
    effort_hours: Annotated[float, Field(ge=0, le=1000)] = 1.0
    effort_per_asset_hours: Annotated[float, Field(ge=0, le=100)] = 0.0
    #: Remediation groups that must be done first (e.g. deploy LAPS before removing shared local admins).
    depends_on: tuple[str, ...] = ()
    references: tuple[FrameworkRef, ...] = ()
    #: Former ids of this check, so stored audits and accepted risks keep matching after a rename.
    aliases: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.remediation_group or self.id


class AffectedAsset(Frozen):
    """One thing a finding is about: an account, a host, a host:port, a policy."""

    name: Annotated[str, StringConstraints(max_length=UNTRUSTED_TEXT_MAX)]
    kind: Literal["host", "service", "account", "group", "policy", "device", "job", "repository", "other"] = (
        "other"
    )
    #: What is wrong with this asset, in English (or language-neutral: dates, attribute names, versions)...
    detail: Annotated[str, StringConstraints(max_length=UNTRUSTED_TEXT_MAX)] = ""
    #: ...and in French when the English detail is prose; empty means `detail` reads fine in both languages.
    detail_fr: Annotated[str, StringConstraints(max_length=UNTRUSTED_TEXT_MAX)] = ""

    @field_validator("name", "detail", "detail_fr", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        return bound_text(value) if isinstance(value, str) else value

    def detail_in(self, lang: Language) -> str:
        return self.detail_fr if lang == "fr" and self.detail_fr else self.detail


class CheckResult(Frozen):
    """What one check concluded, with the measured value and threshold a reader needs to trust it."""

    check_id: Annotated[str, StringConstraints(pattern=CHECK_ID_PATTERN, max_length=80)]
    status: Status
    #: For `partial`: the share of the points earned, between 0 and 1 (coverage checks).
    score_share: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    measured: str | float | int | None = None
    threshold: str | float | int | None = None
    #: Unit of `measured` and `threshold` as a reader sees them ("days"/"jours", "%", "accounts"/"comptes").
    unit: LocalizedText | None = None
    affected: tuple[AffectedAsset, ...] = ()
    #: Why the result is what it is, in both languages (mandatory for not_assessed and error).
    reason: LocalizedText | None = None
    #: Confidence in the evidence behind the result ("release-level", "patch-level", "banner"...).
    confidence: str | None = None
    #: Set by scoring when an accepted risk in the profile covers this result.
    accepted_risk: AcceptedRisk | None = None
    #: Set by scoring when an accepted risk existed but has expired.
    acceptance_expired: bool = False
    #: Assets taken out of `affected` by a per-asset accepted risk, with the acceptances that cover them.
    accepted_assets: tuple[AffectedAsset, ...] = ()
    asset_acceptances: tuple[AcceptedRisk, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> CheckResult:
        if self.status is Status.partial and self.score_share is None:
            raise ValueError("a partial result needs score_share")
        if self.status in (Status.not_assessed, Status.error) and self.reason is None:
            raise ValueError(f"a {self.status.value} result needs a reason")
        return self

    @property
    def is_finding(self) -> bool:
        """A failure the client must act on: failed or partial, and not covered by a live accepted risk."""
        return self.status in (Status.failed, Status.partial) and self.accepted_risk is None


class AcceptedRisk(Frozen):
    """A documented exception: the client knowingly keeps this risk until `expires`."""

    check: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    assets: tuple[str, ...] = ()
    justification: Annotated[str, StringConstraints(min_length=3, max_length=1000)]
    accepted_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    expires: dt.date


CheckResult.model_rebuild()


class SourceInfo(Frozen):
    """Provenance of one plugin's evidence: every report says where data came from and as whom."""

    kind: Literal["live", "recorded"]
    description: str
    servers: tuple[str, ...] = ()
    identity: str | None = None
    files: tuple[str, ...] = ()
    options: dict[str, str] = Field(default_factory=dict)


class EvidenceDocument(Frozen):
    """One plugin's evidence as stored in a bundle: provenance plus the plugin's own payload.

    The payload is validated against the plugin's own evidence model (`PluginInfo.evidence_model`) when it
    is loaded, so a bundle edited by hand or written by an older plugin fails loudly, naming the plugin.
    """

    plugin: str
    plugin_version: str
    schema_version: int = 1
    collected_at: dt.datetime
    source: SourceInfo
    payload: dict[str, Any]


class PluginRun(Frozen):
    """What happened when the runner ran one plugin; an audit keeps one per enabled plugin."""

    plugin: str
    version: str = ""
    phase: Literal["collect", "evaluate"] = "collect"
    status: RunStatus
    reason: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    source: SourceInfo | None = None

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class AssetObservation(Frozen):
    """One machine as one source saw it; the inventory reconciles observations into assets."""

    source: str
    name: Annotated[str, StringConstraints(max_length=255)] = ""
    ips: tuple[str, ...] = ()
    role: Literal["domain_controller", "server", "workstation", "network", "unknown"] = "unknown"
    os: Annotated[str, StringConstraints(max_length=UNTRUSTED_TEXT_MAX)] = ""
    stale: bool = False
    #: "hostname" when the source reports the machine's own name (AD, EDR agents, reverse DNS); "alias"
    #: when it reports a label of its own (a backup console's VM name).  Two different hostnames on one IP
    #: are two machines (DHCP reuse); an alias on a hostname's IP is that machine.
    name_kind: Literal["hostname", "alias"] = "hostname"


class Asset(Frozen):
    """One machine of the estate after reconciliation, with every source that saw it."""

    key: str
    name: str
    names: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    role: Literal["domain_controller", "server", "workstation", "network", "unknown"] = "unknown"
    os: str = ""
    sources: tuple[str, ...] = ()
    #: Every source saw it as stale (e.g. a computer object not logged on for months): not a live machine.
    stale: bool = False

    @property
    def is_server(self) -> bool:
        return self.role in ("domain_controller", "server")


class AreaScore(Frozen):
    area: str
    score: float | None
    earned: float
    applicable: float
    assessed_checks: int
    total_checks: int
    failed: int
    partial: int
    passed: int
    accepted: int
    not_assessed: int


class Scores(Frozen):
    """The audit's figures.  `overall` is None when nothing at all could be assessed."""

    overall: float | None
    grade: str
    grade_before_cap: str
    capped_by: tuple[str, ...] = ()
    coverage: float
    assessed_checks: int
    total_checks: int
    areas: tuple[AreaScore, ...] = ()
    #: The same figures restricted to what the maintenance contract covers (None when it covers everything).
    managed_overall: float | None = None
    managed_grade: str | None = None


class RoadmapItem(Frozen):
    """One piece of improvement work for the maintenance contract."""

    id: str
    remediation_group: str
    title: LocalizedText
    remediation: LocalizedText
    severity: Severity
    checks: tuple[str, ...]
    assets: tuple[str, ...] = ()
    effort_hours: float
    price: float
    score_gain: float
    priority: float
    depends_on: tuple[str, ...] = ()
    phase: int
    target_month: int | None
    target_date: dt.date | None = None
    in_contract: bool = True
    #: The acceptance criterion: these checks must pass at the next audit.
    acceptance_checks: tuple[str, ...] = ()


class Roadmap(Frozen):
    items: tuple[RoadmapItem, ...] = ()
    hourly_rate: float
    currency: str
    monthly_hours: float
    start_date: dt.date
    total_hours: float
    total_price: float
    #: Planning warnings in English (kept for older readers) and in both languages.
    warnings: tuple[str, ...] = ()
    warnings_localized: tuple[LocalizedText, ...] = ()


class Provenance(Frozen):
    """Where and how the audit ran, as the report's methodology section states it."""

    tool_version: str
    hostname: str
    operator: str
    profile_digest: str
    bundle_digest: str
    baseline: str
    baseline_version: str
    authorisation: dict[str, str] = Field(default_factory=dict)
    scope: tuple[str, ...] = ()
    #: The baseline exactly as applied (profile overrides included), so later comparisons score alike.
    baseline_snapshot: dict[str, Any] | None = None


class Audit(Frozen):
    """A complete, self-contained audit: what a report renders and what the store keeps."""

    id: str
    client_id: str
    client_name: str
    #: The MSP as reports brand it (from the profile's [msp] table); the logo path may not exist elsewhere.
    msp_name: str = ""
    msp_contact: str | None = None
    msp_logo: str | None = None
    kind: Literal["onboarding", "re-audit"] = "onboarding"
    language: Language = "en"
    collected_at: dt.datetime
    evaluated_at: dt.datetime
    provenance: Provenance
    runs: tuple[PluginRun, ...]
    checks: tuple[Check, ...]
    results: tuple[CheckResult, ...]
    inventory: tuple[Asset, ...] = ()
    scores: Scores
    roadmap: Roadmap

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def bound_text(value: str, limit: int = UNTRUSTED_TEXT_MAX) -> str:
    """Make untrusted text safe to carry: strip control characters and cut it to a known length."""
    cleaned = _CONTROL_CHARS.sub("", value)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def utcnow() -> dt.datetime:
    """One place for 'now', timezone-aware, to the second (bundles and JSON stay readable)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
