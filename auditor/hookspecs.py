"""Every hook the auditor calls, in one place, with its contract.

A plugin is a module (or object) registered under the `auditor.plugins` entry-point group, built-in or
third-party alike, implementing some of these hooks with `@auditor.hookimpl`.  The core calls
`auditor_plugin_info`, `auditor_register_checks`, `auditor_collect` and `auditor_evaluate` on every
enabled plugin; the others are optional.

The per-plugin hooks (collect, assets, evaluate) are called on one plugin at a time through
`auditor.pluginmanager.call_plugin_hook`, never broadcast: a plugin only ever sees its own evidence.
Hooks only grow: arguments may be added, never removed; the core always calls them with keywords.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy
from pydantic import BaseModel

if TYPE_CHECKING:
    from auditor.models import AssetObservation, Check, CheckResult
    from auditor.plugin_api import CollectContext, Collected, EvaluationContext, PluginInfo

PROJECT_NAME = "auditor"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def auditor_plugin_info() -> PluginInfo:
    """Describe the plugin: name, version, area, evidence/settings/parameters models.

    Called once when the plugin manager is built.  Each plugin returns exactly one `PluginInfo`; the core
    collects them from every implementation and refuses two plugins with the same name.

    :return: the plugin's `PluginInfo`.
    """


@hookspec
def auditor_register_checks(register: Callable[[Check], None]) -> None:
    """Declare every check the plugin can emit, by calling ``register(check)`` once per check.

    Called once when the catalogue is built (before any collection).  ``register`` validates the check
    (its `plugin` must be the registering plugin's name) and refuses duplicate ids or aliases across all
    plugins.  A result naming an undeclared check is an error.

    :param register: callback taking one `auditor.models.Check`.
    :return: nothing; results are ignored.
    """


@hookspec
def auditor_collect(context: CollectContext) -> Collected:
    """Collect the plugin's evidence, from live systems or recorded files as ``context.settings.mode`` says.

    Called once per audit on the enabled plugin only, in a worker thread, concurrently with other plugins,
    under the plugin's own timeout.  Must be read-only against client systems.  Raise
    `auditor.errors.CredentialsMissing` when credentials are absent (the run is recorded as *skipped*),
    `auditor.errors.SourceError` (or a subclass) for a failing source (recorded as *error*); any other
    exception is also recorded as *error*.  Live scans must pass their targets through ``context.scope``.

    :param context: the plugin's validated settings, secret resolution, scope guard, progress callback.
    :return: `Collected` with the evidence (an instance of the plugin's `evidence_model`) and its source.
    """


@hookspec
def auditor_assets(evidence: BaseModel) -> list[AssetObservation]:
    """Report the machines this plugin's evidence has seen, for the audit's reconciled inventory.

    Called on each plugin whose collection succeeded, before any evaluation, so that `auditor_evaluate`
    receives the whole estate in ``context.inventory`` (AD computers + scanned hosts + console devices).
    Optional: plugins that see no machines need not implement it.

    :param evidence: the plugin's own evidence (instance of its `evidence_model`).
    :return: a list of `AssetObservation`, possibly empty.
    """


@hookspec
def auditor_evaluate(evidence: BaseModel, context: EvaluationContext) -> list[CheckResult]:
    """Turn the plugin's evidence into check results.  Pure: no network, no clock, no files.

    Called once per evaluation (an audit, or a re-evaluation of a bundle) on the plugin only.  Must
    return results for declared checks of this plugin; a declared check with no result becomes
    `not_assessed`.  What could not be read is `not_assessed` with a reason, never `fail`.

    :param evidence: the plugin's own evidence (instance of its `evidence_model`).
    :param context: baseline parameters, evidence time, inventory, other plugins' evidence, settings.
    :return: a list of `CheckResult`.
    """
