"""Helpers shared by the MFA plugin's live tests: a collect context pointed at the emulators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins.mfa.settings import MfaSettings


def make_context(tmp_path: Path, **settings: Any) -> CollectContext:
    """A CollectContext as the runner builds it; fast retries so throttling tests stay quick."""
    defaults: dict[str, Any] = {"conditional_access_pause_seconds": 0, "retry_backoff_seconds": 0.01,
                                "timeout_seconds": 60}
    return CollectContext(plugin="mfa", settings=MfaSettings(**{**defaults, **settings}), profile_dir=tmp_path,
                          scope=ScopeGuard((), None), client_id="test-client")
