"""The built-in plugins, installed as `auditor_plugins` and registered through the `auditor.plugins`
entry-point group exactly like third-party plugins."""
