"""Small builders for catalogue entries, results and test plugins, shared by the core tests."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel

from auditor import hookimpl
from auditor.models import (
    AffectedAsset,
    Check,
    CheckResult,
    Exploitability,
    LocalizedText,
    Severity,
    SourceInfo,
    Status,
)
from auditor.plugin_api import Collected, PluginInfo, PluginSettings
from auditor.secrets import SecretRef


def text(value: str) -> LocalizedText:
    return LocalizedText(en=value, fr=f"{value} (fr)")


def check(check_id: str, severity: str, exploitability: str = "hygiene", *, area: str | None = None,
          plugin: str | None = None, **extra: Any) -> Check:
    prefix = check_id.split(".", 1)[0]
    return Check(
        id=check_id,
        plugin=plugin or prefix,
        area=area or prefix,
        severity=Severity(severity),
        exploitability=Exploitability(exploitability),
        title=text(f"title of {check_id}"),
        rationale=text(f"why {check_id}"),
        remediation=text(f"fix {check_id}"),
        **extra,
    )


def result(check_id: str, status: str, *, share: float | None = None, assets: tuple[str, ...] = (),
           **extra: Any) -> CheckResult:
    reason = text("could not read") if status in ("not_assessed", "error") else None
    return CheckResult(
        check_id=check_id,
        status=Status(status),
        score_share=share,
        affected=tuple(AffectedAsset(name=a, kind="host") for a in assets),
        reason=reason,
        **extra,
    )


class FakeEvidence(BaseModel):
    values: list[str] = []


class FakeSettings(PluginSettings):
    behaviour: str = "ok"
    api_key: SecretRef | None = None
    value: str = "x"


class FakePlugin:
    """A real plugin object (pluggy hookimpls) whose collection behaviour is chosen by its settings."""

    def __init__(self, name: str = "fake", area: str = "fake", checks: tuple[tuple[str, str], ...] = (
            ("one", "high"), ("two", "low"))) -> None:
        self.name = name
        self.area = area
        self.checks = checks
        self.release = threading.Event()

    @hookimpl
    def auditor_plugin_info(self) -> PluginInfo:
        return PluginInfo(name=self.name, version="9.9", area=self.area, title=text(self.name),
                          evidence_model=FakeEvidence, settings_model=FakeSettings)

    @hookimpl
    def auditor_register_checks(self, register: Any) -> None:
        for suffix, severity in self.checks:
            register(check(f"{self.name}.{suffix}", severity, area=self.area, plugin=self.name))

    @hookimpl
    def auditor_collect(self, context: Any) -> Collected:
        behaviour = context.settings.behaviour
        if behaviour == "raise":
            raise RuntimeError("the console exploded")
        if behaviour == "hang":
            self.release.wait(30)
        if behaviour == "nocreds" or (context.settings.api_key is None and behaviour == "needs-key"):
            context.secret(context.settings.api_key, setting="api_key")
        values = [context.settings.value]
        if context.settings.api_key:
            values.append(f"leaked {context.secret(context.settings.api_key, setting='api_key')} here")
        return Collected(FakeEvidence(values=values), SourceInfo(kind="recorded", description="fake"))

    @hookimpl
    def auditor_evaluate(self, evidence: FakeEvidence, context: Any) -> list[CheckResult]:
        first = self.checks[0][0]
        status = "fail" if "bad" in evidence.values else "pass"
        return [result(f"{self.name}.{first}", status, assets=("host-b", "host-a") if status == "fail" else ())]
