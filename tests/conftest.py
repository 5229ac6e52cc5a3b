"""Shared test configuration: every module in tests/servers/ is a pytest plugin providing server fixtures."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = sorted(
    f"tests.servers.{path.stem}"
    for path in (Path(__file__).parent / "servers").glob("*.py")
    if path.stem != "__init__"
)

# Shared machines are slow at times: property tests must fail on wrong answers, not on timing.
from hypothesis import settings  # noqa: E402

settings.register_profile("auditor", deadline=None, print_blob=True)
settings.load_profile("auditor")
