"""Building a plugin manager and the check catalogue from the installed plugins.

`get_plugin_manager()` is a factory, not a global: each call returns a fresh manager (tests get one per
test and register their own plugins).  Plugins come from the `auditor.plugins` entry-point group, built-in
ones included; `AUDITOR_LOAD_PLUGINS=a,b` restricts loading to the named entry points.

`PluginRegistry` is what the rest of the core uses: plugin descriptions by name, the validated check
catalogue, and `call(plugin, hook, **kwargs)` to call a hook on exactly one plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from auditor import hookspecs
from auditor.errors import PluginError
from auditor.models import Check
from auditor.plugin_api import PluginInfo

ENTRY_POINT_GROUP = "auditor.plugins"
ALLOW_LIST_VARIABLE = "AUDITOR_LOAD_PLUGINS"


def get_plugin_manager(*, load_entry_points: bool = True, extra_plugins: Iterable[object] = ()) -> (
    pluggy.PluginManager
):
    """A fresh plugin manager with the hookspecs, the installed plugins and any extra plugin objects."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    if load_entry_points:
        allowed = os.environ.get(ALLOW_LIST_VARIABLE)
        wanted = {name.strip() for name in allowed.split(",") if name.strip()} if allowed is not None else None
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            if wanted is not None and entry_point.name not in wanted:
                continue
            if manager.has_plugin(entry_point.name):
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:  # a broken third-party plugin must not take the tool down
                raise PluginError(f"plugin '{entry_point.name}' ({entry_point.value}) failed to load: {exc}") from exc
            manager.register(plugin, name=entry_point.name)
    for plugin in extra_plugins:
        manager.register(plugin)
    manager.check_pending()
    return manager


@dataclass
class PluginRegistry:
    """Installed plugins as the core sees them: descriptions, catalogue, and per-plugin hook calls."""

    manager: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)
    catalogue: dict[str, Check] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, manager: pluggy.PluginManager | None = None) -> PluginRegistry:
        registry = cls(manager or get_plugin_manager())
        for impl in registry.manager.hook.auditor_plugin_info.get_hookimpls():
            info = impl.function()
            if not isinstance(info, PluginInfo):
                raise PluginError(f"plugin {impl.plugin_name}: auditor_plugin_info must return a PluginInfo")
            if info.name in registry.infos:
                raise PluginError(f"two plugins are named '{info.name}'; uninstall one of them")
            registry.infos[info.name] = info
            registry.objects[info.name] = impl.plugin
        for name in sorted(registry.infos):
            registry.call(name, "auditor_register_checks", register=registry._registrar(name))
        return registry

    def _registrar(self, plugin: str) -> Any:
        def register(check: Check) -> None:
            if not isinstance(check, Check):
                raise PluginError(f"plugin {plugin}: register() takes an auditor.models.Check")
            if check.plugin != plugin:
                raise PluginError(f"plugin {plugin} registered check {check.id} that claims plugin {check.plugin}")
            for name in (check.id, *check.aliases):
                if name in self.catalogue or name in self.aliases:
                    raise PluginError(f"check id '{name}' is declared twice (second time by plugin {plugin})")
            self.catalogue[check.id] = check
            for alias in check.aliases:
                self.aliases[alias] = check.id

        return register

    def call(self, plugin: str, hook: str, **kwargs: Any) -> Any:
        """Call `hook` on one plugin only; returns its result, or None if it does not implement the hook."""
        target = self.objects[plugin]
        others = [p for p in self.manager.get_plugins() if p is not target]
        caller = self.manager.subset_hook_caller(hook, remove_plugins=others)
        results = caller(**kwargs)
        if not results:
            return None
        if len(results) > 1:  # pragma: no cover - one object implements a hook once
            raise PluginError(f"plugin {plugin} returned several results for {hook}")
        return results[0]

    def implements(self, plugin: str, hook: str) -> bool:
        return any(impl.plugin is self.objects[plugin] for impl in getattr(self.manager.hook, hook).get_hookimpls())

    def checks_of(self, plugin: str) -> list[Check]:
        return sorted((c for c in self.catalogue.values() if c.plugin == plugin), key=lambda c: c.id)

    def canonical_check_id(self, check_id: str) -> str:
        return self.aliases.get(check_id, check_id)

    def version_of(self, plugin: str) -> str:
        return self.infos[plugin].version
