"""Security posture auditor for managed IT service providers.

Plugin authors need two names from here: `hookimpl` to mark hook implementations, and `__version__`.
Everything else a plugin uses lives in `auditor.models` and `auditor.plugin_api`.
"""

from __future__ import annotations

from auditor.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
