"""Shared builders for the EDR tests: sources pointed at the loopback emulators, fast retry policies."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from auditor.http import RetryPolicy
from auditor_plugins.edr.sources import DefenderSource, Pacer, SentinelOneSource
from tests.servers.edr_emulators import DefenderEmulator, SentinelOneEmulator

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SCOPE = (ipaddress.ip_network("10.0.0.0/24"),)


def fast_retry(attempts: int = 4) -> RetryPolicy:
    """Real sleeps, but short: Retry-After from the emulators is a fraction of a second."""
    return RetryPolicy(attempts=attempts, backoff_seconds=0.01, max_wait_seconds=1.0)


def defender_source(emulator: DefenderEmulator, **overrides: Any) -> DefenderSource:
    estate = emulator.estate
    options: dict[str, Any] = {
        "tenant_id": estate.tenant_id,
        "client_id": estate.client_id,
        "client_secret": estate.client_secret,
        "base_url": emulator.base_url,
        "login_url": emulator.login_url,
        "page_size": 1000,
        "retry": fast_retry(),
        "networks": SCOPE,
        "pacer": Pacer(100),
    }
    options.update(overrides)
    return DefenderSource(**options)


def sentinelone_source(emulator: SentinelOneEmulator, **overrides: Any) -> SentinelOneSource:
    options: dict[str, Any] = {
        "base_url": emulator.base_url,
        "api_token": emulator.estate.api_token,
        "retry": fast_retry(),
        "networks": SCOPE,
    }
    options.update(overrides)
    return SentinelOneSource(**options)
